"""resources: the 融救联助 tables (resource library, offers, unit accounts, charity funds and
their ledger, micro-wishes, 1+1+N case teams and reviews, household benefits, volunteer hours)

The base of the resources branch.

Revision ID: resources_0001
Revises:
Depends on: 0004_core_model (households)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "resources_0001"
down_revision = None
branch_labels = ("resources",)
depends_on = "0004_core_model"


def upgrade() -> None:
    op.create_table(
        "res_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source_code", sa.String(length=40), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_funds")),
        sa.UniqueConstraint("region_id", "code", name="uq_res_funds_region_code"),
    )
    op.create_table(
        "res_benefits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("policy_code", sa.String(length=40), server_default="", nullable=False),
        sa.Column("receipt", sa.String(length=32), server_default="", nullable=False),
        sa.Column("giver", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_res_benefits_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_benefits")),
    )
    with op.batch_alter_table("res_benefits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_res_benefits_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "res_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("contact", sa.String(length=120), server_default="", nullable=False),
        sa.Column("location", sa.String(length=200), server_default="", nullable=False),
        sa.Column("origin", sa.String(length=12), server_default="", nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), server_default="", nullable=False),
        sa.Column("illustrative", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_res_resources_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_resources")),
        sa.UniqueConstraint("region_id", "code", name="uq_res_resources_region_code"),
    )
    with op.batch_alter_table("res_resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_res_resources_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_res_resources_kind"), ["kind"], unique=False)

    op.create_table(
        "res_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.String(length=200), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("owner", sa.String(length=120), server_default="", nullable=False),
        sa.Column("standard", sa.Text(), server_default="", nullable=False),
        sa.Column("contact", sa.String(length=120), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["res_resources.id"],
            name=op.f("fk_res_offers_resource_id_res_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_offers")),
    )
    with op.batch_alter_table("res_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_res_offers_area_code"), ["area_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_res_offers_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "res_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=False),
        sa.Column("lead", sa.String(length=60), nullable=False),
        sa.Column("officer", sa.String(length=60), nullable=False),
        sa.Column(
            "created_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_res_teams_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_teams")),
        sa.UniqueConstraint("case_id", name=op.f("uq_res_teams_case_id")),
    )
    op.create_table(
        "res_unit_accounts",
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["res_resources.id"],
            name=op.f("fk_res_unit_accounts_resource_id_res_resources"),
        ),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_res_unit_accounts")),
    )
    op.create_table(
        "res_volunteer_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("served_on", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.Column("at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["res_resources.id"],
            name=op.f("fk_res_volunteer_hours_resource_id_res_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_volunteer_hours")),
    )
    with op.batch_alter_table("res_volunteer_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_res_volunteer_hours_resource_id"), ["resource_id"], unique=False
        )

    op.create_table(
        "res_wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("street_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("need", sa.String(length=40), server_default="", nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "published_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("published_by", sa.String(length=60), nullable=False),
        sa.Column("claim_by", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column(
            "claimed_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("fulfil_by", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "fulfilled_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("fulfil_note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "confirm_by", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "confirmed_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("confirmed_by", sa.String(length=60), server_default="", nullable=False),
        sa.Column("confirmed_as", sa.String(length=12), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_res_wishes_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["res_resources.id"],
            name=op.f("fk_res_wishes_claimed_by_res_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_res_wishes_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_wishes")),
        sa.UniqueConstraint("number", name=op.f("uq_res_wishes_number")),
    )
    with op.batch_alter_table("res_wishes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_res_wishes_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_res_wishes_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_res_wishes_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_res_wishes_status"), ["status"], unique=False)

    op.create_table(
        "res_fund_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("donor", sa.String(length=120), server_default="", nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("wish_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.Column("at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["res_funds.id"], name=op.f("fk_res_fund_entries_fund_id_res_funds")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_res_fund_entries_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["wish_id"], ["res_wishes.id"], name=op.f("fk_res_fund_entries_wish_id_res_wishes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_fund_entries")),
    )
    with op.batch_alter_table("res_fund_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_res_fund_entries_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_res_fund_entries_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "res_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("held_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column(
            "next_review_by", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["res_teams.id"], name=op.f("fk_res_reviews_team_id_res_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_res_reviews")),
    )
    with op.batch_alter_table("res_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_res_reviews_team_id"), ["team_id"], unique=False)

    op.create_table(
        "res_team_holders",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("representative", sa.String(length=60), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["res_resources.id"],
            name=op.f("fk_res_team_holders_resource_id_res_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["res_teams.id"], name=op.f("fk_res_team_holders_team_id_res_teams")
        ),
        sa.PrimaryKeyConstraint("team_id", "resource_id", name=op.f("pk_res_team_holders")),
    )


def downgrade() -> None:
    op.drop_table("res_team_holders")
    with op.batch_alter_table("res_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_reviews_team_id"))

    op.drop_table("res_reviews")
    with op.batch_alter_table("res_fund_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_fund_entries_household_id"))
        batch_op.drop_index(batch_op.f("ix_res_fund_entries_fund_id"))

    op.drop_table("res_fund_entries")
    with op.batch_alter_table("res_wishes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_wishes_status"))
        batch_op.drop_index(batch_op.f("ix_res_wishes_household_id"))
        batch_op.drop_index(batch_op.f("ix_res_wishes_case_id"))
        batch_op.drop_index(batch_op.f("ix_res_wishes_area_code"))

    op.drop_table("res_wishes")
    with op.batch_alter_table("res_volunteer_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_volunteer_hours_resource_id"))

    op.drop_table("res_volunteer_hours")
    op.drop_table("res_unit_accounts")
    op.drop_table("res_teams")
    with op.batch_alter_table("res_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_offers_resource_id"))
        batch_op.drop_index(batch_op.f("ix_res_offers_area_code"))

    op.drop_table("res_offers")
    with op.batch_alter_table("res_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_resources_kind"))
        batch_op.drop_index(batch_op.f("ix_res_resources_area_code"))

    op.drop_table("res_resources")
    with op.batch_alter_table("res_benefits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_res_benefits_household_id"))

    op.drop_table("res_benefits")
    op.drop_table("res_funds")
