"""Statistics in households (户), persons (人), person-times (人次), hours and money by
funding source.

One definition of 人次 (see ``catalogue.Item.visits``): one person-time per visit
(delivery) checked out — an order of 5 massages delivered in 5 visits is 5 person-times,
a group session counts once per attendee. Hours are the visits' minutes; money is what the
delivered orders cost net of refunds. One grouped query per measure, scoped to the actor's
region and area subtree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Connection, String, and_, case, func, literal, select

from ..access import Actor, area_subtree
from ..base import Invalid
from ..plugins import PluginError
from ..regions import Region
from ..storage.tables import (
    cases,
    deliveries,
    ledger,
    orders,
    persons,
    providers,
    stats_money,
    stats_reach,
    stats_reach_count,
    stats_sums,
)
from ..times import SHANGHAI, local_date
from . import Services, rollups

GroupBy = Literal["region", "area", "item", "provider", "category", "month"]


class StatRow(msgspec.Struct, kw_only=True):
    key: str
    label: str
    households: int  # a person without a household counts as one
    persons: int
    person_times: int
    hours: float
    amount_fen: int


class Stats(msgspec.Struct, kw_only=True):
    region_id: str
    group_by: str
    start: date | None
    end: date | None
    rows: list[StatRow]
    total: StatRow
    funding: dict[str, int]  # source code -> net fen of delivered orders (adds to the total)
    funding_names: dict[str, str]
    # source code -> net fen the ledger holds for live orders (placed … delivered), by the
    # month each ledger row was written
    funding_committed: dict[str, int] = {}


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(start, time(), SHANGHAI).astimezone(UTC) if start else None
    hi = (
        datetime.combine(end + timedelta(days=1), time(), SHANGHAI).astimezone(UTC) if end else None
    )
    return lo, hi


def statistics(
    svc: Services,
    actor: Actor,
    group_by: str = "item",
    area: str | None = None,
    start: date | None = None,
    end: date | None = None,
    provider_id: int | None = None,
    item_code: str | None = None,
) -> Stats:
    actor.require("stats.read")
    region = svc.region(actor.region_id)
    if group_by not in ("region", "area", "item", "provider", "category", "month"):
        raise Invalid("group_by", "应为 region, area, item, provider, category, month 之一")
    scope = area_subtree(region.info, actor.area_code)
    if area is not None:
        if area not in scope:
            raise Invalid("area", f"{area} 不在可查看的区域内")
        scope = area_subtree(region.info, area)
    period = _rollup_period(start, end)
    with svc.reading() as conn:
        if period is not None and provider_id is None and item_code is None:
            whole = scope == area_subtree(region.info, region.info.code)
            rows, total, amounts, money, held = _from_rollups(
                conn, region, group_by, scope, whole, period
            )
        else:
            rows, total, amounts, money, held = _scan(
                conn, region, group_by, scope, start, end, provider_id, item_code
            )
        names = _labels(conn, group_by, region)
    source_names = funding_source_names(svc, region)
    for code in [*money, *held]:
        source_names.setdefault(code, code)
    keys = {str(r[0]) for r in rows} | set(amounts)
    by_key = {str(r[0]): r for r in rows}
    return Stats(
        region_id=region.id,
        group_by=group_by,
        start=start,
        end=end,
        rows=[
            _row(k, names.get(k, k), by_key.get(k, (k, 0, 0, 0, 0)), amounts.get(k, 0))
            for k in sorted(keys)
        ],
        total=_row("total", "合计", (None, *total), sum(amounts.values())),
        funding={code: money.get(code, 0) for code in source_names},
        funding_names=source_names,
        funding_committed={code: held.get(code, 0) for code in source_names},
    )


# (rows, total, money per key, delivered money per source, committed money per source)
Figures = tuple[
    list[tuple[Any, ...]], tuple[Any, ...], dict[str, int], dict[str, int], dict[str, int]
]


def _scan(
    conn: Connection,
    region: Region,
    group_by: str,
    scope: set[str],
    start: date | None,
    end: date | None,
    provider_id: int | None,
    item_code: str | None,
) -> Figures:
    """The figures from the history itself (windows of arbitrary days, provider and item
    filters): one grouped query per measure. The rollups must give the same."""
    lo, hi = _bounds(start, end)
    scoped: list[ColumnElement[bool]] = [
        orders.c.region_id == region.id,
        cases.c.area_code.in_(sorted(scope)),
    ]
    if provider_id is not None:
        scoped.append(orders.c.provider_id == provider_id)
    if item_code is not None:
        scoped.append(orders.c.item_code == item_code)
    # person-times and hours: visits checked out in the window
    visited = [*scoped, deliveries.c.checkout_at.is_not(None)]
    if lo is not None:
        visited.append(deliveries.c.checkout_at >= lo)
    if hi is not None:
        visited.append(deliveries.c.checkout_at < hi)
    joined = deliveries.join(orders, orders.c.id == deliveries.c.order_id).join(
        cases, cases.c.id == orders.c.case_id
    )
    household = case(
        (persons.c.household_id.is_(None), -cases.c.person_id), else_=persons.c.household_id
    )
    with_people = joined.join(persons, persons.c.id == cases.c.person_id)
    key = _key(group_by, region, conn.dialect.name, deliveries.c.checkout_at)
    measures = (
        func.count(func.distinct(household)),
        func.count(func.distinct(cases.c.person_id)),
        func.count(deliveries.c.id),
        func.coalesce(func.sum(deliveries.c.minutes), 0),
    )
    q = (
        select(key.label("key"), *measures)
        .select_from(with_people)
        .where(and_(*visited))
        .group_by(key)
        .order_by(key)
    )
    tq = select(*measures).select_from(with_people).where(and_(*visited))
    # money: orders delivered in the window, net of early-close refunds
    done = [*scoped, orders.c.status.in_(["delivered", "rated"])]
    if lo is not None:
        done.append(orders.c.finished_at >= lo)
    if hi is not None:
        done.append(orders.c.finished_at < hi)
    paid = ledger.join(orders, orders.c.id == ledger.c.order_id).join(
        cases, cases.c.id == orders.c.case_id
    )
    mkey = _key(group_by, region, conn.dialect.name, orders.c.finished_at)
    aq = (
        select(mkey.label("key"), func.coalesce(func.sum(ledger.c.amount_fen), 0))
        .select_from(paid)
        .where(and_(*done))
        .group_by(mkey)
    )
    money_where = list(scoped)
    if lo is not None:
        money_where.append(ledger.c.at >= lo)
    if hi is not None:
        money_where.append(ledger.c.at < hi)
    # by funding source: the same delivered money (so the sources add up to the total) …
    mq = (
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(paid)
        .where(and_(*done))
        .group_by(ledger.c.source_code)
    )
    # … and, apart, what live orders hold (placed but not yet delivered included)
    cq = (
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(paid)
        .where(and_(*money_where))
        .group_by(ledger.c.source_code)
    )
    rows = [tuple(r) for r in conn.execute(q).all()]
    total = tuple(conn.execute(tq).one())
    amounts = {str(k): int(v) for k, v in conn.execute(aq).all()}
    money = {str(k): int(v) for k, v in conn.execute(mq).all()}
    held = {str(k): int(v) for k, v in conn.execute(cq).all()}
    return rows, total, amounts, money, held


Period = tuple[str, str | None, str | None]  # (rollup period, first month, last month)


def _rollup_period(start: date | None, end: date | None) -> Period | None:
    """The window as the rollups hold it: all time, or one calendar year (None: neither,
    so the figures come from the history)."""
    if start is None and end is None:
        return ("", None, None)
    if (
        start is not None
        and end is not None
        and start.year == end.year
        and (start.month, start.day) == (1, 1)
        and (end.month, end.day) == (12, 31)
    ):
        y = f"{start.year:04d}"
        return (y, f"{y}-01", f"{y}-12")
    return None


_REACH_DIM = {
    "region": "total",
    "area": "area",
    "item": "item",
    "category": "category",
    "provider": "provider",
    "month": "month",
}


def _from_rollups(
    conn: Connection,
    region: Region,
    group_by: str,
    scope: set[str],
    whole: bool,
    period: Period,
) -> Figures:
    """The figures from the rollups (services.rollups): a few rows per month and area, and
    distinct persons and households from their counters (``_counted``), or for a scope of
    several areas from who was served in them (``_distinct``)."""
    per, m_lo, m_hi = period
    areas = sorted(scope)
    cats = {i.code: i.category for i in region.catalogue.items}
    s, m = stats_sums, stats_money

    def months(col: Any) -> list[ColumnElement[bool]]:
        return [] if m_lo is None else [col >= m_lo, col <= m_hi]

    skey = {
        "region": literal(region.id),
        "area": s.c.area_code,
        "item": s.c.item_code,
        "category": case(cats, value=s.c.item_code, else_=""),
        "provider": s.c.provider_id,
        "month": s.c.month,
    }[group_by]
    sq = (
        select(
            skey,
            func.sum(s.c.person_times),
            func.sum(s.c.minutes),
            func.sum(s.c.amount_fen),
            func.sum(s.c.amount_rows),
        )
        .where(s.c.region_id == region.id, s.c.area_code.in_(areas), *months(s.c.month))
        .group_by(skey)
    )
    visits: dict[str, tuple[int, int]] = {}
    amounts: dict[str, int] = {}
    for k, pt, mins, amount, n in conn.execute(sq).all():
        if pt:
            visits[str(k)] = (int(pt), int(mins))
        if n:
            amounts[str(k)] = int(amount)
    # distinct persons and households: from their counters where the scope is the whole
    # region or one area, and by area (each area counts its own people); over who was
    # served for a scope of several areas, where the counters cannot be added (a person
    # with cases in two of the areas, or a household living across them, is one)
    one = rollups.WHOLE if whole else areas[0] if len(areas) == 1 else None

    def reach_of(dim: str) -> dict[str, tuple[int, int]]:
        if one is not None or dim == "area":
            return _counted(conn, region.id, dim, one, areas, per, months)
        return _distinct(conn, region.id, dim, areas, per, months)

    totals = reach_of("total")
    total_reach = totals.get("", (0, 0))
    if group_by == "region":  # the total, keyed by the region
        reach = {region.id: totals[""]} if "" in totals else {}
    else:
        reach = reach_of(_REACH_DIM[group_by])
    rows: list[tuple[Any, ...]] = [
        (k, *reach.get(k, (0, 0)), pt, mins) for k, (pt, mins) in sorted(visits.items())
    ]
    total = (
        *total_reach,
        sum(v[0] for v in visits.values()),
        sum(v[1] for v in visits.values()),
    )
    money: dict[str, int] = {}
    held: dict[str, int] = {}
    for k, delivered, committed in conn.execute(
        select(m.c.source_code, func.sum(m.c.delivered_fen), func.sum(m.c.amount_fen))
        .where(m.c.region_id == region.id, m.c.area_code.in_(areas), *months(m.c.month))
        .group_by(m.c.source_code)
    ).all():
        money[str(k)] = int(delivered)
        held[str(k)] = int(committed)
    return rows, total, amounts, money, held


Reach = dict[str, tuple[int, int]]  # key -> (households, persons)


def _counted(
    conn: Connection,
    region_id: str,
    dim: str,
    scope: str | None,
    areas: list[str],
    per: str,
    months: Any,
) -> Reach:
    """Households and persons per key from their counters (stats_reach_count) in ``scope``
    (the whole region or one area); by area from the whole region's, one per area."""
    c = stats_reach_count
    where: list[ColumnElement[bool]] = [c.c.region_id == region_id, c.c.dim == dim]
    if dim == "area":
        where += [c.c.scope == rollups.WHOLE, c.c.period == per, c.c.key.in_(areas)]
    elif dim == "month":
        where += [c.c.scope == scope, c.c.period == "", *months(c.c.key)]
    else:
        where += [c.c.scope == scope, c.c.period == per]
    return {
        str(k): (int(hh), int(n))
        for k, hh, n in conn.execute(select(c.c.key, c.c.households, c.c.persons).where(*where))
    }


