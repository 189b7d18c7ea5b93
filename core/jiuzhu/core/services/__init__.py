"""The service loop: one set of services behind the API, the pages and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..base import NotFound
from ..domain import CaseEvent
from ..plugins import Regions
from ..regions import Region
from ..storage.tables import case_events
from ..times import utcnow


@dataclass
class Services:
    engine: Engine
    regions: Regions
    clock: Callable[[], datetime] = utcnow
    pending_events: list[tuple[Region, CaseEvent]] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()

    def region(self, region_id: str) -> Region:
        try:
            return self.regions.get(region_id)
        except KeyError:
            raise NotFound("region", region_id) from None

    def notify(self) -> None:
        """Hand committed events to plugins (jiuzhu_case_event)."""
        events, self.pending_events = self.pending_events, []
        for region, event in events:
            self.regions.pm.hook.jiuzhu_case_event(region=region, event=event)


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
    svc.pending_events.append(
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


def fetch_one(
    conn: Connection, table: Table, kind: str, key: object, lock: bool = False, **where: Any
) -> dict[str, Any]:
    query = select(table).filter_by(**where)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(kind, key)
    return plain(row)
