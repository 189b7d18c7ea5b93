"""Leads from people and the verification visit every signal calls for.

- A 救助顾问 (adviser), a 需求哨点 (sentinel) or the hotline reports a lead: a name, where the
  person lives and what is wrong; no ID number is needed. It joins the queue of warnings
  with a level and the level's deadline.
- A worker verifies at home (核实走访) and records the outcome: no hardship, apply through
  the one form, open a case, or already served. A case opened here, or later from an
  application the visit led to, records how the person was found (``case_sources``).
- Signals past their deadline are escalated (once), like overdue orders.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor, area_codes, check_scope
from jiuzhu.core.base import Base, Invalid, NotFound, Refused
from jiuzhu.core.domain import Person
from jiuzhu.core.services import Services, plain
from jiuzhu.core.services.cases import exit_case, insert_case, open_case_of
from jiuzhu.core.storage.tables import cases, persons
from jiuzhu.core.times import local_date

from .roles import ADVISER, SENTINEL
from .service import SignalView, monitoring_of, person_ids, shown_signal
from .tables import case_sources, signals

OUTCOMES = {
    "no_hardship": "经核实无困难",
    "apply": "引导一表申请",
    "open_case": "纳入救助（建档）",
    "served": "已在册服务",
    "exit": "核实后退出",  # an exit review (income above the line): the case exits
}


class NewLead(Base, frozen=True, kw_only=True):
    """A lead as reported (一键求助 / 哨点上报 / 热线)."""

    name: str
    area_code: str
    description: str
    phone: str = ""
    address: str = ""
    id_number: str = ""
    level: str = "yellow"


def lead_source(actor: Actor) -> str:
    if actor.role == ADVISER:
        return "adviser"
    if actor.role == SENTINEL:
        return "sentinel"
    return "hotline"


def report_lead(svc: Services, actor: Actor, lead: NewLead) -> SignalView:
    """Add a lead to the queue of the actor's region; refused with the field named when a
    value is wrong, and nothing written."""
    actor.require("leads.report")
    region = svc.region(actor.region_id)
    monitoring = monitoring_of(region)
    name = lead.name.strip()
    if not name or len(name) > 60:
        raise Invalid("name", "请填写姓名或称呼（至多60字）")
    description = lead.description.strip()
    if not description or len(description) > 1000:
        raise Invalid("description", "请说明困难情况（至多1000字）")
    if lead.area_code not in area_codes(actor, region.info):
        raise Invalid("area_code", "请选择您负责范围内的区划")
    if lead.level not in ("red", "orange", "yellow"):
        raise Invalid("level", "紧急程度应为红、橙、黄之一")
    phone = lead.phone.strip()
    if phone and not (phone.replace("-", "").isdigit() and len(phone) <= 20):
        raise Invalid("phone", "电话应为数字")
    number = ""
    if lead.id_number.strip():
        try:
            number = idcard.validate(lead.id_number, local_date(svc.now()))
        except ValueError as exc:
            raise Invalid("id_number", str(exc)) from None
    level = monitoring.level(lead.level)

    def work(conn: Connection) -> dict[str, Any]:
        now = svc.now()
        person_id = person_ids(conn, region.id, [number]).get(number) if number else None
        values = {
            "region_id": region.id,
            "area_code": lead.area_code,
            "source": lead_source(actor),
            "level": lead.level,
            "person_id": person_id,
            "id_number": number,
            "name": name,
            "phone": phone,
            "address": lead.address.strip()[:200],
            "description": description,
            "trigger": {"reported_by_role": actor.label},
            "status": "open",
            "reported_by": actor.username,
            "created_at": now,
            "due_at": now + timedelta(hours=level.response_hours),
        }
        sid = conn.execute(signals.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
        return {**values, "id": sid, "rule": "", "rule_name": "", "value": 0, "outcome": ""}

    row = svc.run(work)
    return shown_signal(actor, monitoring, row, svc.now())


def _exit_for(svc: Services, actor: Actor, region: Any, signal_id: int, note: str) -> int:
    """The outcome "exit": the person's open case exits through the core's exit_case (its
    own unit of work: orders cancelled or closed early and refunded)."""
    actor.require("case.write")
    with svc.reading() as conn:
        row = _signal(conn, actor, region.info, signal_id, lock=False)
        if row["status"] == "closed":
            raise Refused("warnings.closed", "该预警已核实办结")
        person = None
        if row["person_id"] is not None:
            found = conn.execute(select(persons).where(persons.c.id == row["person_id"]))
            person = msgspec.convert(plain(found.mappings().one()), Person)
        case_id = open_case_of(conn, person) if person is not None else None
    if case_id is None:
        raise Refused("warnings.not_served", "此人没有在办的救助档案，无需退出")
    reason = f"动态监测：{row['rule_name'] or '核实'}（预警#{signal_id}）{note.strip()}"
    exit_case(svc, actor, case_id, reason[:500])
    return case_id


def get_signal(svc: Services, actor: Actor, signal_id: int) -> SignalView:
    """One signal of the actor's area (out of scope looks like absent)."""
    if not (actor.can("warnings.read") or actor.can("warnings.visit")):
        raise Refused("access", f"角色「{actor.label}」无权查看预警（warnings.read）")
    region = svc.region(actor.region_id)
    with svc.reading() as conn:
        row = _signal(conn, actor, region.info, signal_id, lock=False)
    return shown_signal(actor, monitoring_of(region), row, svc.now())


