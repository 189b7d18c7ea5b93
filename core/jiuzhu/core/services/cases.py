"""Cases (一人一档): open, assess, grant the entitlement, visit, exit — each an event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection, Select, Table, bindparam, func, select, update
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
from ..entitlement import PERIOD_LABELS, amount_text, review_interval
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
from . import Services, after_commit, append_event, fetch_one, plain
from .entitlements import (
    EntitlementView,
    entitlement_row,
    entitlement_view,
    read_entitlement,
    rule_date,
    rule_of,
)
from .locks import lock_case, lock_entitlement
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
    """The case, checked against the actor's scope; with ``lock`` its row lock, the first
    lock of the one order (case → entitlement → order, see locks.py)."""
    row = lock_case(conn, case_id) if lock else fetch_one(conn, cases, "case", case_id, id=case_id)
    case = msgspec.convert(row, Case)
    region = svc.region(case.region_id)
    check_scope(actor, region.info, "case", case_id, case.region_id, case.area_code)
    return region, case


def open_case_of(conn: Connection, person: Person, lock: bool = False) -> int | None:
    """The id of the person's case that has not exited, if any; with ``lock``, locked as
    ``lock_case`` does (the first lock of the one order)."""
    query = select(cases.c.id).where(
        cases.c.person_id == person.id,
        cases.c.region_id == person.region_id,
        cases.c.status != CaseStatus.EXITED,
    )
    found = conn.execute(query.with_for_update(key_share=True) if lock else query).scalar()
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

    def work(conn: Connection) -> Case:
        prow = fetch_one(conn, persons, "person", person_id, id=person_id)
        person = msgspec.convert(prow, Person)
        region = svc.region(person.region_id)
        check_scope(actor, region.info, "person", person_id, person.region_id, person.area_code)
        existing = open_case_of(conn, person)
        if existing is not None:
            raise Refused("case.unique", f"该对象已有在档案件 #{existing}", case_id=existing)
        case_id = insert_case(svc, conn, region, actor, person, reason)
        return msgspec.convert(fetch_one(conn, cases, "case", case_id, id=case_id), Case)

    try:
        return svc.run(work)
    except IntegrityError:  # a concurrent opening won the partial unique index
        raise Refused("case.unique", "该对象已有在档案件") from None


def record_assessment(
    svc: Services, actor: Actor, case_id: int, answers: Mapping[str, int], reason: str = ""
) -> Assessment:
    """Score answers with the region's instrument. A re-assessment of a case that already
    holds this year's entitlement also counts as a stage review (it can open the next tier)
    when the scheme's minimum interval has passed; otherwise it is recorded and the case
    history says why it did not count."""
    actor.require("assess")

    def work(conn: Connection) -> Assessment:
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
        ent = lock_entitlement(conn, case_id, local_date(now).year)
        if ent is not None:
            refusal = _review_too_soon(svc, conn, region, ent, now)
            if refusal is None:
                _count_review(svc, conn, region, actor, ent, "复评视同阶段评估", "assessment")
            else:
                append_event(
                    svc,
                    conn,
                    region,
                    case_id,
                    actor.username,
                    "stage.review_not_counted",
                    refusal.detail,
                    entitlement_id=ent["id"],
                    **refusal.facts,
                )
        row = fetch_one(conn, assessments, "assessment", aid[0], id=aid[0])
        return msgspec.convert(row, Assessment)

    return svc.run(work)


def _review_too_soon(
    svc: Services, conn: Connection, region: Region, ent: dict[str, Any], now: datetime
) -> Refused | None:
    """Why a stage review now would not count (the scheme's minimum interval since the
    grant and the previous counted review), or None when it counts."""
    entitlement = msgspec.convert(ent, Entitlement)
    interval = review_interval(rule_of(svc, conn, region, entitlement))
    if interval is None:
        return None
    since = max([entitlement.granted_at, *_counted_reviews(conn, entitlement)])
    ready = since + timedelta(days=interval.days)
    if now >= ready:
        return None
    last = "授予" if since == entitlement.granted_at else "上次阶段评估"
    note = "（间隔为示例值）" if interval.illustrative else ""
    return Refused(
        "stage.interval",
        f"距{last}（{local_date(since)}）不足{interval.days}天{note}，"
        f"阶段评估须在{local_date(ready)}之后进行才能开放下一阶段",
        min_interval_days=interval.days,
        last=local_date(since).isoformat(),
        ready=local_date(ready).isoformat(),
    )


def _counted_reviews(conn: Connection, ent: Entitlement) -> list[datetime]:
    rows = conn.execute(
        select(case_events.c.at, case_events.c.detail).where(
            case_events.c.case_id == ent.case_id, case_events.c.kind == "stage.review"
        )
    ).all()
    return [at for at, detail in rows if detail.get("entitlement_id") == ent.id]


def _count_review(
    svc: Services,
    conn: Connection,
    region: Region,
    actor: Actor,
    ent: dict[str, Any],
    reason: str,
    source: str,
    **detail: Any,
) -> None:
    """One counted stage review: the entitlement's count and an event recording it."""
    conn.execute(
        update(entitlements)
        .where(entitlements.c.id == ent["id"])
        .values(reviews=entitlements.c.reviews + 1)
    )
    append_event(
        svc,
        conn,
        region,
        ent["case_id"],
        actor.username,
        "stage.review",
        reason,
        entitlement_id=ent["id"],
        review=int(ent["reviews"]) + 1,
        source=source,
        **detail,
    )