def _distinct(
    conn: Connection, region_id: str, dim: str, areas: list[str], per: str, months: Any
) -> Reach:
    """Households and persons per key, counted over who was served in each of ``areas``."""
    r = stats_reach
    where: list[ColumnElement[bool]] = [
        r.c.region_id == region_id,
        r.c.dim == dim,
        r.c.scope.in_(areas),
    ]
    where += [r.c.period == "", *months(r.c.key)] if dim == "month" else [r.c.period == per]
    return {
        str(k): (int(hh), int(n))
        for k, hh, n in conn.execute(
            select(
                r.c.key,
                func.count(func.distinct(r.c.household_key)),
                func.count(func.distinct(r.c.person_id)),
            )
            .where(*where)
            .group_by(r.c.key)
        )
    }


def funding_source_names(svc: Services, region: Region) -> dict[str, str]:
    """Source code -> name, as the region's funding rule in force today gives them ({}
    when its plugin names none)."""
    try:
        rule = svc.regions.funding_rule(region, local_date(svc.now()))
    except (PluginError, LookupError):
        return {}
    return dict(getattr(rule, "source_names", {}))


def _row(key: str, label: str, r: Any, amount: int) -> StatRow:
    return StatRow(
        key=key,
        label=label,
        households=int(r[1]),
        persons=int(r[2]),
        person_times=int(r[3]),
        hours=round(int(r[4]) / 60, 2),
        amount_fen=amount,
    )


