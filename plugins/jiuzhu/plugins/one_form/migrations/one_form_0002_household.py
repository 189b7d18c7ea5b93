"""one_form: applications belong to a household (一户一档)

Revision ID: one_form_0002
Revises: one_form_0001
Depends on: 0004_core_model (households.head_person_id, persons.relation)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "one_form_0002"
down_revision = "one_form_0001"
branch_labels = None
depends_on = "0004_core_model"


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_applications_household_id_households", "households", ["household_id"], ["id"]
        )
        batch_op.create_index("ix_applications_household_id", ["household_id"], unique=False)
    # applications accepted before: the household their applicant belongs to
    op.execute(
        "UPDATE applications SET household_id = "
        "(SELECT persons.household_id FROM persons WHERE persons.id = applications.person_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_household_id")
        batch_op.drop_constraint("fk_applications_household_id_households", type_="foreignkey")
        batch_op.drop_column("household_id")
