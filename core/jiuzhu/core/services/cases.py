"""Cases (一人一档): open, assess, grant the entitlement, visit, exit — each an event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import assessment as scoring
from ..access import Actor, PersonView, check_scope, shown_person, shown_text
from ..base import Invalid, NotFound, Refused
from ..domain import (
    Assessment,
    Case,
    CaseEvent,
    CaseStatus,
    Delivery,
    Entitlement,
    Order,
    Person,
    Visit,
)
from ..entitlement import PERIOD_LABELS, amount_text
from ..facts import Population
from ..regions import Region
from ..rules import Eligibility
from ..storage.tables import (
    assessments,
    case_events,
    cases,
    deliveries,
    entitlements,
    orders,
    persons,
    visits,
)
from ..times import local_date
from . import Services, append_event, fetch_one, plain
from .entitlements import (
    EntitlementView,
    entitlement_row,
    entitlement_view,
    lock_entitlement,
    read_entitlement,
    rule_date,
)
from .people import person_facts

__all__ = [
    "EntitlementView",
    "NotFound",
    "entitlement_view",
    "read_entitlement",
    "rule_date",
]

# 回访; 阶段评估 (opens a tiered budget's next stage); 入户走访 / 家访; 督导 (supervision of
# the provider's work); 满意度调查 (periodic satisfaction survey, e.g. quarterly)
VISIT_KINDS = {
    "return": "回访",
    "review": "阶段评估",
    "home": "入户走访",
    "supervision": "服务督导",
    "survey": "满意度调查",
}


def load_case(
    svc: Services, conn: Connection, actor: Actor, case_id: int, lock: bool = False
) -> tuple[Region, Case]:
    row = fetch_one(conn, cases, "case", case_id, lock=lock, id=case_id)
    case = msgspec.convert(row, Case)
    region = svc.region(case.region_id)
    check_scope(actor, region.info, "case", case_id, case.region_id, case.area_code)
    return region, case


def open_case_of(conn: Connection, person: Person, lock: bool = False) -> int | None:
    """The id of the person's case that has not exited, if any."""
    query = select(cases.c.id).where(
        cases.c.person_id == person.id,
        cases.c.region_id == person.region_id,
        cases.c.status != CaseStatus.EXITED,
    )
    found = conn.execute(query.with_for_update() if lock else query).scalar()
    return None if found is None else int(found)


def insert_case(
    svc: Services, conn: Connection, region: Region, actor: Actor, person: Person, reason: str
) -> int:
    """Open the file and record its opening event, inside the caller's unit of work (the
    partial unique index refuses a second open case for the person)."""
    cid = conn.execute(
        cases.insert().values(
            region_id=person.region_id,
            person_id=person.id,
            area_code=person.area_code,
            status=CaseStatus.OPEN,
            opened_at=svc.now(),
        )
    ).inserted_primary_key
    assert cid is not None
    append_event(
        svc, conn, region, cid[0], actor.username, "case.opened", reason, person_id=person.id
    )
    return int(cid[0])


def open_case(svc: Services, actor: Actor, person_id: int, reason: str = "") -> Case:
    actor.require("case.write")
    with svc.transaction() as conn:
        prow = fetch_one(conn, persons, "person", person_id, id=person_id)
        person = msgspec.convert(prow, Person)
        region = svc.region(person.region_id)
        check_scope(actor, region.info, "person", person_id, person.region_id, person.area_code)
        existing = open_case_of(conn, person)
        if existing is not None:
            raise Refused("case.unique", f"该对象已有在档案件 #{existing}", case_id=existing)
        try:
            case_id = insert_case(svc, conn, region, actor, person, reason)
        except IntegrityError:
            raise Refused("case.unique", "该对象已有在档案件") from None
        case = msgspec.convert(fetch_one(conn, cases, "case", case_id, id=case_id), Case)
    return case


