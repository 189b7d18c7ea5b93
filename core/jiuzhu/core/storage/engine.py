"""Engines and transactions on SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from ..base import ConfigError

DEFAULT_URL = "sqlite:///jiuzhu.db"
URL_ENV = "JIUZHU_DATABASE_URL"
POOL_ENV = "JIUZHU_DB_POOL"  # connections per process (PostgreSQL); also the request threads
DEFAULT_POOL = 8
WRITE = "jiuzhu_write"  # execution option marking a write unit of work (see writer())


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(URL_ENV) or DEFAULT_URL


def pool_size() -> int:
    """Connections each process keeps (PostgreSQL). Requests beyond it wait for one; a
    pool that overflows would open and close a server connection per request instead."""
    raw = os.environ.get(POOL_ENV, "").strip()
    if not raw:
        return DEFAULT_POOL
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise ConfigError([f"{POOL_ENV}: expected a whole number from 1 to 200, got {raw!r}"])
    return int(raw)


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,  # no personal data in error messages and logs
        )
        _serialise_sqlite_writers(engine)
        return engine
    # no pre-ping: a round trip before every checkout costs more than it saves; a connection
    # the server dropped fails its statement once, and SQLAlchemy then discards the pool's
    # connections of that generation (the next checkout connects afresh). Connections are
    # recycled hourly, before server-side idle timeouts that are usually longer.
    # the overflow only serves a second connection a request's thread takes beside its
    # pinned one (an audit row during a unit of work): request threads never wait on each
    # other's connections
    size = pool_size()
    return create_engine(
        url, pool_size=size, max_overflow=size, pool_recycle=3600, hide_parameters=True
    )


def writer(engine: Engine) -> Engine:
    """The same engine (same pool, same events) for write units of work: on SQLite their
    transactions begin IMMEDIATE; everything else begins deferred."""
    return engine.execution_options(**{WRITE: True})


def _serialise_sqlite_writers(engine: Engine) -> None:
    """pysqlite defers BEGIN. A write unit of work takes the write lock at BEGIN (IMMEDIATE)
    so a read-check-write sequence (is there budget left?) cannot interleave with another
    writer, and never fails upgrading a stale read snapshot. A plain read begins deferred:
    in WAL mode it neither waits for nor blocks a writer."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
