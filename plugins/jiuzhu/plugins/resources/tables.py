"""The resources plugin's own tables, on the core MetaData so foreign keys to cases,
persons, households and orders resolve. Created by this plugin's Alembic branch
(migrations/, branch ``resources``), not by the core's migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from jiuzhu.core.storage.tables import metadata
from jiuzhu.core.storage.types import UTCDateTime

# 资源库: organisations, units, businesses, volunteers and need sentinels
resources = Table(
    "res_resources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(120), nullable=False),
    Column("kind", String(16), nullable=False, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("contact", String(120), nullable=False, server_default=""),
    Column("location", String(200), nullable=False, server_default=""),
    # a volunteer who was a recipient or a recipient's family member (the pilots' outcome)
    Column("origin", String(12), nullable=False, server_default=""),
    Column("person_id", ForeignKey("persons.id"), nullable=True),
    Column("source", Text, nullable=False, server_default=""),
    Column("illustrative", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("region_id", "code", name="uq_res_resources_region_code"),
)

offers = Table(
    "res_offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resource_id", ForeignKey("res_resources.id"), nullable=False, index=True),
    Column("content", String(200), nullable=False),
    Column("needs", JSON, nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("capacity", Integer, nullable=False, server_default="0"),
    Column("owner", String(120), nullable=False, server_default=""),
    Column("standard", Text, nullable=False, server_default=""),
    Column("contact", String(120), nullable=False, server_default=""),
)

# a unit account (role ``unit``) acts for one resource of the library
unit_accounts = Table(
    "res_unit_accounts",
    metadata,
    Column("username", String(60), primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("resource_id", ForeignKey("res_resources.id"), nullable=False),
)

# 慈善资金: a fund of the region's charity funding source, with its own ledger
funds = Table(
    "res_funds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(120), nullable=False),
    Column("source_code", String(40), nullable=False),
    Column("balance_fen", BigInteger, nullable=False, server_default="0"),  # kept with entries
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("region_id", "code", name="uq_res_funds_region_code"),
)

fund_entries = Table(
    "res_fund_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fund_id", ForeignKey("res_funds.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # donation / grant
    Column("amount_fen", BigInteger, nullable=False),  # donation +, grant −
    Column("donor", String(120), nullable=False, server_default=""),
    Column("household_id", ForeignKey("households.id"), nullable=True, index=True),
    Column("wish_id", ForeignKey("res_wishes.id"), nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("by", String(60), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# 微心愿 / 许愿池
wishes = Table(
    "res_wishes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("number", String(24), nullable=False, unique=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("household_id", ForeignKey("households.id"), nullable=True, index=True),
    Column("area_code", String(12), nullable=False, index=True),  # the recipient's (scope)
    Column("street_code", String(12), nullable=False),  # what the wall shows
    Column("title", String(60), nullable=False),
    Column("description", Text, nullable=False),
    Column("need", String(40), nullable=False, server_default=""),
    Column("value_fen", BigInteger, nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(60), nullable=False),
    Column("claim_by", UTCDateTime, nullable=False),
    Column("claimed_by", ForeignKey("res_resources.id"), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("fulfil_by", UTCDateTime, nullable=True),
    Column("fulfilled_at", UTCDateTime, nullable=True),
    Column("fulfil_note", Text, nullable=False, server_default=""),
    Column("confirm_by", UTCDateTime, nullable=True),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("confirmed_by", String(60), nullable=False, server_default=""),
    Column("confirmed_as", String(12), nullable=False, server_default=""),  # recipient/officer
)

# 1+1+N case teams and their graded reviews (分级研判)
teams = Table(
    "res_teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("case_id", ForeignKey("cases.id"), nullable=False, unique=True),
    Column("grade", String(12), nullable=False),
    Column("lead", String(60), nullable=False),  # 专业社工
    Column("officer", String(60), nullable=False),  # 乡镇（街道）救助专干
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(60), nullable=False),
)

team_holders = Table(
    "res_team_holders",
    metadata,
    Column("team_id", ForeignKey("res_teams.id"), primary_key=True),
    Column("resource_id", ForeignKey("res_resources.id"), primary_key=True),
    Column("representative", String(60), nullable=False, server_default=""),
)

reviews = Table(
    "res_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", ForeignKey("res_teams.id"), nullable=False, index=True),
    Column("held_at", UTCDateTime, nullable=False),
    Column("grade", String(12), nullable=False),
    Column("attendees", JSON, nullable=False),
    Column("record", Text, nullable=False),
    Column("decisions", JSON, nullable=False),
    Column("next_review_by", UTCDateTime, nullable=False),
    Column("by", String(60), nullable=False),
)

# 救助大礼包: cash, goods and aids a household received (cash under an approved one-form
# policy; services, charity and wishes are read from their own records)
benefits = Table(
    "res_benefits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("household_id", ForeignKey("households.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # cash / goods / aid
    Column("policy_code", String(40), nullable=False, server_default=""),
    Column("receipt", String(32), nullable=False, server_default=""),
    Column("giver", String(120), nullable=False),  # department or unit
    Column("description", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(60), nullable=False),
)

# volunteers' hours (志愿服务时长)
volunteer_hours = Table(
    "res_volunteer_hours",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resource_id", ForeignKey("res_resources.id"), nullable=False, index=True),
    Column("minutes", Integer, nullable=False),
    Column("served_on", String(10), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("by", String(60), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
