"""Entitlements through the protocol: which rule holds a case's entitlement, what it has
left, and — for floors — what a period fell short of (a supervision finding, never a
refusal).

The rule is resolved from the plugins each time with what the grant recorded (the day of
its rules and the assessment level), so a case keeps its year's rule version.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import Connection, select

from ..access import Actor, area_subtree
from ..base import Invalid, NotFound, Refused
from ..domain import Entitlement, Person
from ..entitlement import (
    PERIOD_LABELS,
    UNIT_LABELS,
    EntitlementRule,
    Shortfall,
    amount_text,
    period_bounds,
    period_key,
    period_label,
    period_of,
)
from ..facts import Population
from ..regions import Region
from ..storage.tables import (
    case_events,
    cases,
    deliveries,
    entitlements,
    orders,
    persons,
)
from ..times import SHANGHAI, local_date
from . import Services, append_event, fetch_one, plain
from .ledger import usage
from .locks import lock_case, lock_entitlement_by_id
from .people import person_facts


def rule_date(ent: Entitlement) -> date:
    """The day whose rules an entitlement was granted under (kept for its whole year)."""
    granted = local_date(ent.granted_at)
    return granted if granted.year == ent.year else date(ent.year, 1, 1)


def person_population(person: Person, on: date) -> Population:
    return Population.of([person_facts(person, on)])


def rule_of(
    svc: Services, conn: Connection, region: Region, ent: Entitlement, person: Person | None = None
) -> EntitlementRule:
    """The rule an entitlement was granted under; Refused if the plugins no longer have it."""
    on = rule_date(ent)
    if person is None:
        case = fetch_one(conn, cases, "case", ent.case_id, id=ent.case_id)
        person = msgspec.convert(
            fetch_one(conn, persons, "person", case["person_id"], id=case["person_id"]), Person
        )
    rule = svc.regions.entitlement_rule(region, on, ent.level, person_population(person, on))
    if rule is None or rule.unit != ent.unit or rule.kind != ent.kind:
        raise Refused(
            "entitlement.rule",
            f"额度 #{ent.id} 的规则（{ent.rule_version}）已不在{region.info.name}的配置中，"
            "请复核后重新授予",
        )
    return rule


def entitlement_row(conn: Connection, case_id: int, year: int) -> dict[str, Any] | None:
    """The case's entitlement for ``year``, read without a lock (locks.lock_entitlement
    takes it in the one lock order)."""
    query = select(entitlements).where(
        entitlements.c.case_id == case_id, entitlements.c.year == year
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else plain(row)


def read_entitlement(conn: Connection, entitlement_id: int) -> Entitlement:
    row = fetch_one(conn, entitlements, "entitlement", entitlement_id, id=entitlement_id)
    return msgspec.convert(row, Entitlement)


def locked_entitlement(conn: Connection, entitlement_id: int) -> Entitlement:
    """The entitlement under its row lock (the second lock: the case must be locked)."""
    return msgspec.convert(lock_entitlement_by_id(conn, entitlement_id), Entitlement)


# --- views --------------------------------------------------------------------------
class BucketView(msgspec.Struct, kw_only=True):
    idx: int
    name: str
    detail: str  # e.g. "40%"
    cap: int  # in the unit
    used: int
    available: int
    live: bool
    categories: list[str]
    opens: str  # what opens it, for people ("" : open from the grant)
    min_days: int = 0
    # its standing in words: 已开放（含…结转…）/ 已结束，结转…至… / 未开放（…）
    state: str = ""


class ShortfallView(msgspec.Struct, kw_only=True):
    """A floor's standing for one period: owed and served, in days and in the unit."""

    case_id: int
    entitlement_id: int
    period: str
    period_label: str
    unit: str
    owed: int
    served: int
    short: int
    days_owed: int
    days: int
    days_short: int
    closed: bool  # the period has ended
    is_short: bool
    text: str
    owed_text: str
    served_text: str
    short_text: str
    person_name: str = ""
    area_code: str = ""


class EntitlementView(msgspec.Struct, kw_only=True):
    entitlement: Entitlement
    scheme_name: str
    unit_label: str
    period: str  # the current period's key
    period_label: str
    buckets: list[BucketView]
    current_bucket: int
    available: int  # in the unit, this period
    available_text: str
    amount_text: str
    used_text: str  # this period
    shortfall: ShortfallView | None = None