def _signal(
    conn: Connection, actor: Actor, info: Any, signal_id: int, lock: bool
) -> dict[str, Any]:
    if not 0 < signal_id < 2**31:
        raise NotFound("warning", signal_id)
    query = select(signals).where(signals.c.id == signal_id)
    found = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if found is None:
        raise NotFound("warning", signal_id)
    row = plain(found)
    check_scope(actor, info, "warning", signal_id, row["region_id"], row["area_code"])
    return row


class VisitResult(msgspec.Struct, kw_only=True):
    signal: SignalView
    outcome: str
    outcome_label: str
    case_id: int | None = None
    apply_id_number: str = ""  # for the one-form's intake (POST /apply/find), pre-filled


def record_visit(
    svc: Services, actor: Actor, signal_id: int, outcome: str, note: str = ""
) -> VisitResult:
    """The verification visit's outcome closes the signal; ``open_case`` opens the person's
    case (through the core's insert_case, in the same unit of work) and records how the
    person was found."""
    actor.require("warnings.visit")
    if outcome not in OUTCOMES:
        raise Invalid("outcome", f"核实结果应为：{'、'.join(OUTCOMES.values())}")
    region = svc.region(actor.region_id)
    monitoring = monitoring_of(region)
    exited: int | None = None
    if outcome == "exit":
        exited = _exit_for(svc, actor, region, signal_id, note)

    def work(conn: Connection) -> tuple[dict[str, Any], int | None]:
        row = _signal(conn, actor, region.info, signal_id, lock=True)
        if row["status"] == "closed":
            raise Refused(
                "warnings.closed", f"该预警已核实办结（{OUTCOMES.get(row['outcome'], '')}）"
            )
        person: Person | None = None
        if row["person_id"] is not None:
            found = conn.execute(select(persons).where(persons.c.id == row["person_id"]))
            person = msgspec.convert(plain(found.mappings().one()), Person)
        case_id: int | None = exited
        if outcome in ("open_case", "served"):
            if person is None:
                raise Refused(
                    "warnings.unregistered",
                    "此人尚未登记：请先登记，或选择“引导一表申请”",
                )
            case_id = open_case_of(conn, person, lock=True)
            if outcome == "served" and case_id is None:
                raise Refused("warnings.not_served", "此人没有在办的救助档案，不能选“已在册服务”")
            if outcome == "open_case":
                if case_id is not None:
                    raise Refused(
                        "warnings.has_case", f"此人已有在办档案（#{case_id}），请选“已在册服务”"
                    )
                reason = f"政策找人：{row['rule_name'] or '线索'}（预警#{signal_id}）"
                case_id = insert_case(svc, conn, region, actor, person, reason)
                conn.execute(
                    case_sources.insert().values(
                        case_id=case_id,
                        region_id=region.id,
                        source=row["source"],
                        signal_id=signal_id,
                        recorded_at=svc.now(),
                    )
                )
        now = svc.now()
        conn.execute(
            signals.update()
            .where(signals.c.id == signal_id)
            .values(
                status="closed",
                outcome=outcome,
                visited_by=actor.username,
                note=note.strip()[:1000],
                closed_at=now,
                case_id=case_id,
            )
        )
        row.update(status="closed", outcome=outcome, closed_at=now, case_id=case_id)
        return row, case_id

    row, case_id = svc.run(work)
    view = shown_signal(actor, monitoring, row, svc.now())
    return VisitResult(
        signal=view,
        outcome=outcome,
        outcome_label=OUTCOMES[outcome],
        case_id=case_id,
        apply_id_number=view.id_number if outcome == "apply" and row["id_number"] else "",
    )


def case_source(svc: Services, case_id: int) -> str:
    """How a case's person was found: recorded when a visit opened it; for a case opened
    otherwise, the source of the closed signal whose visit sent the person to apply
    (before the case was opened), else an application (主动申请)."""
    with svc.reading() as conn:
        found = conn.execute(
            select(case_sources.c.source).where(case_sources.c.case_id == case_id)
        ).scalar()
        if found is not None:
            return str(found)
        case = conn.execute(
            select(cases.c.region_id, cases.c.person_id, cases.c.opened_at).where(
                cases.c.id == case_id
            )
        ).first()
        if case is None:
            raise NotFound("case", case_id)
        sent = conn.execute(
            select(signals.c.source)
            .where(
                signals.c.region_id == case[0],
                signals.c.person_id == case[1],
                signals.c.outcome == "apply",
                signals.c.closed_at <= case[2],
            )
            .order_by(signals.c.closed_at.desc())
        ).first()
    return str(sent[0]) if sent else "application"


def escalate_overdue(svc: Services, actor: Actor) -> int:
    """Mark every open signal of the actor's area past its deadline as escalated (once);
    returns how many."""
    actor.require("warnings.read")
    info = svc.region(actor.region_id).info

    def work(conn: Connection) -> int:
        now = svc.now()
        result = conn.execute(
            signals.update()
            .where(
                signals.c.region_id == actor.region_id,
                signals.c.area_code.in_(area_codes(actor, info)),
                signals.c.status != "closed",
                signals.c.due_at < now,
                signals.c.escalated_at.is_(None),
            )
            .values(escalated_at=now)
        )
        return int(result.rowcount)

    return svc.run(work)
