"""The one-form's own tables, on the core MetaData so foreign keys to cases, persons and
households resolve. Created by this plugin's Alembic branch (migrations/, branch
``one_form``), not by the core's migrations."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, text

from jiuzhu.core.storage.tables import metadata
from jiuzhu.core.storage.types import UTCDateTime

applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt", String(32), nullable=False, unique=True),
    Column("region_id", String(40), nullable=False),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("person_id", ForeignKey("persons.id"), nullable=False),
    # the applicant's household (一户一档); null for applications accepted before households
    Column("household_id", ForeignKey("households.id"), nullable=True, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("form", JSON, nullable=False),
    Column("documents", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("accepted_at", UTCDateTime, nullable=False),
    Column("accepted_by", String(60), nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
)

application_policies = Table(
    "application_policies",
    metadata,
    Column("application_id", ForeignKey("applications.id"), primary_key=True),
    Column("policy_code", String(40), primary_key=True),
    Column("region_id", String(40), nullable=False),
    Column("person_id", ForeignKey("persons.id"), nullable=False),
    Column("department", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
)
# a household member cannot have two pending applications for one policy
Index(
    "uq_application_policies_pending",
    application_policies.c.region_id,
    application_policies.c.person_id,
    application_policies.c.policy_code,
    unique=True,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)

application_tasks = Table(
    "application_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("applications.id"), nullable=False, index=True),
    Column("region_id", String(40), nullable=False),
    Column("department", String(40), nullable=False, index=True),
    Column("kind", String(12), nullable=False),
    Column("status", String(12), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("decided_by", String(60), nullable=False, server_default=""),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decisions", JSON, nullable=False),
)
