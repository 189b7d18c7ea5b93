"""compare: comparison jobs run from the web app (compare_jobs)

The base of the compare branch: the evaluator's page records each run, its progress and
its results here, so every server process and every page reload sees the same job.

Revision ID: compare_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "compare_0001"
down_revision = None
branch_labels = ("compare",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "compare_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column(
            "created_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("progress_done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("progress_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("stage", sa.String(length=80), server_default="", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("worker", sa.String(length=120), server_default="", nullable=False),
        sa.Column(
            "started_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "heartbeat_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("result_html", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compare_jobs")),
    )
    with op.batch_alter_table("compare_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compare_jobs_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compare_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compare_jobs_region_id"))
    op.drop_table("compare_jobs")
