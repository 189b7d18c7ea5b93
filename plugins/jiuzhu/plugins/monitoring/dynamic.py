"""Dynamic monitoring of people already served (动态监测): re-certification when due, and
what feeds say about them — a death record exits the case (the core's ``exit_case``:
open orders cancelled or closed early and refunded, the ledger balanced), income above the
region's line opens an exit review in the queue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Connection, func, select

from jiuzhu.core.access import Actor, case_scope
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.services import Services, append_event
from jiuzhu.core.services.cases import exit_case, load_case
from jiuzhu.core.storage.tables import case_events, cases, persons
from jiuzhu.core.times import local_date

from .service import monitoring_of
from .tables import feed_rows

RECERTIFIED = "case.recertified"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class Due(msgspec.Struct, kw_only=True):
    case_id: int
    person_id: int
    name: str
    area_code: str
    since: date  # opened or last re-certified (local date)
    due_on: date


def due_recertifications(svc: Services, actor: Actor, on: date | None = None) -> list[Due]:
    """Open cases of the actor's area whose re-certification is due on ``on`` (today):
    ``recertify_months`` after they were opened or last re-certified."""
    actor.require("case.read")
    region = svc.region(actor.region_id)
    months = monitoring_of(region).recertify_months
    today = on or local_date(svc.now())
    last = (
        select(case_events.c.case_id, func.max(case_events.c.at).label("at"))
        .where(case_events.c.kind == RECERTIFIED)
        .group_by(case_events.c.case_id)
        .subquery()
    )
    query = (
        select(
            cases.c.id,
            cases.c.person_id,
            persons.c.name,
            cases.c.area_code,
            cases.c.opened_at,
            last.c.at,
        )
        .join(persons, persons.c.id == cases.c.person_id)
        .outerjoin(last, last.c.case_id == cases.c.id)
        .where(case_scope(actor, region.info), cases.c.status != "exited")
        .order_by(cases.c.id)
    )
    out: list[Due] = []
    with svc.reading() as conn:
        for cid, pid, name, area, opened, recertified in conn.execute(query):
            since = local_date(recertified or opened)
            due_on = add_months(since, months)
            if due_on <= today:
                out.append(
                    Due(
                        case_id=int(cid),
                        person_id=int(pid),
                        name=str(name),
                        area_code=str(area),
                        since=since,
                        due_on=due_on,
                    )
                )
    return sorted(out, key=lambda d: (d.due_on, d.case_id))


class Recertified(msgspec.Struct, kw_only=True):
    case_id: int
    on: date
    next_due_on: date


def recertify(svc: Services, actor: Actor, case_id: int, note: str) -> Recertified:
    """Record that the case was re-certified (the person still qualifies): an event on the
    case, which restarts its period."""
    actor.require("case.write")
    if not note.strip():
        raise Invalid("note", "请填写复核情况")

    def work(conn: Connection) -> None:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == "exited":
            raise Refused("case.exited", "案件已退出")
        append_event(svc, conn, region, case_id, actor.username, RECERTIFIED, note.strip())

    svc.run(work)
    today = local_date(svc.now())
    months = monitoring_of(svc.region(actor.region_id)).recertify_months
    return Recertified(case_id=case_id, on=today, next_due_on=add_months(today, months))


class Effects(msgspec.Struct, kw_only=True):
    exited: list[int] = []  # cases closed on a death record
    refused: list[str] = []  # why a case could not be closed now (e.g. an order in service)


def apply_deaths(svc: Services, actor: Actor, load_id: int) -> Effects:
    """After a death feed's load: each matched person with an open case has it exited
    through the core (``exit_case``: orders cancelled or closed early, refunds booked), one
    unit of work per case; a case that cannot be closed now is reported, not half-closed."""
    region = svc.region(actor.region_id)
    monitoring = monitoring_of(region)
    with svc.reading() as conn:
        load_rows = conn.execute(
            select(feed_rows.c.kind, feed_rows.c.person_id, feed_rows.c.on_date, cases.c.id)
            .join(cases, cases.c.person_id == feed_rows.c.person_id)
            .where(
                feed_rows.c.load_id == load_id,
                cases.c.region_id == region.id,
                cases.c.status != "exited",
            )
            .order_by(cases.c.id)
        ).all()
    out = Effects()
    for kind_code, _pid, died_on, case_id in load_rows:
        kind = monitoring.kind(str(kind_code))
        if kind.effect != "death":
            continue
        reason = f"死亡登记（{kind.department}数据，{died_on}）"
        try:
            exit_case(svc, actor, int(case_id), reason)
            out.exited.append(int(case_id))
        except Refused as exc:
            out.refused.append(f"案件#{case_id}：{exc.detail}")
    return out


def income_reviews(
    conn: Connection, region_id: str, line_fen: int, load_id: int
) -> list[dict[str, Any]]:
    """Rows of an income feed's load above the line, for persons with an open case."""
    rows = conn.execute(
        select(feed_rows.c.id, feed_rows.c.person_id, feed_rows.c.id_number, feed_rows.c.data)
        .join(cases, cases.c.person_id == feed_rows.c.person_id)
        .where(
            feed_rows.c.load_id == load_id,
            cases.c.region_id == region_id,
            cases.c.status != "exited",
        )
    ).all()
    return [
        {"row_id": int(r[0]), "person_id": int(r[1]), "id_number": str(r[2]), "data": r[3]}
        for r in rows
        if isinstance(r[3].get("income_fen"), int) and r[3]["income_fen"] > line_fen
    ]
