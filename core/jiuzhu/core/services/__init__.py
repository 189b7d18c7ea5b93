"""The service loop: one set of services behind the API, the pages and the CLI.

Units of work
-------------
Every change happens inside one unit of work, a database transaction that commits whole or
not at all. ``Services.run(work)`` is the unit money-moving services use: when the database
reports a serialization failure or a deadlock, the unit is rolled back and run again from
the start (bounded, with jittered backoff); when the attempts run out the caller gets
``Busy`` (HTTP 503 with Retry-After), never a half-written change and never a 500.

Lock order
----------
Every unit of work that moves money or changes a case's state takes its row locks in ONE
order: **case → entitlement → order** (see ``locks.py``). A unit that starts from an order
reads it without a lock, locks its case, then its entitlement, then the order itself. Two
paths that lock the same rows in different orders can deadlock (a cancel that locked
order → entitlement → case did, against orders being placed on PostgreSQL).

Connections
-----------
Reads go through ``Services.reading()``. On PostgreSQL they run in autocommit: under READ
COMMITTED every statement takes its own snapshot anyway, so a transaction around reads
only adds a BEGIN and a ROLLBACK round trip. A web request's thread *pins* one connection
(``pinning``): its token check, audit row, reads and unit of work all use it.

After commit
------------
Case events appended inside a unit reach the ``jiuzhu_case_event`` observers only after it
has committed, and only that unit's events. Work registered with ``after_commit`` runs then
too. Both are isolated: an observer that fails is logged and never fails the request, whose
change is already committed (a 500 on a committed spend invites a double order on retry).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, Table, bindparam, select
from sqlalchemy.exc import DBAPIError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ..base import NotFound
from ..domain import CaseEvent
from ..plugins import Regions
from ..regions import Region
from ..storage.engine import writer
from ..storage.tables import case_events
from ..times import utcnow
from . import idempotency, pinning, rollups

log = logging.getLogger("jiuzhu.services")

EVENTS = "jiuzhu.events"  # key in Connection.info: the events of the open unit of work
AFTER_COMMIT = "jiuzhu.after_commit"  # key in Connection.info: work to run once committed
T = TypeVar("T")
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}
UNIT = "jiuzhu.unit"  # key in Connection.info: a unit of work is open on it

# PostgreSQL SQLSTATEs after which running the whole unit again is safe and useful
RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
ATTEMPTS = 5  # a unit of work runs at most this many times
RETRY_AFTER_SECONDS = 1  # what a 503 tells the client to wait


class Busy(Exception):
    """The database could not complete a unit of work because of concurrent ones (deadlock,
    serialization failure or lock timeout, after the bounded retries): nothing was written;
    the client may send the same request again (HTTP 503 with Retry-After)."""

    def __init__(
        self, detail: str = "系统繁忙（并发冲突），本次请求未作任何更改，请稍后重试"
    ) -> None:
        self.detail = detail
        self.retry_after = RETRY_AFTER_SECONDS
        super().__init__(detail)


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the database rolled the unit back whole."""
    return isinstance(exc, DBAPIError) and sqlstate(exc) in RETRYABLE


