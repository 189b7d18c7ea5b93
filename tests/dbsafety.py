"""The suite DROPs the public schema of the PostgreSQL database it is given: refuse one
that does not look like a test database unless the operator names it to confirm."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PG_ENV = "JIUZHU_TEST_DATABASE_URL"
CONFIRM_ENV = "JIUZHU_TEST_DATABASE_CONFIRM"
PG_SKIP = "needs PostgreSQL"


def pg_url() -> str | None:
    """The PostgreSQL URL of the run, or None for SQLite (unset or empty: `nox -s tests`
    sets it to "" to mean SQLite)."""
    return os.environ.get(PG_ENV) or None


def refusal(url: str, confirm: str | None) -> str | None:
    """Why the suite must not run against `url`, or None when it may."""
    try:
        name = make_url(url).database or ""
    except ArgumentError:
        return f"{PG_ENV}={url!r} is not a database URL"
    if "test" in name.lower() or (confirm is not None and confirm == name):
        return None
    return (
        f"{PG_ENV} names the database {name!r}, which does not look like a test database, "
        "and the suite runs DROP SCHEMA public CASCADE on it. Use a database whose name "
        f"contains 'test', or confirm that {name!r} may be wiped: {CONFIRM_ENV}={name}"
    )
