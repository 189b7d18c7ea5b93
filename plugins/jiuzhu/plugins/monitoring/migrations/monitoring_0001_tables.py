"""monitoring: feed loads, feed rows, the signal queue (warnings and leads)

Revision ID: monitoring_0001
Revises:
Depends on: 0004_core_model
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jiuzhu.core.storage.types import UTCDateTime

revision = "monitoring_0001"
down_revision = None
branch_labels = ("monitoring",)
depends_on = "0004_core_model"


def upgrade() -> None:
    op.create_table(
        "monitoring_feed_loads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("unregistered", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("loaded_by", sa.String(length=60), nullable=False),
        sa.Column("loaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_feed_loads")),
    )
    op.create_index(
        op.f("ix_monitoring_feed_loads_region_id"), "monitoring_feed_loads", ["region_id"]
    )
    op.create_table(
        "monitoring_feed_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("area_code", sa.String(length=12), server_default="", nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["monitoring_feed_loads.id"],
            name=op.f("fk_monitoring_feed_rows_load_id_monitoring_feed_loads"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_monitoring_feed_rows_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_feed_rows")),
    )
    for col in ("load_id", "id_number", "person_id"):
        op.create_index(op.f(f"ix_monitoring_feed_rows_{col}"), "monitoring_feed_rows", [col])
    op.create_table(
        "monitoring_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=60), server_default="", nullable=False),
        sa.Column("rule_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("id_number", sa.String(length=18), server_default="", nullable=False),
        sa.Column("name", sa.String(length=60), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=20), server_default="", nullable=False),
        sa.Column("address", sa.String(length=200), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("trigger_row", sa.Integer(), nullable=True),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reported_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.String(length=60), server_default="", nullable=False),
        sa.Column("escalated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("visited_by", sa.String(length=60), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("outcome", sa.String(length=12), server_default="", nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_monitoring_signals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_monitoring_signals_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_signals")),
        sa.UniqueConstraint(
            "region_id", "rule", "id_number", "trigger_row", name="uq_monitoring_signals_fact"
        ),
    )
    for col in ("region_id", "area_code", "person_id"):
        op.create_index(op.f(f"ix_monitoring_signals_{col}"), "monitoring_signals", [col])

    op.create_table(
        "monitoring_case_sources",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_monitoring_case_sources_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["monitoring_signals.id"],
            name=op.f("fk_monitoring_case_sources_signal_id_monitoring_signals"),
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_monitoring_case_sources")),
    )


def downgrade() -> None:
    op.drop_table("monitoring_case_sources")
    op.drop_table("monitoring_signals")
    op.drop_table("monitoring_feed_rows")
    op.drop_table("monitoring_feed_loads")
