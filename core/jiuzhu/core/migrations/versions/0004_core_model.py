"""core model: entitlements in units and periods, deliveries as visits, households, facts,
group sessions, provider standing

- persons: hukou_area_code, disability_type, relation; households: head_person_id, phone;
  assessments: raised_by.
- entitlements: scheme, unit, kind, period, level; annual_fen -> amount (per period),
  spent_fen -> used. entitlement_tiers -> entitlement_usage (per period and bucket) and a
  unit ledger entitlement_ledger; the money ledger keeps only sources (entitlement_id
  nullable, tier_idx dropped). Existing data: tiers become usage rows of period str(year),
  unit fen, kind cap, scheme tiered_budget; one unit-ledger spend (and refund) per order
  and tier, summed over sources, so sum(unit ledger) = sum(usage) = entitlements.used.
- orders: entitlement_id nullable, tier_idx -> bucket_idx, period_key, cost, session_id.
- deliveries: own id (several visits per order), worker_id, confirmed_by -> signer,
  confirmation -> signature.
- providers: light_label, blocks_dispatch (the first release's "red" blocked dispatch).
- group_sessions, session_attendees.

Revision ID: 0004_core_model
Revises: 0003_api_idempotency
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "0004_core_model"
down_revision = "0003_api_idempotency"
branch_labels = None
depends_on = None

UTC = jiuzhu.core.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    bind = op.get_bind()
    # --- facts and households ----------------------------------------------------------
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hukou_area_code", sa.String(length=12), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("relation", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("disability_type", sa.String(length=4), server_default="", nullable=False)
        )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("head_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("phone", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            "fk_households_head_person_id_persons", "persons", ["head_person_id"], ["id"]
        )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("raised_by", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )

    # --- providers: a generic standing ---------------------------------------------------
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("light_label", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "blocks_dispatch", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
        batch_op.alter_column("light", server_default="", existing_type=sa.String(length=8))
    # the first release's only standing was the traffic light, whose red stopped dispatch
    op.execute(
        "UPDATE providers SET blocks_dispatch = (light = 'red'), light_label = CASE light "
        "WHEN 'green' THEN '绿灯' WHEN 'yellow' THEN '黄灯' WHEN 'red' THEN '红灯' ELSE '' END"
    )

    # --- group sessions ----------------------------------------------------------------
    op.create_table(
        "group_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_group_sessions_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_group_sessions_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
    )
    with op.batch_alter_table("group_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_sessions_region_id"), ["region_id"])
        batch_op.create_index(batch_op.f("ix_group_sessions_area_code"), ["area_code"])

    # --- orders ------------------------------------------------------------------------
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("period_key", sa.String(length=10), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("cost", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.alter_column(
            "tier_idx", new_column_name="bucket_idx", existing_type=sa.Integer(), nullable=True
        )
        batch_op.alter_column("entitlement_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_orders_session_id_group_sessions", "group_sessions", ["session_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_orders_session_id"), ["session_id"])
    # every first-release order reserved its amount in fen, in its entitlement's year
    op.execute(
        "UPDATE orders SET cost = amount_fen, period_key = (SELECT CAST(entitlements.year AS "
        "VARCHAR(10)) FROM entitlements WHERE entitlements.id = orders.entitlement_id)"
    )

    op.create_table(
        "session_attendees",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", UTC, nullable=False),
        sa.Column("checked_in_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_session_attendees_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_session_attendees_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["group_sessions.id"],
            name=op.f("fk_session_attendees_session_id_group_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "case_id", name=op.f("pk_session_attendees")),
    )

    # --- deliveries: one row per visit -------------------------------------------------
    op.rename_table("deliveries", "deliveries_v1")
    if bind.dialect.name == "postgresql":  # the primary key's index name is schema-wide
        op.execute("ALTER TABLE deliveries_v1 RENAME CONSTRAINT pk_deliveries TO pk_deliveries_v1")
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("checkin_at", UTC, nullable=False),
        sa.Column("checkout_at", UTC, nullable=True),
        sa.Column("minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("steps_done", sa.JSON(), nullable=False),
        sa.Column("signer", sa.String(length=60), server_default="", nullable=False),
        sa.Column("signature", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_deliveries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_deliveries_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_order_id"), ["order_id"])
    op.execute(
        "INSERT INTO deliveries (order_id, worker_id, checkin_at, checkout_at, minutes, "
        "steps_done, signer, signature) SELECT d.order_id, o.worker_id, d.checkin_at, "
        "d.checkout_at, d.minutes, d.steps_done, d.confirmed_by, d.confirmation "
        "FROM deliveries_v1 d JOIN orders o ON o.id = d.order_id ORDER BY d.order_id"
    )
    op.drop_table("deliveries_v1")

    # --- entitlements in units and periods -----------------------------------------------
    with op.batch_alter_table("entitlements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scheme", sa.String(length=40), server_default="tiered_budget", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("unit", sa.String(length=8), server_default="fen", nullable=False)
        )
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="cap", nullable=False)
        )
        batch_op.add_column(
            sa.Column("period", sa.String(length=8), server_default="year", nullable=False)
        )
        batch_op.add_column(
            sa.Column("level", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.alter_column("annual_fen", new_column_name="amount", existing_type=sa.BigInteger())
        batch_op.alter_column(
            "spent_fen",
            new_column_name="used",
            existing_type=sa.BigInteger(),
            existing_server_default="0",
        )
        batch_op.alter_column(
            "rule_version", type_=sa.String(length=120), existing_type=sa.String(length=80)
        )

    op.create_table(
        "entitlement_usage",
        sa.Column("entitlement_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("bucket_idx", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("cap", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_entitlement_usage_entitlement_id_entitlements"),
        ),
        sa.PrimaryKeyConstraint(
            "entitlement_id", "period_key", "bucket_idx", name=op.f("pk_entitlement_usage")
        ),
    )
    op.execute(
        "INSERT INTO entitlement_usage (entitlement_id, period_key, bucket_idx, name, cap, used) "
        "SELECT t.entitlement_id, CAST(e.year AS VARCHAR(10)), t.idx, t.name, t.cap_fen, "
        "t.spent_fen FROM entitlement_tiers t JOIN entitlements e ON e.id = t.entitlement_id"
    )

    op.create_table(
        "entitlement_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entitlement_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("period_key", sa.String(length=10), nullable=False),
        sa.Column("bucket_idx", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_entitlement_ledger_delivery_id_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_entitlement_ledger_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_entitlement_ledger_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_ledger")),
    )
    with op.batch_alter_table("entitlement_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entitlement_ledger_entitlement_id"), ["entitlement_id"])
        batch_op.create_index(batch_op.f("ix_entitlement_ledger_order_id"), ["order_id"])
    # the first release booked each order's amount in one tier, split over sources: one
    # unit-ledger row per order, tier and kind carries the same sums
    op.execute(
        "INSERT INTO entitlement_ledger (entitlement_id, order_id, period_key, bucket_idx, "
        "amount, kind, at) SELECT l.entitlement_id, l.order_id, CAST(e.year AS VARCHAR(10)), "
        "l.tier_idx, SUM(l.amount_fen), l.kind, MIN(l.at) FROM ledger l "
        "JOIN entitlements e ON e.id = l.entitlement_id "
        "GROUP BY l.entitlement_id, l.order_id, e.year, l.tier_idx, l.kind "
        "ORDER BY MIN(l.id)"
    )
    op.drop_table("entitlement_tiers")

    # --- the money ledger: sources only --------------------------------------------------
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.alter_column("entitlement_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_column("tier_idx")


def downgrade() -> None:
    raise NotImplementedError(
        "0004_core_model changes what entitlements and deliveries are; restore a backup "
        "taken before `jiuzhu db upgrade` instead of downgrading"
    )
