"""Development sessions: `nox -l` lists them."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite on SQLite (an empty JIUZHU_TEST_DATABASE_URL means SQLite; the
    PostgreSQL-only tests are the only skips allowed, also under CI=true)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs, env={"JIUZHU_TEST_DATABASE_URL": ""})


@nox.session
def tests_pg(session: nox.Session) -> None:
    """The test suite on PostgreSQL (JIUZHU_TEST_DATABASE_URL, default the local server's
    database `test`; a database whose name lacks "test" needs JIUZHU_TEST_DATABASE_CONFIRM)."""
    session.install("-e", ".[test]")
    url = os.environ.get("JIUZHU_TEST_DATABASE_URL") or PG_URL
    session.run("python", "-m", "pytest", *session.posargs, env={"JIUZHU_TEST_DATABASE_URL": url})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: strict on core/, and over plugins/, regions/ and tests/."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session
def reference(session: nox.Session) -> None:
    """Regenerate docs/reference from the region-file Structs (a test fails when stale)."""
    session.install("-e", ".")
    session.run("jiuzhu", "reference", "--output", "docs/reference")