def entitlement_view(
    svc: Services,
    actor: Actor,
    case_id: int,
    year: int | None = None,
    period: str | None = None,
) -> EntitlementView:
    """The entitlement of a year in one of its periods (default: the current one)."""
    from .cases import load_case

    actor.require("case.read")
    with svc.reading() as conn:
        region, _case = load_case(svc, conn, actor, case_id)
        today = local_date(svc.now())
        if period is not None:
            try:
                period_of(period)
            except ValueError as exc:
                raise Invalid("period", str(exc)) from None
            year = int(period[:4])
        year = year or today.year
        row = entitlement_row(conn, case_id, year)
        if row is None:
            raise NotFound("entitlement", f"case {case_id}, {year}")
        ent = msgspec.convert(row, Entitlement)
        rule = rule_of(svc, conn, region, ent)
        if period is None:
            day = today if today.year == year else date(year, 1, 1)
            period = period_key(day, rule.period)
        elif period_of(period) != rule.period:
            raise Invalid("period", f"该额度按{PERIOD_LABELS[rule.period]}计，不能按{period}查询")
        buckets = rule.buckets()
        used = usage(conn, ent.id, period, len(buckets))
        finding = _shortfalls(svc, conn, [ent], [rule], period)
    live, available = rule.standing(used[None, :], np.array([ent.reviews], dtype=np.int64))
    views = [
        BucketView(
            idx=i,
            name=b.name,
            detail=b.detail,
            cap=b.cap,
            used=int(used[i]),
            available=int(available[0][i]),
            live=bool(live[0][i]),
            categories=list(b.categories),
            opens=b.opens,
            min_days=b.min_days,
        )
        for i, b in enumerate(buckets)
    ]
    lives = [v.idx for v in views if v.live]
    _describe_states(views, ent.unit)
    total = int(available[0].sum())
    return EntitlementView(
        entitlement=ent,
        scheme_name=rule.name,
        unit_label=UNIT_LABELS[ent.unit],
        period=period,
        period_label=period_label(period),
        buckets=views,
        current_bucket=lives[-1] if lives else -1,
        available=total,
        available_text=amount_text(ent.unit, total),
        amount_text=amount_text(ent.unit, ent.amount),
        used_text=amount_text(ent.unit, int(used.sum())),
        shortfall=finding[0] if finding else None,
    )


def _short_amount(unit: str, value: int) -> str:
    return amount_text(unit, value).replace(".00元", "元")


def _describe_states(views: list[BucketView], unit: str) -> None:
    """Each bucket's standing in words. A bucket before the live one has ended: what it left
    either carried into the next (the next one's available exceeds its own share by it) or
    lapsed; a live bucket says what it carries in; a later one what opens it."""
    live = [v.idx for v in views if v.live]
    current = live[-1] if live else -1
    carry_in = 0
    for v in views:
        extra = max(0, v.available + v.used - v.cap) if v.live else 0
        if v.live:
            v.state = "已开放" + (
                f"（含上一阶段结转{_short_amount(unit, extra)}）" if extra > 0 else ""
            )
            carry_in = 0
        elif v.idx < current:
            left = v.cap + carry_in - v.used
            nxt = views[v.idx + 1]
            into = max(0, nxt.available + nxt.used - nxt.cap) if nxt.live else max(0, left)
            if left <= 0:
                v.state = "已结束（额度已用完）"
                carry_in = 0
            elif into > 0:
                v.state = f"已结束，结转{_short_amount(unit, min(left, into))}至{nxt.name}"
                carry_in = min(left, into)
            else:
                v.state = f"已结束，余额{_short_amount(unit, left)}不结转"
                carry_in = 0
        else:
            v.state = "未开放" + (f"（{v.opens}）" if v.opens else "")


# --- floors: shortfall per case and period ---------------------------------------------
def _days_served(
    conn: Connection, entitlement_ids: list[int], start: date, end: date
) -> dict[int, int]:
    """Distinct local dates of completed visits per entitlement, in [start, end)."""
    lo = datetime.combine(start, datetime.min.time(), SHANGHAI)
    hi = datetime.combine(end, datetime.min.time(), SHANGHAI)
    rows = conn.execute(
        select(orders.c.entitlement_id, deliveries.c.checkin_at)
        .select_from(deliveries.join(orders, orders.c.id == deliveries.c.order_id))
        .where(
            orders.c.entitlement_id.in_(entitlement_ids),
            deliveries.c.checkout_at.is_not(None),
            deliveries.c.checkin_at >= lo,
            deliveries.c.checkin_at < hi,
        )
    ).all()
    days: dict[int, set[date]] = {}
    for eid, at in rows:
        days.setdefault(int(eid), set()).add(local_date(at))
    return {eid: len(d) for eid, d in days.items()}


