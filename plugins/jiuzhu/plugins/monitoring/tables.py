"""The monitoring plugin's own tables, on the core MetaData so foreign keys to persons and
cases resolve. Created by this plugin's Alembic branch (migrations/, branch
``monitoring``), never by the core's migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from jiuzhu.core.storage.tables import metadata
from jiuzhu.core.storage.types import UTCDateTime

# every load of a department's file: who, when, which file (sha256), how many rows
feed_loads = Table(
    "monitoring_feed_loads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("unregistered", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("loaded_by", String(60), nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
)

# one row of a loaded file; person_id is null for a person not registered in the region
# (an unregistered hit, kept with its ID number)
feed_rows = Table(
    "monitoring_feed_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("load_id", ForeignKey("monitoring_feed_loads.id"), nullable=False, index=True),
    Column("region_id", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("row_no", Integer, nullable=False),
    Column("id_number", String(18), nullable=False, index=True),
    Column("person_id", ForeignKey("persons.id"), nullable=True, index=True),
    Column("on_date", Date, nullable=True),
    Column("area_code", String(12), nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
)

# the queue 政策找人 works from: warnings raised by rules and leads reported by people
signals = Table(
    "monitoring_signals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_id", String(40), nullable=False, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("source", String(12), nullable=False),  # rule | adviser | sentinel | hotline
    Column("rule", String(60), nullable=False, server_default=""),
    Column("rule_name", String(100), nullable=False, server_default=""),
    Column("level", String(8), nullable=False),  # red | orange | yellow
    Column("person_id", ForeignKey("persons.id"), nullable=True, index=True),
    Column("id_number", String(18), nullable=False, server_default=""),
    Column("name", String(60), nullable=False, server_default=""),
    Column("phone", String(20), nullable=False, server_default=""),
    Column("address", String(200), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    # the feed row that triggered a warning; null for a lead (so leads never collide below)
    Column("trigger_row", Integer, nullable=True),
    Column("value", BigInteger, nullable=False, server_default="0"),
    Column("trigger", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # open | visiting | closed
    Column("reported_by", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    # the verification visit (核实走访) the signal calls for
    Column("assigned_to", String(60), nullable=False, server_default=""),
    Column("escalated_at", UTCDateTime, nullable=True),
    Column("visited_by", String(60), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("outcome", String(12), nullable=False, server_default=""),
    Column("case_id", ForeignKey("cases.id"), nullable=True),
    # one warning per rule, person and triggering fact (loading a file twice adds none)
    UniqueConstraint(
        "region_id", "rule", "id_number", "trigger_row", name="uq_monitoring_signals_fact"
    ),
)

# how each case was found (application, warning rule, adviser, sentinel, hotline): kept by
# the plugin, keyed by the case, so the core's cases table stays as it is
case_sources = Table(
    "monitoring_case_sources",
    metadata,
    Column("case_id", ForeignKey("cases.id"), primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("source", String(12), nullable=False),
    Column("signal_id", ForeignKey("monitoring_signals.id"), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
)
