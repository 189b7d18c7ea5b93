"""The service loop: one set of services behind the API, the pages and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..base import NotFound
from ..domain import CaseEvent
from ..plugins import Regions
from ..regions import Region
from ..storage.tables import case_events
from ..times import utcnow

EVENTS = "jiuzhu.events"  # key in Connection.info: the events of the open unit of work


@dataclass
class Services:
    engine: Engine
    regions: Regions
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: commits on success, rolls back on any error (nothing
        half-written). Events appended inside reach plugins only once it has committed,
        and only this unit's events: each request thread has its own list."""
        events: list[tuple[Region, CaseEvent]] = []
        with self.engine.begin() as conn:
            conn.info[EVENTS] = events
            try:
                yield conn
            finally:
                conn.info.pop(EVENTS, None)
        for region, event in events:
            self.regions.pm.hook.jiuzhu_case_event(region=region, event=event)

    def region(self, region_id: str) -> Region:
        try:
            return self.regions.get(region_id)
        except KeyError:
            raise NotFound("region", region_id) from None


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


def fetch_one(
    conn: Connection, table: Table, kind: str, key: object, lock: bool = False, **where: Any
) -> dict[str, Any]:
    if any(isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in where.values()):
        raise NotFound(kind, key)  # beyond any id column: absent, not a database error
    query = select(table).filter_by(**where)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(kind, key)
    return plain(row)
