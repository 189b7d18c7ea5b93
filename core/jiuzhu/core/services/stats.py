"""Statistics in persons (人), person-times (人次), hours and money by funding source.

One grouped query per measure, scoped to the actor's region and area subtree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, String, and_, func, select

from ..access import Actor, area_subtree
from ..base import Invalid
from ..storage.tables import cases, deliveries, ledger, orders, providers
from ..times import SHANGHAI
from . import Services

GroupBy = Literal["region", "area", "item", "provider", "category", "month"]


class StatRow(msgspec.Struct, kw_only=True):
    key: str
    label: str
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
    funding: dict[str, int]  # source code -> net fen spent
    funding_names: dict[str, str]


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
    delivered: list[ColumnElement[bool]] = [
        orders.c.region_id == region.id,
        orders.c.status.in_(["delivered", "rated"]),
        cases.c.area_code.in_(sorted(scope)),
    ]
    if lo is not None:
        delivered.append(orders.c.finished_at >= lo)
    if hi is not None:
        delivered.append(orders.c.finished_at < hi)
    if provider_id is not None:
        delivered.append(orders.c.provider_id == provider_id)
    if item_code is not None:
        delivered.append(orders.c.item_code == item_code)
    joined = orders.join(cases, cases.c.id == orders.c.case_id).join(
        deliveries, deliveries.c.order_id == orders.c.id
    )
    key = _key(group_by, region, svc.engine.dialect.name)
    q = (
        select(
            key.label("key"),
            func.count(func.distinct(cases.c.person_id)),
            func.count(orders.c.id),
            func.coalesce(func.sum(deliveries.c.minutes), 0),
            func.coalesce(func.sum(orders.c.amount_fen), 0),
        )
        .select_from(joined)
        .where(and_(*delivered))
        .group_by(key)
        .order_by(key)
    )
    tq = (
        select(
            func.count(func.distinct(cases.c.person_id)),
            func.count(orders.c.id),
            func.coalesce(func.sum(deliveries.c.minutes), 0),
            func.coalesce(func.sum(orders.c.amount_fen), 0),
        )
        .select_from(joined)
        .where(and_(*delivered))
    )
    money_where: list[ColumnElement[bool]] = [
        orders.c.region_id == region.id,
        cases.c.area_code.in_(sorted(scope)),
    ]
    if lo is not None:
        money_where.append(ledger.c.at >= lo)
    if hi is not None:
        money_where.append(ledger.c.at < hi)
    if provider_id is not None:
        money_where.append(orders.c.provider_id == provider_id)
    if item_code is not None:
        money_where.append(orders.c.item_code == item_code)
    mq = (
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(
            ledger.join(orders, orders.c.id == ledger.c.order_id).join(
                cases, cases.c.id == orders.c.case_id
            )
        )
        .where(and_(*money_where))
        .group_by(ledger.c.source_code)
    )
    with svc.engine.connect() as conn:
        rows = conn.execute(q).all()
        total = conn.execute(tq).one()
        money = {str(k): int(v) for k, v in conn.execute(mq).all()}
        names = _labels(conn, group_by, region)
    return Stats(
        region_id=region.id,
        group_by=group_by,
        start=start,
        end=end,
        rows=[_row(str(r[0]), names.get(str(r[0]), str(r[0])), r) for r in rows],
        total=_row("total", "合计", (None, *total)),
        funding={s.code: money.get(s.code, 0) for s in region.funding.sources},
        funding_names={s.code: s.name for s in region.funding.sources},
    )


def _row(key: str, label: str, r: Any) -> StatRow:
    return StatRow(
        key=key,
        label=label,
        persons=int(r[1]),
        person_times=int(r[2]),
        hours=round(int(r[3]) / 60, 2),
        amount_fen=int(r[4]),
    )


def _key(group_by: str, region: Any, dialect: str = "sqlite") -> Any:
    from sqlalchemy import case, literal

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
        return func.to_char(func.timezone("Asia/Shanghai", orders.c.finished_at), "YYYY-MM")
    if dialect == "sqlite":  # Shanghai keeps no daylight saving: UTC+8 all year
        return func.strftime("%Y-%m", orders.c.finished_at, "+8 hours")
    return func.substr(func.cast(orders.c.finished_at, String), 1, 7)


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
