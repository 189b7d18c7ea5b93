"""The audit log: who viewed or changed what, from any door (pages and API alike), from
which address, and what was refused. Append-only: nothing here updates or deletes a row,
and on PostgreSQL (and SQLite) a trigger refuses UPDATE and DELETE (migration 0002)."""

from __future__ import annotations

from typing import Any

from ..access import Actor
from ..storage.tables import audit_log
from . import Services


def audit(
    svc: Services,
    actor: Actor,
    action: str,
    path: str,
    case_id: int | None = None,
    *,
    client_ip: str = "",
    **detail: Any,
) -> None:
    """One row per view or change; written on its own (one statement, outside any unit of
    work) so a refused change is still on record as attempted."""
    with svc.single() as conn:
        conn.execute(
            audit_log.insert().values(
                user_id=actor.user_id,
                username=actor.username,
                **audit_values(svc, action, path, case_id, client_ip, detail),
            )
        )


def audit_values(
    svc: Services,
    action: str,
    path: str,
    case_id: int | None,
    client_ip: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """An audit row's columns but who: bounded to the columns' sizes."""
    if case_id is not None and not 0 < case_id < 2**31:  # no such case: keep the id as text
        detail = {**detail, "case_ref": str(case_id)}
        case_id = None
    return {
        "at": svc.now(),
        "action": action[:20],
        "case_id": case_id,
        "path": path[:200],
        "detail": detail,
        "client_ip": client_ip[:45],
    }