def record_assessment(
    svc: Services, actor: Actor, case_id: int, answers: Mapping[str, int], reason: str = ""
) -> Assessment:
    """Score answers with the region's instrument. A re-assessment of a case that already
    holds an entitlement also counts as a stage review (it can open the next tier)."""
    actor.require("assess")
    with svc.transaction() as conn:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == CaseStatus.EXITED:
            raise Refused("case.exited", "案件已退出，不能再评估")
        try:
            result = scoring.score(region.instrument, answers)
        except (KeyError, ValueError) as exc:
            raise Invalid("answers", str(exc).strip("'\"")) from None
        now = svc.now()
        aid = conn.execute(
            assessments.insert().values(
                case_id=case_id,
                instrument=result.instrument,
                answers=dict(answers),
                domain_scores=result.domain_scores,
                total=result.total,
                level=result.level,
                recommended_items=result.recommended_items,
                raised_by=result.raised_by,
                assessed_by=actor.username,
                assessed_at=now,
            )
        ).inserted_primary_key
        assert aid is not None
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "assessment.recorded",
            reason,
            assessment_id=aid[0],
            total=result.total,
            level=result.level,
            raised_by=result.raised_by,
        )
        ent = entitlement_row(conn, case_id, local_date(now).year, lock=True)
        if ent is not None:
            conn.execute(
                update(entitlements)
                .where(entitlements.c.id == ent["id"])
                .values(reviews=entitlements.c.reviews + 1)
            )
            append_event(
                svc,
                conn,
                region,
                case_id,
                actor.username,
                "stage.review",
                "复评视同阶段评估",
                entitlement_id=ent["id"],
            )
        row = fetch_one(conn, assessments, "assessment", aid[0], id=aid[0])
    return msgspec.convert(row, Assessment)


def grant_entitlement(
    svc: Services, actor: Actor, case_id: int, year: int | None = None, reason: str = ""
) -> Entitlement | None:
    """Decide eligibility with the region's rule and grant the year's entitlement under the
    rule a plugin gives for the case's assessment level. With no rule for the level (e.g.
    short-term recipients who only attend group sessions) the case becomes active without
    an individual entitlement, and None is returned."""
    actor.require("grant")
    refused: list[str] | None = None
    granted: Entitlement | None = None
    with svc.transaction() as conn:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == CaseStatus.EXITED:
            raise Refused("case.exited", "案件已退出")
        now = svc.now()
        year = year or local_date(now).year
        on = date(year, 1, 1) if year != local_date(now).year else local_date(now)
        has_assessment = conn.execute(
            select(func.count()).select_from(assessments).where(assessments.c.case_id == case_id)
        ).scalar_one()
        if not has_assessment:
            raise Refused("entitlement.needs_assessment", "请先完成需求评估再授予服务额度")
        if entitlement_row(conn, case_id, year) is not None:
            raise Refused("entitlement.unique", f"{year}年度服务额度已授予")
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
        )
        decision = svc.regions.eligibility(region, Population.of([person_facts(person, on)]), on)
        reasons = decision.reasons(0)
        level = _latest_level(conn, case_id)
        if not bool(decision.eligible[0]):
            # the refusal is part of the history: it commits with this unit, then we refuse
            append_event(
                svc,
                conn,
                region,
                case_id,
                actor.username,
                "eligibility.refused",
                "；".join(reasons),
                rule_version=decision.rule_version,
            )
            refused = reasons
        else:
            granted = _grant(
                svc, conn, region, actor, case, person, year, on, level, decision, reason
            )
    if refused is not None:
        raise Refused("eligibility", "不符合服务类救助条件：" + "；".join(refused), reasons=refused)
    return granted


def _latest_level(conn: Connection, case_id: int) -> str:
    level = conn.execute(
        select(assessments.c.level)
        .where(assessments.c.case_id == case_id)
        .order_by(assessments.c.id.desc())
        .limit(1)
    ).scalar()
    return str(level or "")