def is_busy(exc: BaseException) -> bool:
    """A failure caused by concurrent work, not by the request: retryable ones, a lock not
    available (PostgreSQL 55P03), or SQLite still locked after its busy timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    if is_retryable(exc) or sqlstate(exc) == "55P03":
        return True
    text = str(getattr(exc, "orig", "")).lower()
    return "database is locked" in text or "database table is locked" in text


def _log_retry(state: Any) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "unit of work retried (attempt %d of %d): %s",
        state.attempt_number,
        ATTEMPTS,
        sqlstate(exc) if exc else "?",
    )


@dataclass
class Services:
    engine: Engine
    regions: Regions
    clock: Callable[[], datetime] = utcnow
    attempts: int = ATTEMPTS
    _writer: Engine | None = field(default=None, init=False, repr=False)
    _reader: Engine | None = field(default=None, init=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    @property
    def reader(self) -> Engine:
        """The engine for reads: autocommit on PostgreSQL (see Connections above)."""
        if self._reader is None:
            pg = self.engine.dialect.name == "postgresql"
            self._reader = self.engine.execution_options(**AUTOCOMMIT) if pg else self.engine
        return self._reader

    def _pinned(self) -> Connection | None:
        return pinning.pinned(self.reader) if self.engine.dialect.name == "postgresql" else None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with: the request's pinned one, or one from the pool."""
        pinned = self._pinned()
        if pinned is not None:
            yield pinned
            return
        with self.reader.connect() as conn:
            yield conn

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """A connection for writes that are one statement each, atomic on their own (an
        audit row): the reading connection on PostgreSQL (autocommit) unless a unit of
        work is open on it (it may roll back), a write unit on SQLite (BEGIN IMMEDIATE,
        committed on leaving)."""
        if self.engine.dialect.name == "postgresql":
            pinned = self._pinned()
            if pinned is not None and UNIT not in pinned.info:
                yield pinned
                return
            with self.reader.connect() as conn:
                yield conn
            return
        if self._writer is None:
            self._writer = writer(self.engine)
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write unit of work, run once: commits on success, rolls back on any error
        (nothing half-written). On SQLite it holds the write lock from its first statement.
        Events and ``after_commit`` work reach observers once it has committed, isolated."""
        events: list[tuple[Region, CaseEvent]] = []
        after: list[Callable[[], object]] = []
        with self._unit() as conn:
            conn.info[EVENTS] = events
            conn.info[AFTER_COMMIT] = after
            rollups.begin(conn)
            try:
                idempotency.claim(conn)
                yield conn
                rollups.flush(conn)  # last: the rollup rows are held only for the commit
            finally:
                conn.info.pop(rollups.PENDING, None)
                conn.info.pop(EVENTS, None)
                conn.info.pop(AFTER_COMMIT, None)
        self._notify(events, after)

    @contextmanager
    def _unit(self) -> Iterator[Connection]:
        """The transaction of one unit: on the pinned connection (out of autocommit for
        its length), or on a connection of its own — unpinned, or begun while another unit
        holds the pinned one (its own transaction then, as it would be unpinned)."""
        pinned = self._pinned()
        if pinned is None or UNIT in pinned.info:
            if self._writer is None:
                self._writer = writer(self.engine)
            with self._writer.begin() as conn:
                yield conn
            return
        if pinned.in_transaction():  # autocommit statements' logical transaction: no-op
            pinned.commit()
        pinned.execution_options(isolation_level=self._default_isolation(pinned))
        pinned.info[UNIT] = True
        try:
            with pinned.begin():
                yield pinned
        finally:
            del pinned.info[UNIT]
            try:
                pinned.execution_options(**AUTOCOMMIT)
            except DBAPIError:  # the connection broke: the next use checks out another
                pinned.close()

    @staticmethod
    def _default_isolation(conn: Connection) -> str:
        level = conn.dialect.default_isolation_level
        return level if isinstance(level, str) else "READ COMMITTED"

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` as one unit of work; run it again from the start when the
        database reports a deadlock or serialization failure (bounded: ``attempts``); when
        they run out, or the database stays locked, raise ``Busy``. ``work`` must only
        touch the database through ``conn`` (everything else it does may happen twice)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=0.02, max=0.25),
            retry=retry_if_exception(is_retryable),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            result: T = retrying(self._once, work)
        except DBAPIError as exc:
            if is_busy(exc):
                log.warning("unit of work given up: %s", sqlstate(exc) or exc.orig)
                raise Busy() from exc
            raise
        return result

    def _once(self, work: Callable[[Connection], T]) -> T:
        with self.transaction() as conn:
            return work(conn)

    def _notify(
        self, events: list[tuple[Region, CaseEvent]], after: list[Callable[[], object]]
    ) -> None:
        """Call every observer of every event, then the after-commit work, each on its own:
        one failing is logged (with the plugin's name) and neither stops the others nor
        reaches the caller. Implementations are called in pluggy's order (last registered
        first); observers are plain hooks, so no wrapper is involved."""
        if events:
            impls = [
                i
                for i in reversed(self.regions.pm.hook.jiuzhu_case_event.get_hookimpls())
                if not (i.hookwrapper or i.wrapper)
            ]
            for region, event in events:
                args = {"region": region, "event": event}
                for impl in impls:
                    try:
                        impl.function(*(args[name] for name in impl.argnames))
                    except Exception:
                        log.exception(
                            "observer %s failed on case event #%s (%s); the change is "
                            "committed and stays",
                            impl.plugin_name,
                            event.id,
                            event.kind,
                        )
        for work in after:
            try:
                work()
            except Exception:
                log.exception("after-commit work %r failed; the change is committed", work)

    def region(self, region_id: str) -> Region:
        try:
            return self.regions.get(region_id)
        except KeyError:
            raise NotFound("region", region_id) from None


def after_commit(conn: Connection, work: Callable[[], object]) -> None:
    """Run ``work`` once the open unit of work has committed (isolated: a failure is
    logged, never raised); dropped if the unit rolls back."""
    queue = conn.info.get(AFTER_COMMIT)
    if queue is None:
        raise RuntimeError("after_commit needs a Services.transaction() unit of work")
    queue.append(work)


def append_event(
    svc: Services,
    conn: Connection,
    region: Region,
    case_id: int,
    actor: str,
    kind: str,
    reason: str = "",
    **detail: Any,
) -> None:
    """Case history is append-only: there is no update or delete of case_events anywhere."""
    at = svc.now()
    result = conn.execute(
        case_events.insert().values(
            case_id=case_id, at=at, actor=actor, kind=kind, reason=reason, detail=detail
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    events = conn.info.get(EVENTS)
    if events is None:
        raise RuntimeError("append_event needs a Services.transaction() unit of work")
    events.append(
        (
            region,
            CaseEvent(
                id=int(pk[0]),
                case_id=case_id,
                at=at,
                actor=actor,
                kind=kind,
                reason=reason,
                detail=detail,
            ),
        )
    )


def plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row mapping as a plain dict (SQLAlchemy's key type is a str subclass msgspec refuses)."""
    return {str(k): v for k, v in row.items()}


MAX_ID = 2**31 - 1  # ids are INTEGER columns


@functools.cache
def _row_query(table: Table, columns: tuple[str, ...], lock: bool) -> Select[Any]:
    """``SELECT * FROM table WHERE column = :column …`` built once per shape (fetch_one is
    on every request's path; a built statement also keeps its cache key)."""
    query = select(table).where(*(table.c[c] == bindparam(c) for c in columns))
    return query.with_for_update() if lock else query


def fetch_one(
    conn: Connection, table: Table, kind: str, key: object, lock: bool = False, **where: Any
) -> dict[str, Any]:
    if any(isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in where.values()):
        raise NotFound(kind, key)  # beyond any id column: absent, not a database error
    row = conn.execute(_row_query(table, tuple(sorted(where)), lock), where).mappings().first()
    if row is None:
        raise NotFound(kind, key)
    return plain(row)
