"""one_form: the one-form's tables (applications, application_policies, application_tasks)

The base of the one_form branch. Databases created by the first release already hold
these tables (the core's 0001 created them then): they are created only where missing.

Revision ID: one_form_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "one_form_0001"
down_revision = None
branch_labels = ("one_form",)
depends_on = "0001"


def upgrade() -> None:
    if "applications" in sa.inspect(op.get_bind()).get_table_names():
        return  # created by the first release's core schema
    _create()


def _create() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "accepted_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("accepted_by", sa.String(length=60), nullable=False),
        sa.Column(
            "decided_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_applications_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_applications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("receipt", name=op.f("uq_applications_receipt")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_case_id"), ["case_id"], unique=False)

    op.create_table(
        "application_policies",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("policy_code", sa.String(length=40), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_policies_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_application_policies_person_id_persons")
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "policy_code", name=op.f("pk_application_policies")
        ),
    )
    with op.batch_alter_table("application_policies", schema=None) as batch_op:
        batch_op.create_index(
            "uq_application_policies_pending",
            ["region_id", "person_id", "policy_code"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "application_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=60), server_default="", nullable=False),
        sa.Column(
            "decided_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_tasks_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_tasks")),
    )
    with op.batch_alter_table("application_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_tasks_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_application_tasks_department"), ["department"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("application_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_tasks_department"))
        batch_op.drop_index(batch_op.f("ix_application_tasks_application_id"))

    op.drop_table("application_tasks")
    with op.batch_alter_table("application_policies", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_application_policies_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.drop_table("application_policies")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_case_id"))
        batch_op.drop_index(batch_op.f("ix_applications_area_code"))

    op.drop_table("applications")
