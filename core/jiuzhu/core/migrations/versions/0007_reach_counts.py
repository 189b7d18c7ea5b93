"""reach counts: the distinct persons and households of the statistics kept as counters
(stats_reach_count, with the members of each household in stats_reach_household) and a
category dimension in stats_reach; every rollup rebuilt from the history already stored.

Revision ID: 0007_reach_counts
Revises: 0006_delivery_images
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0007_reach_counts"
down_revision = "0006_delivery_images"
branch_labels = None
depends_on = None

NAMES = ["region_id", "scope", "period", "dim", "key"]


def _key() -> list[sa.Column[str]]:
    """The reach key columns (region, scope, period, dim, key), as stats_reach has them."""
    lengths = (40, 12, 4, 8, 40)
    return [
        sa.Column(n, sa.String(length=k), nullable=False)
        for n, k in zip(NAMES, lengths, strict=True)
    ]


def upgrade() -> None:
    op.create_table(
        "stats_reach_count",
        *_key(),
        sa.Column("persons", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("households", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(*NAMES, name=op.f("pk_stats_reach_count")),
    )
    op.create_table(
        "stats_reach_household",
        *_key(),
        sa.Column("household_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            *NAMES, "household_key", name=op.f("pk_stats_reach_household")
        ),
    )
    from jiuzhu.core.plugins import load_regions, make_plugin_manager
    from jiuzhu.core.regions import Region
    from jiuzhu.core.services.rollups import backfill

    bind = op.get_bind()
    regions: list[Region] = []
    # the categories come from the regions' catalogues: load them only for a history
    if bind.execute(sa.text("SELECT 1 FROM deliveries LIMIT 1")).first() is not None:
        pm = context.config.attributes.get("plugin_manager") or make_plugin_manager()
        regions = list(load_regions(pm))
    backfill(bind, regions)


def downgrade() -> None:
    op.drop_table("stats_reach_household")
    op.drop_table("stats_reach_count")
    op.execute(sa.text("DELETE FROM stats_reach WHERE dim = 'category'"))
