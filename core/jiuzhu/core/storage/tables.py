"""The storage shape of the domain types in jiuzhu.core.domain (one table per concept)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from .types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Money = BigInteger  # fen

households = Table(
    "households",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("address", String(200), nullable=False, server_default=""),
    Column("size", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    # 户主; persons and households refer to each other, so this key is added after both
    Column(
        "head_person_id",
        ForeignKey("persons.id", use_alter=True, name="fk_households_head_person_id_persons"),
        nullable=True,
    ),
    Column("phone", String(20), nullable=False, server_default=""),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("household_id", ForeignKey("households.id"), nullable=True),
    Column("id_number", String(18), nullable=False),
    Column("name", String(60), nullable=False),
    Column("sex", String(4), nullable=False, server_default=""),
    Column("birth_date", Date, nullable=False),
    Column("phone", String(20), nullable=False, server_default=""),
    Column("area_code", String(12), nullable=False, index=True),
    Column("hukou_area_code", String(12), nullable=False, server_default=""),
    Column("relation", String(8), nullable=False, server_default=""),
    Column("groups", JSON, nullable=False),
    Column("disability_grade", Integer, nullable=False, server_default="0"),
    Column("disability_type", String(4), nullable=False, server_default=""),
    Column("major_illness", Boolean, nullable=False, server_default=text("false")),
    Column("chronic_illness", Boolean, nullable=False, server_default=text("false")),
    Column("covered_by", JSON, nullable=False),
    Column("student", Boolean, nullable=False, server_default=text("false")),
    Column("living_alone", Boolean, nullable=False, server_default=text("false")),
    Column("household_size", Integer, nullable=False, server_default="1"),
    Column("income_per_capita_fen", Money, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("region_id", "id_number", name="uq_persons_region_id_number"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("status", String(12), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("exit_reason", Text, nullable=False, server_default=""),
)
# one open case per person and region
Index(
    "uq_cases_one_open",
    cases.c.region_id,
    cases.c.person_id,
    unique=True,
    sqlite_where=text("status != 'exited'"),
    postgresql_where=text("status != 'exited'"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("instrument", String(60), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("domain_scores", JSON, nullable=False),
    Column("total", Integer, nullable=False),
    Column("level", String(40), nullable=False),
    Column("recommended_items", JSON, nullable=False),
    Column("raised_by", JSON, nullable=False, server_default=text("'[]'")),
    Column("assessed_by", String(60), nullable=False),
    Column("assessed_at", UTCDateTime, nullable=False),
)

entitlements = Table(
    "entitlements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False),
    Column("region_id", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("scheme", String(40), nullable=False),
    Column("unit", String(8), nullable=False),  # fen | minutes | count
    Column("kind", String(8), nullable=False),  # cap | floor
    Column("period", String(8), nullable=False),  # year | quarter | month
    Column("level", String(40), nullable=False, server_default=""),
    Column("amount", BigInteger, nullable=False),  # per period, in the unit
    Column("used", BigInteger, nullable=False, server_default="0"),  # all periods
    Column("reviews", Integer, nullable=False, server_default="0"),
    Column("rule_version", String(120), nullable=False),
    Column("eligibility_rule", String(80), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("granted_by", String(60), nullable=False),
    UniqueConstraint("case_id", "year", name="uq_entitlements_case_year"),
)

# What each bucket has used in one period; rows appear on the first booking of a period,
# under the entitlement's row lock.
entitlement_usage = Table(
    "entitlement_usage",
    metadata,
    Column("entitlement_id", ForeignKey("entitlements.id"), primary_key=True),
    Column("period_key", String(10), primary_key=True),
    Column("bucket_idx", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("cap", BigInteger, nullable=False),
    Column("used", BigInteger, nullable=False, server_default="0"),
)

# The unit ledger: every booking and refund of an entitlement, in its unit. Its sum per
# entitlement equals entitlement_usage's and entitlements.used.
entitlement_ledger = Table(
    "entitlement_ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entitlement_id", ForeignKey("entitlements.id"), nullable=False, index=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("delivery_id", ForeignKey("deliveries.id"), nullable=True),
    Column("period_key", String(10), nullable=False),
    Column("bucket_idx", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False),  # spend | refund
    Column("at", UTCDateTime, nullable=False),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("area_code", String(12), nullable=False),
    # the standing a plugin (jiuzhu_provider_light) gave the provider
    Column("light", String(8), nullable=False, server_default=""),
    Column("light_label", String(20), nullable=False, server_default=""),
    Column("light_reason", Text, nullable=False, server_default=""),
    Column("blocks_dispatch", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    UniqueConstraint("region_id", "name", name="uq_providers_region_name"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False, index=True),
    Column("name", String(60), nullable=False),
    Column("phone", String(20), nullable=False, server_default=""),
    Column("qualifications", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    # no entitlement: an item that spends none, or a group session's attendee without one
    Column("entitlement_id", ForeignKey("entitlements.id"), nullable=True, index=True),
    Column("item_code", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_fen", Money, nullable=False),
    Column("amount_fen", Money, nullable=False),
    Column("period_key", String(10), nullable=False, server_default=""),
    Column("bucket_idx", Integer, nullable=True),
    Column("cost", BigInteger, nullable=False, server_default="0"),  # in the entitlement's unit
    Column("session_id", ForeignKey("group_sessions.id"), nullable=True, index=True),
    Column("urgent", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(12), nullable=False, index=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("provider_id", ForeignKey("providers.id"), nullable=True, index=True),
    Column("worker_id", ForeignKey("workers.id"), nullable=True),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("placed_by", String(60), nullable=False),
    Column("dispatched_at", UTCDateTime, nullable=True),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("escalated_to", String(12), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("rule_version", String(120), nullable=False, server_default=""),
)

# One visit (check-in … check-out) of an order; an order of several units takes several.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("worker_id", ForeignKey("workers.id"), nullable=True),
    Column("checkin_at", UTCDateTime, nullable=False),
    Column("checkout_at", UTCDateTime, nullable=True),
    Column("minutes", Integer, nullable=False, server_default="0"),
    Column("steps_done", JSON, nullable=False),
    Column("signer", String(60), nullable=False, server_default=""),
    Column("signature", Text, nullable=False, server_default=""),
)

# Images of one visit: the recipient's handwritten signature (PNG) and optional photos before
# and after the service. In the database, so that one backup (scripts/backup.sh) holds them.
delivery_images = Table(
    "delivery_images",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id"), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # signature | before | after
    Column("media_type", String(40), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(60), nullable=False),
)

# 小组工作 / 主题活动: one session, many attendees, each attendance a person-time.
group_sessions = Table(
    "group_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),
    Column("item_code", String(40), nullable=False),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("worker_id", ForeignKey("workers.id"), nullable=True),
    Column("title", String(100), nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("status", String(8), nullable=False),  # open | closed
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
)

session_attendees = Table(
    "session_attendees",
    metadata,
    Column("session_id", ForeignKey("group_sessions.id"), primary_key=True),
    Column("case_id", ForeignKey("cases.id"), primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False),
    Column("checked_in_at", UTCDateTime, nullable=False),
    Column("checked_in_by", String(60), nullable=False),
)

ratings = Table(
    "ratings",
    metadata,
    Column("order_id", ForeignKey("orders.id"), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("satisfied", Boolean, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("rated_at", UTCDateTime, nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("order_id", ForeignKey("orders.id"), nullable=True),
    Column("kind", String(12), nullable=False),
    Column("satisfied", Boolean, nullable=True),
    Column("notes", Text, nullable=False, server_default=""),
    Column("visited_by", String(60), nullable=False),
    Column("visited_at", UTCDateTime, nullable=False),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(60), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("detail", JSON, nullable=False),
)

# The money ledger: every spend and refund by funding source (always fen).
ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entitlement_id", ForeignKey("entitlements.id"), nullable=True, index=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("source_code", String(40), nullable=False),
    Column("amount_fen", Money, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# --- statistics rollups (jiuzhu.core.services.rollups) ----------------------------------
# Kept in the unit of work that writes deliveries and the money ledger, so statistics read
# a few rows per month and area instead of the whole history. Months are Shanghai months
# (YYYY-MM); provider 0 means none.
stats_sums = Table(
    "stats_sums",
    metadata,
    Column("region_id", String(40), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("area_code", String(12), primary_key=True),
    Column("item_code", String(40), primary_key=True),
    Column("provider_id", Integer, primary_key=True, autoincrement=False),
    # visits checked out in the month: person-times and minutes
    Column("person_times", BigInteger, nullable=False, server_default="0"),
    Column("minutes", BigInteger, nullable=False, server_default="0"),
    # net money of delivered orders, by the month they were finished; ledger rows counted
    Column("amount_fen", Money, nullable=False, server_default="0"),
    Column("amount_rows", BigInteger, nullable=False, server_default="0"),
)

# The money ledger by the month of each row and funding source.
stats_money = Table(
    "stats_money",
    metadata,
    Column("region_id", String(40), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("area_code", String(12), primary_key=True),
    Column("source_code", String(40), primary_key=True),
    # every ledger row, by the month it was written (what live orders hold)
    Column("amount_fen", Money, nullable=False, server_default="0"),
    # net money of delivered orders, by the month they were finished (as stats_sums)
    Column("delivered_fen", Money, nullable=False, server_default="0"),
)


# Who was served where (distinct persons stay exact): one row per person and scope, written
# with insert-or-ignore at check-out. scope: the case's area code, or "*" (the whole region);
# period: "" (all time) or "YYYY"; dim: total | item | category | provider | area | month, key
# its value.
def _reach_key() -> list[Column[Any]]:
    """(region, scope, period, dim, key): what a reach row, its counters and its households'
    members are kept by."""
    return [
        Column("region_id", String(40), primary_key=True),
        Column("scope", String(12), primary_key=True),
        Column("period", String(4), primary_key=True),
        Column("dim", String(8), primary_key=True),
        Column("key", String(40), primary_key=True),
    ]


stats_reach = Table(
    "stats_reach",
    metadata,
    *_reach_key(),
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    # the person's household now (-person id without one); moves with the person
    Column("household_key", Integer, nullable=False),
)
Index("ix_stats_reach_person_id", stats_reach.c.person_id)

# The distinct counts of stats_reach per (region, scope, period, dim, key), kept in the same
# flush, so the statistics read a few counter rows instead of counting reach rows.
stats_reach_count = Table(
    "stats_reach_count",
    metadata,
    *_reach_key(),
    Column("persons", BigInteger, nullable=False, server_default="0"),
    Column("households", BigInteger, nullable=False, server_default="0"),
)

# How many reach rows of each key a household has (households > 0 only: a person alone,
# key -person id, is always one household of one); a row goes when its members reach 0.
stats_reach_household = Table(
    "stats_reach_household",
    metadata,
    *_reach_key(),
    Column("household_key", Integer, primary_key=True, autoincrement=False),
    Column("members", Integer, nullable=False),
)

# the dispatch board and home-page queues: open orders of a region by urgency and deadline
# (the lists order by urgent first, then the deadline: ``ORDER BY urgent DESC, due_at``)
Index(
    "ix_orders_queue", orders.c.region_id, orders.c.status, orders.c.urgent.desc(), orders.c.due_at
)

# --- access (web) ----------------------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("display_name", String(60), nullable=False, server_default=""),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("region_id", String(40), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("provider_id", ForeignKey("providers.id"), nullable=True),
    Column("worker_id", ForeignKey("workers.id"), nullable=True),
    Column("department", String(40), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(60), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),  # none: until revoked
)

# A page session lives on the server: the cookie carries only a random key whose hash is
# stored here, so logout, a password change or deactivation ends it at once.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),  # the absolute end
    Column("ended_at", UTCDateTime, nullable=True),
    Column("end_reason", String(20), nullable=False, server_default=""),
    Column("client_ip", String(45), nullable=False, server_default=""),
    Column("user_agent", String(200), nullable=False, server_default=""),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("username", String(60), nullable=False),
    Column("action", String(20), nullable=False),
    Column("case_id", Integer, nullable=True, index=True),
    Column("path", String(200), nullable=False, server_default=""),
    Column("detail", JSON, nullable=False),
    Column("client_ip", String(45), nullable=False, server_default=""),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(60), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("client_ip", String(45), nullable=False, server_default="", index=True),
    # refused before the password was checked (throttled): not counted as a guess
    Column("throttled", Boolean, nullable=False, server_default=text("false")),
)

# --- the API: Idempotency-Key answers (jiuzhu.core.services.idempotency) ----------------
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # sha256 of method, path and body
    Column("state", String(12), nullable=False),  # pending / committed / done
    Column("lease", String(32), nullable=False),  # the request that holds the key
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("locked_at", UTCDateTime, nullable=False),
    Column("status", Integer, nullable=True),
    Column("content_type", String(100), nullable=False, server_default=""),
    Column("location", String(300), nullable=False, server_default=""),
    Column("body", LargeBinary, nullable=True),
    UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
)
