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
from sqlalchemy import ColumnElement, String, and_, case, func, select

from ..access import Actor, area_subtree
from ..base import Invalid
from ..plugins import PluginError
from ..regions import Region
from ..storage.tables import cases, deliveries, ledger, orders, persons, providers
from ..times import SHANGHAI, local_date
from . import Services

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
    # source code -> net fen held by live orders (placed, dispatched … delivered)
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
    key = _key(group_by, region, svc.engine.dialect.name, deliveries.c.checkout_at)
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
    mkey = _key(group_by, region, svc.engine.dialect.name, orders.c.finished_at)
    aq = (
        select(mkey.label("key"), func.coalesce(func.sum(ledger.c.amount_fen), 0))
        .select_from(paid)
        .where(and_(*done))
        .group_by(mkey)
    )
    # by funding source: the same delivered money (so the sources add up to the total) …
    mq = (
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(paid)
        .where(and_(*done))
        .group_by(ledger.c.source_code)
    )
    # … and, apart, what live orders hold (placed but not yet delivered included)
    money_where = list(scoped)
    if lo is not None:
        money_where.append(ledger.c.at >= lo)
    if hi is not None:
        money_where.append(ledger.c.at < hi)
    cq = (
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(paid)
        .where(and_(*money_where))
        .group_by(ledger.c.source_code)
    )
    with svc.engine.connect() as conn:
        rows = conn.execute(q).all()
        total = conn.execute(tq).one()
        amounts = {str(k): int(v) for k, v in conn.execute(aq).all()}
        money = {str(k): int(v) for k, v in conn.execute(mq).all()}
        held = {str(k): int(v) for k, v in conn.execute(cq).all()}
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
    from sqlalchemy import literal

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
