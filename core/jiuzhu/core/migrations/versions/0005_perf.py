"""perf: statistics rollups (stats_sums, stats_money, stats_reach), filled from the history
already stored by 0007_reach_counts; the dispatch board's and home page's queue index on
orders (issue 14)

Revision ID: 0005_perf
Revises: 0004_core_model
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_perf"
down_revision = "0004_core_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_sums",
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_times", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minutes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("amount_rows", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id",
            "month",
            "area_code",
            "item_code",
            "provider_id",
            name=op.f("pk_stats_sums"),
        ),
    )
    op.create_table(
        "stats_money",
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("source_code", sa.String(length=40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("delivered_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id", "month", "area_code", "source_code", name=op.f("pk_stats_money")
        ),
    )
    op.create_table(
        "stats_reach",
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("household_key", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_id",
            "scope",
            "period",
            "dim",
            "key",
            "person_id",
            name=op.f("pk_stats_reach"),
        ),
    )
    op.create_index("ix_stats_reach_person_id", "stats_reach", ["person_id"], unique=False)
    op.create_index(
        "ix_orders_queue",
        "orders",
        ["region_id", "status", sa.text("urgent DESC"), "due_at"],
        unique=False,
    )
    # filled by 0007_reach_counts, which rebuilds every rollup (today's backfill writes
    # tables this revision does not have yet)


def downgrade() -> None:
    op.drop_index("ix_orders_queue", table_name="orders")
    op.drop_index("ix_stats_reach_person_id", table_name="stats_reach")
    op.drop_table("stats_reach")
    op.drop_table("stats_money")
    op.drop_table("stats_sums")