def _key(group_by: str, region: Any, dialect: str, moment: Any) -> Any:
    if group_by == "region":
        return literal(region.id)
    if group_by == "area":
        return cases.c.area_code
    if group_by == "item":
        return orders.c.item_code
    if group_by == "category":
        return case(
            {i.code: i.category for i in region.catalogue.items}, value=orders.c.item_code, else_=""
        )
    if group_by == "provider":
        return func.coalesce(orders.c.provider_id, 0)
    # the month in Shanghai (stored times are UTC), as the start/end bounds are
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", moment), "YYYY-MM")
    if dialect == "sqlite":  # Shanghai keeps no daylight saving: UTC+8 all year
        return func.strftime("%Y-%m", moment, "+8 hours")
    return func.substr(func.cast(moment, String), 1, 7)


def _labels(conn: Any, group_by: str, region: Any) -> dict[str, str]:
    if group_by == "area":
        return {a.code: a.name for a in region.info.areas} | {region.info.code: region.info.name}
    if group_by == "item":
        return {i.code: i.name for i in region.catalogue.items}
    if group_by == "category":
        return {c.code: c.name for c in region.catalogue.categories}
    if group_by == "provider":
        return {
            str(r[0]): str(r[1])
            for r in conn.execute(
                select(providers.c.id, providers.c.name).where(providers.c.region_id == region.id)
            )
        }
    if group_by == "region":
        return {region.id: region.info.name}
    return {}