def grant_entitlement(
    svc: Services, actor: Actor, case_id: int, year: int | None = None, reason: str = ""
) -> Entitlement | None:
    """Decide eligibility with the region's rule and grant the year's entitlement under the
    rule a plugin gives for the case's assessment level. With no rule for the level (e.g.
    short-term recipients who only attend group sessions) the case becomes active without
    an individual entitlement, and None is returned. The year must fall within the
    person's life and be at most next year, and the region's rules must be in force in it."""
    actor.require("grant")

    def work(conn: Connection) -> Entitlement | list[str] | None:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == CaseStatus.EXITED:
            raise Refused("case.exited", "案件已退出")
        now = svc.now()
        today = local_date(now)
        y = today.year if year is None else year
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
        )
        born = person.birth_date.year
        level = _latest_level(conn, case_id)

        def shown() -> str:
            return "、".join(str(v) for v in grant_years(svc, region, today, level, person)) or "无"

        if not MIN_YEAR <= y <= today.year + 1:
            raise Invalid(
                "year", f"年度应在{MIN_YEAR}至{today.year + 1}年之间；可授予的年度：{shown()}"
            )
        if y < born:
            raise Invalid("year", f"{y}年早于服务对象出生年份（{born}年）；可授予的年度：{shown()}")
        on = grant_date(y, today)
        if not rules_in_force(svc, region, on, level, person):
            raise Invalid(
                "year", f"{region.info.name}{y}年度没有生效的额度规则；可授予的年度：{shown()}"
            )
        has_assessment = conn.execute(
            select(func.count()).select_from(assessments).where(assessments.c.case_id == case_id)
        ).scalar_one()
        if not has_assessment:
            raise Refused("entitlement.needs_assessment", "请先完成需求评估再授予服务额度")
        if entitlement_row(conn, case_id, y) is not None:
            raise Refused("entitlement.unique", f"{y}年度服务额度已授予")
        decision = svc.regions.eligibility(region, Population.of([person_facts(person, on)]), on)
        reasons = decision.reasons(0)
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
            return reasons
        return _grant(svc, conn, region, actor, case, person, y, on, level, decision, reason)

    outcome = svc.run(work)
    if isinstance(outcome, list):
        raise Refused("eligibility", "不符合服务类救助条件：" + "；".join(outcome), reasons=outcome)
    return outcome


MIN_YEAR = 1900  # no entitlement year before this is plausible


def grant_date(year: int, today: date) -> date:
    """The day whose rules and facts decide a grant for ``year``: today for this year,
    else 1 January of that year."""
    return today if year == today.year else date(year, 1, 1)


def rules_in_force(
    svc: Services, region: Region, on: date, level: str = "", person: Person | None = None
) -> bool:
    """Whether the region's entitlement rules are in force on ``on`` (a rule, or none for
    the level, rather than a date before the scheme's first version)."""
    people = Population.of([person_facts(person, on)]) if person is not None else None
    try:
        svc.regions.entitlement_rule(region, on, level, people)
    except LookupError:
        return False
    return True


def grant_years(
    svc: Services, region: Region, today: date, level: str = "", person: Person | None = None
) -> list[int]:
    """The years an entitlement may be granted for: from the person's birth (or
    ``MIN_YEAR``) up to next year, each whose rules are in force on its grant date."""
    first = MIN_YEAR if person is None else max(MIN_YEAR, person.birth_date.year)
    return [
        y
        for y in range(first, today.year + 2)
        if rules_in_force(svc, region, grant_date(y, today), level, person)
    ]


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
    """回访 (return visit), 阶段评估 (stage review: opens the next tier where the scheme
    says so, once its minimum interval has passed — sooner is refused), 入户走访 (home
    visit), 服务督导 (supervision) or 满意度调查 (satisfaction survey)."""
    actor.require("visit")
    if kind not in VISIT_KINDS:
        raise Invalid("kind", f"应为 {', '.join(VISIT_KINDS)} 之一")

    def work(conn: Connection) -> Visit:
        region, _case = load_case(svc, conn, actor, case_id, lock=True)
        provider_id = None
        if order_id is not None:
            orow = conn.execute(
                select(orders.c.provider_id).where(
                    orders.c.id == order_id, orders.c.case_id == case_id
                )
                if 0 < order_id < 2**31
                else select(orders.c.provider_id).where(orders.c.id == -1)
            ).first()
            if orow is None:
                raise Invalid("order_id", f"工单 {order_id} 不属于案件 {case_id}")
            provider_id = orow[0]
        now = svc.now()
        ent = lock_entitlement(conn, case_id, local_date(now).year) if kind == "review" else None
        if ent is not None:
            too_soon = _review_too_soon(svc, conn, region, ent, now)
            if too_soon is not None:
                raise too_soon
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
        if ent is not None:
            _count_review(svc, conn, region, actor, ent, "阶段评估回访", "visit", visit_id=vid[0])
        if provider_id is not None:
            from .providers import refresh_light

            pid = int(provider_id)
            after_commit(conn, lambda: refresh_light(svc, pid))
        return msgspec.convert(fetch_one(conn, visits, "visit", vid[0], id=vid[0]), Visit)

    return svc.run(work)