def _grant(
    svc: Services,
    conn: Connection,
    region: Region,
    actor: Actor,
    case: Case,
    person: Person,
    year: int,
    on: date,
    level: str,
    decision: Eligibility,
    reason: str,
) -> Entitlement | None:
    now = svc.now()
    reasons = decision.reasons(0)
    q = int(decision.qualifies_by[0])
    pop = Population.of([person_facts(person, on)])
    rule = svc.regions.entitlement_rule(region, on, level, pop)
    if rule is None:
        if case.status == CaseStatus.ACTIVE:
            raise Refused(
                "entitlement.none",
                f"已判定符合条件；评估等级「{level or '未评定'}」"
                f"在{region.info.name}没有个人服务额度",
            )
        conn.execute(update(cases).where(cases.c.id == case.id).values(status=CaseStatus.ACTIVE))
        append_event(
            svc,
            conn,
            region,
            case.id,
            actor.username,
            "case.activated",
            reason or "符合条件；本评估等级无个人服务额度，可参加小组与主题活动等服务",
            year=year,
            level=level,
            reasons=reasons,
            rule_version=decision.rule_version,
        )
        return None
    buckets = rule.buckets()
    amount = sum(b.cap for b in buckets)
    eid = conn.execute(
        entitlements.insert().values(
            case_id=case.id,
            region_id=region.id,
            year=year,
            scheme=rule.scheme,
            unit=rule.unit,
            kind=rule.kind,
            period=rule.period,
            level=level,
            amount=amount,
            used=0,
            reviews=0,
            rule_version=f"{rule.label}; {decision.rule_version}"[:120],
            eligibility_rule=decision.includes[q].id,
            reasons=reasons,
            granted_at=now,
            granted_by=actor.username,
        )
    ).inserted_primary_key
    assert eid is not None
    conn.execute(update(cases).where(cases.c.id == case.id).values(status=CaseStatus.ACTIVE))
    append_event(
        svc,
        conn,
        region,
        case.id,
        actor.username,
        "entitlement.granted",
        reason,
        entitlement_id=eid[0],
        year=year,
        scheme=rule.scheme,
        unit=rule.unit,
        entitlement_kind=rule.kind,
        period=rule.period,
        level=level,
        amount=amount,
        amount_text=f"每{PERIOD_LABELS[rule.period]}{amount_text(rule.unit, amount)}",
        reasons=reasons,
    )
    return read_entitlement(conn, eid[0])


def record_visit(
    svc: Services,
    actor: Actor,
    case_id: int,
    kind: str,
    satisfied: bool | None = None,
    notes: str = "",
    order_id: int | None = None,
) -> Visit:
    """回访 (return visit) or 阶段评估 (stage review: opens the next tier where the scheme
    says so) or 入户走访 (home visit)."""
    actor.require("visit")
    if kind not in VISIT_KINDS:
        raise Invalid("kind", f"应为 {', '.join(VISIT_KINDS)} 之一")
    with svc.transaction() as conn:
        region, _case = load_case(svc, conn, actor, case_id, lock=True)
        if order_id is not None:
            orow = conn.execute(
                select(orders).where(orders.c.id == order_id, orders.c.case_id == case_id)
            ).first()
            if orow is None:
                raise Invalid("order_id", f"工单 {order_id} 不属于案件 {case_id}")
        now = svc.now()
        vid = conn.execute(
            visits.insert().values(
                case_id=case_id,
                order_id=order_id,
                kind=kind,
                satisfied=satisfied,
                notes=notes,
                visited_by=actor.username,
                visited_at=now,
            )
        ).inserted_primary_key
        assert vid is not None
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            f"visit.{kind}",
            notes,
            visit_id=vid[0],
            order_id=order_id,
            satisfied=satisfied,
        )
        if kind == "review":
            ent = entitlement_row(conn, case_id, local_date(now).year, lock=True)
            if ent is not None:
                conn.execute(
                    update(entitlements)
                    .where(entitlements.c.id == ent["id"])
                    .values(reviews=entitlements.c.reviews + 1)
                )
        provider_id = None
        if order_id is not None:
            provider_id = conn.execute(
                select(orders.c.provider_id).where(orders.c.id == order_id)
            ).scalar()
        row = fetch_one(conn, visits, "visit", vid[0], id=vid[0])
    if provider_id is not None:
        from .providers import refresh_light

        refresh_light(svc, provider_id)
    return msgspec.convert(row, Visit)