def _shortfalls(
    svc: Services,
    conn: Connection,
    ents: list[Entitlement],
    rules: list[EntitlementRule],
    period: str,
) -> list[ShortfallView]:
    """Findings of the floors among ``ents`` for ``period`` (caps are left out)."""
    floors = [(e, r) for e, r in zip(ents, rules, strict=True) if r.kind == "floor"]
    if not floors:
        return []
    start, end = period_bounds(period)
    days = _days_served(conn, [e.id for e, _ in floors], start, end)
    closed = local_date(svc.now()) >= end
    out: list[ShortfallView] = []
    for ent, rule in floors:
        used = usage(conn, ent.id, period, len(rule.buckets()))
        found: Shortfall | None = rule.shortfall(
            np.array([int(used.sum())], dtype=np.int64),
            np.array([days.get(ent.id, 0)], dtype=np.int64),
        )
        if found is None:
            continue
        out.append(
            ShortfallView(
                case_id=ent.case_id,
                entitlement_id=ent.id,
                period=period,
                period_label=period_label(period),
                unit=ent.unit,
                owed=int(found.owed[0]),
                served=int(found.served[0]),
                short=int(found.short[0]),
                days_owed=int(found.days_owed[0]),
                days=int(found.days[0]),
                days_short=int(found.days_short[0]),
                closed=closed,
                is_short=found.is_short(0),
                text=found.text(0),
                owed_text=amount_text(ent.unit, int(found.owed[0])),
                served_text=amount_text(ent.unit, int(found.served[0])),
                short_text=amount_text(ent.unit, int(found.short[0])),
            )
        )
    return out


def case_shortfall(
    svc: Services, actor: Actor, case_id: int, period: str | None = None
) -> ShortfallView:
    """What a case's floor owed and what was served in ``period`` (default: the current
    one), computed on read."""
    view = entitlement_view(svc, actor, case_id, period=period)
    if view.shortfall is None:
        raise NotFound("shortfall", f"case {case_id}: the entitlement is not a floor")
    return view.shortfall


def shortfalls(
    svc: Services, actor: Actor, period: str | None = None, only_short: bool = False
) -> list[ShortfallView]:
    """Every floor entitlement in the actor's region and area for ``period`` (default: the
    current month), for supervision."""
    actor.require("stats.read")
    period = period or period_key(local_date(svc.now()), "month")
    try:
        kind = period_of(period)
    except ValueError as exc:
        raise Invalid("period", str(exc)) from None
    region = svc.region(actor.region_id)
    scope = sorted(area_subtree(region.info, actor.area_code))
    year = int(period[:4])
    with svc.reading() as conn:
        rows = conn.execute(
            select(entitlements, persons, cases.c.area_code.label("case_area"))
            .select_from(
                entitlements.join(cases, cases.c.id == entitlements.c.case_id).join(
                    persons, persons.c.id == cases.c.person_id
                )
            )
            .where(
                entitlements.c.region_id == region.id,
                entitlements.c.kind == "floor",
                entitlements.c.period == kind,
                entitlements.c.year == year,
                cases.c.area_code.in_(scope),
            )
            .order_by(entitlements.c.case_id)
        ).all()
        ents: list[Entitlement] = []
        rules: list[EntitlementRule] = []
        names: dict[int, tuple[str, str]] = {}
        for r in rows:
            m = r._mapping
            ent = msgspec.convert({str(c.name): m[c] for c in entitlements.c}, Entitlement)
            person = msgspec.convert({str(c.name): m[c] for c in persons.c}, Person)
            ents.append(ent)
            rules.append(rule_of(svc, conn, region, ent, person))
            names[ent.case_id] = (person.name, str(m["case_area"]))
        found = _shortfalls(svc, conn, ents, rules, period)
    out = []
    named = actor.can("case.read")  # evaluators read figures, not who
    for f in found:
        if only_short and not f.is_short:
            continue
        name, area = names[f.case_id]
        out.append(msgspec.structs.replace(f, person_name=name if named else "", area_code=area))
    return out


def close_period(svc: Services, actor: Actor, region_id: str, period: str) -> list[ShortfallView]:
    """When a period has ended: append ``entitlement.shortfall`` to every case whose floor
    fell short (once per entitlement and period; running it again adds nothing)."""
    actor.require("stats.read")
    try:
        _start, end = period_bounds(period)
    except ValueError as exc:
        raise Invalid("period", str(exc)) from None
    if local_date(svc.now()) < end:
        raise Refused("period.open", f"{period_label(period)}尚未结束，不能结账")
    if actor.region_id != region_id:
        raise NotFound("region", region_id)
    region = svc.region(region_id)
    found = [f for f in shortfalls(svc, actor, period) if f.is_short]

    def record(f: ShortfallView, conn: Connection) -> bool:
        """One finding in its own unit of work, under its case's lock."""
        lock_case(conn, f.case_id)
        done = conn.execute(
            select(case_events.c.detail).where(
                case_events.c.case_id == f.case_id,
                case_events.c.kind == "entitlement.shortfall",
            )
        ).all()
        if any(
            d[0].get("period") == period and d[0].get("entitlement_id") == f.entitlement_id
            for d in done
        ):
            return False
        append_event(
            svc,
            conn,
            region,
            f.case_id,
            actor.username,
            "entitlement.shortfall",
            f"{f.period_label}{f.text}",
            entitlement_id=f.entitlement_id,
            period=period,
            unit=f.unit,
            owed=f.owed,
            served=f.served,
            short=f.short,
            days_owed=f.days_owed,
            days=f.days,
            days_short=f.days_short,
        )
        return True

    return [f for f in found if svc.run(partial(record, f))]