def exit_case(svc: Services, actor: Actor, case_id: int, reason: str) -> Case:
    """动态退出: cancels orders not yet visited and closes early those between visits
    (refunding what was not delivered), then closes the file. Locks in the one order: the
    case, then per open order its entitlement and the order."""
    actor.require("case.write")
    if not reason.strip():
        raise Invalid("reason", "退出须说明原因")
    from .orders import cancel_in_transaction

    def work(conn: Connection) -> Case:
        region, case = load_case(svc, conn, actor, case_id, lock=True)
        if case.status == CaseStatus.EXITED:
            raise Refused("case.exited", "案件已退出")
        busy = conn.execute(
            select(orders.c.id).where(orders.c.case_id == case_id, orders.c.status == "in_service")
        ).first()
        if busy is not None:
            raise Refused("case.busy", f"工单 #{busy[0]} 正在服务中，结束后再办理退出")
        open_orders = conn.execute(
            select(orders.c.id)
            .where(
                orders.c.case_id == case_id,
                orders.c.status.in_(["placed", "dispatched", "accepted"]),
            )
            .order_by(orders.c.entitlement_id, orders.c.id)
        ).scalars()
        for oid in list(open_orders):
            # not yet visited: cancelled; visited: closed early (the rest refunded)
            cancel_in_transaction(svc, conn, region, actor, int(oid), "案件退出")
        now = svc.now()
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(status=CaseStatus.EXITED, closed_at=now, exit_reason=reason)
        )
        append_event(svc, conn, region, case_id, actor.username, "case.exited", reason)
        return msgspec.convert(fetch_one(conn, cases, "case", case_id, id=case_id), Case)

    return svc.run(work)


def case_events_of(conn: Connection, case_id: int) -> list[CaseEvent]:
    rows = conn.execute(_OF_CASE["case_events"], {"case_id": case_id}).mappings().all()
    return [msgspec.convert(plain(r), CaseEvent) for r in rows]


def get_case(svc: Services, actor: Actor, case_id: int) -> Case:
    actor.require("case.read")
    with svc.reading() as conn:
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

    with svc.reading() as conn:
        _region, case = load_case(svc, conn, actor, case_id)
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case.person_id, id=case.person_id), Person
        )

        def rows(table: Table) -> list[dict[str, Any]]:
            return [plain(r) for r in conn.execute(_OF_CASE[table.name], key).mappings()]

        key = {"case_id": case_id}

        return CaseFile(
            case=msgspec.structs.replace(case, exit_reason=text(case.exit_reason)),
            person=shown_person(actor, person, today),
            assessments=[msgspec.convert(r, Assessment) for r in rows(assessments)],
            entitlements=[msgspec.convert(r, Entitlement) for r in rows(entitlements)],
            orders=[msgspec.convert({**r, "note": text(r["note"])}, Order) for r in rows(orders)],
            deliveries=deliveries_of_case(conn, case_id),
            visits=[msgspec.convert({**r, "notes": text(r["notes"])}, Visit) for r in rows(visits)],
            events=[
                msgspec.structs.replace(e, reason=text(e.reason))
                for e in case_events_of(conn, case_id)
            ],
        )


# What a case file lists, built once (read on every view of a case): by ``case_id``.
_OF_CASE: dict[str, Select[Any]] = {
    t.name: select(t).where(t.c.case_id == bindparam("case_id")).order_by(col)
    for t, col in (
        (assessments, assessments.c.id),
        (entitlements, entitlements.c.year),
        (orders, orders.c.id),
        (visits, visits.c.id),
        (case_events, case_events.c.id),
    )
}
_OF_CASE["deliveries"] = (
    select(deliveries)
    .join(orders, orders.c.id == deliveries.c.order_id)
    .where(orders.c.case_id == bindparam("case_id"))
    .order_by(deliveries.c.checkin_at, deliveries.c.id)
)


def deliveries_of_case(conn: Connection, case_id: int) -> list[Delivery]:
    rows = conn.execute(_OF_CASE["deliveries"], {"case_id": case_id}).mappings()
    return [msgspec.convert(plain(r), Delivery) for r in rows]