def exit_case(svc: Services, actor: Actor, case_id: int, reason: str) -> Case:
    """动态退出: cancels orders not yet visited and closes early those between visits
    (refunding what was not delivered), then closes the file."""
    actor.require("case.write")
    if not reason.strip():
        raise Invalid("reason", "退出须说明原因")
    from .orders import cancel_in_transaction

    with svc.transaction() as conn:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == CaseStatus.EXITED:
            raise Refused("case.exited", "案件已退出")
        busy = conn.execute(
            select(orders.c.id).where(orders.c.case_id == case_id, orders.c.status == "in_service")
        ).first()
        if busy is not None:
            raise Refused("case.busy", f"工单 #{busy[0]} 正在服务中，结束后再办理退出")
        open_orders = (
            conn.execute(
                select(orders).where(
                    orders.c.case_id == case_id,
                    orders.c.status.in_(["placed", "dispatched", "accepted"]),
                )
            )
            .mappings()
            .all()
        )
        for o in open_orders:
            order = msgspec.convert(plain(o), Order)
            if order.entitlement_id is not None:
                lock_entitlement(conn, order.entitlement_id)  # case → entitlement → order
            conn.execute(select(orders.c.id).where(orders.c.id == order.id).with_for_update())
            # not yet visited: cancelled; visited: closed early (the rest refunded)
            cancel_in_transaction(svc, conn, region, actor, order, "案件退出")
        now = svc.now()
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(status=CaseStatus.EXITED, closed_at=now, exit_reason=reason)
        )
        append_event(svc, conn, region, case_id, actor.username, "case.exited", reason)
        row = fetch_one(conn, cases, "case", case_id, id=case_id)
    return msgspec.convert(row, Case)


def case_events_of(conn: Connection, case_id: int) -> list[CaseEvent]:
    rows = (
        conn.execute(
            select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.id)
        )
        .mappings()
        .all()
    )
    return [msgspec.convert(plain(r), CaseEvent) for r in rows]


def get_case(svc: Services, actor: Actor, case_id: int) -> Case:
    actor.require("case.read")
    with svc.engine.connect() as conn:
        return load_case(svc, conn, actor, case_id)[1]


class CaseFile(msgspec.Struct, kw_only=True):
    """一人一档: everything about one case, for the API and the pages, shaped for the
    reader (access.shown_person; ID numbers typed into notes and reasons masked)."""

    case: Case
    person: PersonView
    assessments: list[Assessment]
    entitlements: list[Entitlement]
    orders: list[Order]
    deliveries: list[Delivery]
    visits: list[Visit]
    events: list[CaseEvent]


def case_file(svc: Services, actor: Actor, case_id: int) -> CaseFile:
    actor.require("case.read")
    today = local_date(svc.now())

    def text(value: str) -> str:
        return shown_text(actor, value)

    with svc.engine.connect() as conn:
        _region, case = load_case(svc, conn, actor, case_id)
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
        )

        def rows(table: Any, order_col: Any) -> list[dict[str, Any]]:
            return [
                plain(r)
                for r in conn.execute(
                    select(table).where(table.c.case_id == case_id).order_by(order_col)
                ).mappings()
            ]

        return CaseFile(
            case=msgspec.structs.replace(case, exit_reason=text(case.exit_reason)),
            person=shown_person(actor, person, today),
            assessments=[
                msgspec.convert(r, Assessment) for r in rows(assessments, assessments.c.id)
            ],
            entitlements=[
                msgspec.convert(r, Entitlement) for r in rows(entitlements, entitlements.c.year)
            ],
            orders=[
                msgspec.convert({**r, "note": text(r["note"])}, Order)
                for r in rows(orders, orders.c.id)
            ],
            deliveries=deliveries_of_case(conn, case_id),
            visits=[
                msgspec.convert({**r, "notes": text(r["notes"])}, Visit)
                for r in rows(visits, visits.c.id)
            ],
            events=[
                msgspec.structs.replace(e, reason=text(e.reason))
                for e in case_events_of(conn, case_id)
            ],
        )


def deliveries_of_case(conn: Connection, case_id: int) -> list[Delivery]:
    rows = conn.execute(
        select(deliveries)
        .join(orders, orders.c.id == deliveries.c.order_id)
        .where(orders.c.case_id == case_id)
        .order_by(deliveries.c.checkin_at, deliveries.c.id)
    ).mappings()
    return [msgspec.convert(plain(r), Delivery) for r in rows]
