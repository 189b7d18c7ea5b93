"""Checking a database URL before an engine is built, so a typo is one line, not a traceback.

jiuzhu runs on SQLite (a file, no server) and on PostgreSQL through psycopg 3.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

EXAMPLES = "sqlite:///jiuzhu.db or postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE"
POSTGRES_EXTRA = "pip install 'jiuzhu[postgres]' (in a clone: pip install -e '.[postgres]')"


class DatabaseUrlError(ValueError):
    """The URL names no database jiuzhu can use; the message says why and what to write."""


def safe(url: URL | str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "(not a URL)"
    return parsed.render_as_string(hide_password=True)


def check_url(raw: str) -> str:
    """The URL to build the engine from, normalised (``postgres://`` and ``postgresql://``
    mean psycopg 3); raise DatabaseUrlError naming the problem and the fix."""
    url = parse_url(raw)
    require_driver(url)
    return url.render_as_string(hide_password=False)


def parse_url(raw: str) -> URL:
    """Parse and normalise; check the backend and, for SQLite, the file's folder."""
    text = raw.strip()
    if text.startswith("postgres://"):  # the spelling Heroku-style platforms hand out
        text = "postgresql://" + text.removeprefix("postgres://")
    if text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text.removeprefix("postgresql://")
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(f"database URL {text!r} is not a URL; write {EXAMPLES}") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise DatabaseUrlError(f"use sqlite:///PATH (the {driver!r} driver is not supported)")
        _check_sqlite_path(url)
    elif backend == "postgresql":
        if driver != "psycopg":
            raise DatabaseUrlError(
                f"PostgreSQL driver {driver!r} is not supported; write postgresql+psycopg://…"
            )
        if not url.database:
            raise DatabaseUrlError(f"database URL {safe(url)} names no database; write {EXAMPLES}")
    else:
        raise DatabaseUrlError(
            f"jiuzhu runs on SQLite or PostgreSQL, not {backend!r}; write {EXAMPLES}"
        )
    return url


def require_driver(url: URL) -> str:
    """The driver module's name and version; DatabaseUrlError if it is not installed."""
    if url.get_backend_name() == "sqlite":
        import sqlite3

        return f"sqlite3 (SQLite {sqlite3.sqlite_version})"
    try:
        import psycopg
    except ImportError:
        raise DatabaseUrlError(
            f"the PostgreSQL driver psycopg is not installed; {POSTGRES_EXTRA}"
        ) from None
    return f"psycopg {psycopg.__version__} (libpq {psycopg.pq.version()})"


def _check_sqlite_path(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    folder = Path(database).expanduser().absolute().parent
    if not folder.is_dir():
        raise DatabaseUrlError(
            f"SQLite database {database}: folder {folder} does not exist; "
            "create it (mkdir -p) or point the URL elsewhere"
        )
