"""`/supervision`, `/stats` (inline SVG charts, drawn here) and `/config` (region data)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import litestar
from litestar import Request, Response
from litestar.response import Template
from sqlalchemy import Integer, cast, func, select

from ...access import Actor
from ...describe import region_data
from ...domain import OrderStatus
from ...entitlement import period_key, period_label
from ...money import yuan
from ...services import Services, stats
from ...services.entitlements import shortfalls
from ...services.providers import list_providers
from ...storage.tables import cases, orders, persons, providers, ratings, visits
from ...times import local_date
from ...xlsx import MEDIA_TYPE as XLSX
from ...xlsx import workbook_bytes
from ..auth import audit_request
from .common import order_rows, page, page_labels, scope_of
from .config_view import ConfigView
from .lists import area_choices, count_orders

SHOWN = 50  # orders listed on the supervision page (urgent and earliest due first)


def _satisfaction(svc: Services, actor: Actor, key: Any) -> list[dict[str, Any]]:
    query = (
        select(
            key.label("key"),
            func.count(),
            func.avg(ratings.c.score),
            func.sum(cast(ratings.c.satisfied, Integer)),
        )
        .select_from(
            ratings.join(orders, orders.c.id == ratings.c.order_id).join(
                cases, cases.c.id == orders.c.case_id
            )
        )
        .where(orders.c.region_id == actor.region_id, cases.c.area_code.in_(scope_of(svc, actor)))
        .group_by(key)
        .order_by(key)
    )
    with svc.reading() as conn:
        return [
            {
                "key": r[0],
                "count": int(r[1]),
                "mean": float(r[2] or 0),
                "share": int(r[3] or 0) / int(r[1]) if r[1] else 0.0,
            }
            for r in conn.execute(query)
        ]


@litestar.get("/supervision", sync_to_thread=True)
def supervision(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    actor.require("stats.read")
    region = svc.region(actor.region_id)
    now = svc.now()
    overdue: list[dict[str, Any]] = []
    active: list[dict[str, Any]] = []
    counts = {"overdue": 0, "active": 0}
    if actor.can("order.read"):  # evaluators: figures only, nobody's orders
        late = [
            orders.c.status.in_([OrderStatus.PLACED, OrderStatus.DISPATCHED]),
            orders.c.due_at < now,
        ]
        going = [
            orders.c.status.in_(
                [OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE]
            )
        ]
        with svc.reading() as conn:
            overdue = order_rows(svc, conn, actor, *late, limit=SHOWN)
            active = order_rows(svc, conn, actor, *going, limit=SHOWN)
            counts = {
                "overdue": count_orders(conn, actor, region, *late),
                "active": count_orders(conn, actor, region, *going),
            }
    if overdue or active:
        shown = sorted({r["id"] for r in [*overdue, *active]})
        audit_request(request, svc, actor, "supervision.view", orders=shown)
    names = {p.id: p.name for p in list_providers(svc, actor)}
    items = {i.code: i.name for i in region.catalogue.items}
    by_provider = _satisfaction(svc, actor, orders.c.provider_id)
    for r in by_provider:
        r["label"] = names.get(r["key"], str(r["key"]))
    by_item = _satisfaction(svc, actor, orders.c.item_code)
    for r in by_item:
        r["label"] = items.get(r["key"], str(r["key"]))
    today = local_date(now)
    this_month = period_key(today, "month")
    last_month = period_key(date(today.year, today.month, 1) - timedelta(days=1), "month")
    named = actor.can("case.read")  # evaluators: figures only, nobody's name
    floors = [(period_label(key), shortfalls(svc, actor, key)) for key in (last_month, this_month)]
    survey_due = _survey_due(svc, actor, now) if named else []
    listed = {f.case_id for _, rows in floors for f in rows} if named else set()
    listed |= {c["case_id"] for c in survey_due}
    if listed:
        audit_request(request, svc, actor, "supervision.view", cases=sorted(listed))
    return page(
        request,
        actor,
        "supervision.html",
        overdue=overdue,
        active=active,
        counts=counts,
        providers=list_providers(svc, actor),
        by_provider=by_provider,
        by_item=by_item,
        show_orders=actor.can("order.read"),
        now=now,
        floors=[(label, rows) for label, rows in floors if rows],
        survey_due=survey_due,
        named=named,
        survey_months=region.info.service.satisfaction_survey_months,
        area_name=region.info.area_name,
    )


def _survey_due(svc: Services, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """Active cases with no satisfaction survey in the region's survey interval."""
    months = svc.region(actor.region_id).info.service.satisfaction_survey_months
    if not months:
        return []
    since = now - timedelta(days=round(months * 30.44))
    surveyed = (
        select(visits.c.id)
        .where(visits.c.case_id == cases.c.id, visits.c.kind == "survey")
        .where(visits.c.visited_at >= since)
        .exists()
    )
    query = (
        select(cases.c.id, persons.c.name, cases.c.area_code)
        .join(persons, persons.c.id == cases.c.person_id)
        .where(
            cases.c.region_id == actor.region_id,
            cases.c.status == "active",
            cases.c.area_code.in_(scope_of(svc, actor)),
            ~surveyed,
        )
        .order_by(cases.c.id)
        .limit(200)
    )
    with svc.reading() as conn:
        return [{"case_id": r[0], "name": r[1], "area_code": r[2]} for r in conn.execute(query)]


LABEL_CHARS = 30  # a label line of the chart (the SVG is 560 wide; 14 px characters)


def bar_chart(rows: list[tuple[str, float]], unit: str = "", fmt: Any = None) -> dict[str, Any]:
    """Horizontal bars as plain numbers for an inline SVG (no JavaScript): each label whole,
    on its own line(s) above its bar, never cut."""
    top = max((v for _, v in rows), default=0) or 1
    bars = []
    y = 0
    for label, value in rows:
        lines = [label[i : i + LABEL_CHARS] for i in range(0, len(label), LABEL_CHARS)] or [""]
        bars.append(
            {
                "y": y,
                "lines": [(y + 16 + 18 * n, text) for n, text in enumerate(lines)],
                "bar_y": y + 6 + 18 * len(lines),
                "width": round(380 * value / top, 1),
                "text": fmt(value) if fmt else f"{value:g}{unit}",
            }
        )
        y += 30 + 18 * len(lines)
    return {"bars": bars, "height": max(y, 28)}


GROUPS = (
    ("item", "服务项目"),
    ("category", "类别"),
    ("area", "区域"),
    ("provider", "服务机构"),
    ("month", "月份"),
)


def _stats_query(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> dict[str, Any]:
    """The statistics' filters from the query string: group, area, date range (ignored
    when malformed, as on every list)."""
    region = svc.region(actor.region_id)
    get = request.query_params.get
    by = str(get("by") or "item")
    by = by if by in dict(GROUPS) else "item"
    area = str(get("area") or "")
    if area and area not in {c for c, _ in area_choices(region, actor)}:
        area = ""
    out: dict[str, Any] = {"by": by, "area": area, "start": "", "end": ""}
    for key in ("start", "end"):
        try:
            out[key] = date.fromisoformat(str(get(key) or "")).isoformat()
        except ValueError:
            out[key] = ""
    return out


def _statistics(svc: Services, actor: Actor, q: dict[str, Any]) -> stats.Stats:
    return stats.statistics(
        svc,
        actor,
        q["by"],
        area=q["area"] or None,
        start=date.fromisoformat(q["start"]) if q["start"] else None,
        end=date.fromisoformat(q["end"]) if q["end"] else None,
    )


@litestar.get("/stats", sync_to_thread=True)
def stats_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    q = _stats_query(request, svc, actor)
    result = _statistics(svc, actor, q)
    region = svc.region(actor.region_id)
    charts = [
        ("人次", bar_chart([(r.label, r.person_times) for r in result.rows], "人次")),
        ("金额", bar_chart([(r.label, r.amount_fen) for r in result.rows], fmt=yuan)),
        ("服务时长", bar_chart([(r.label, r.hours) for r in result.rows], "小时")),
        (
            "资金来源",
            bar_chart([(result.funding_names[k], v) for k, v in result.funding.items()], fmt=yuan),
        ),
    ]
    committed = sum(result.funding_committed.values())
    return page(
        request,
        actor,
        "stats.html",
        result=result,
        charts=charts,
        by=q["by"],
        q=q,
        groups=GROUPS,
        areas=area_choices(region, actor),
        funding_total=sum(result.funding.values()),
        pending=committed - sum(result.funding.values()),
        export=urlencode({k: v for k, v in q.items() if v}),
    )


@litestar.get("/stats.xlsx", sync_to_thread=True)
def stats_export(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Response[bytes]:
    """The statistics on the page, with the same filters, as an XLSX workbook."""
    q = _stats_query(request, svc, actor)
    result = _statistics(svc, actor, q)
    group = dict(GROUPS)[q["by"]]
    header = [group, "户数", "人数", "人次", "服务时长（小时）", "金额（元）"]
    rows = [
        [r.label, r.households, r.persons, r.person_times, r.hours, r.amount_fen / 100]
        for r in [*result.rows, result.total]
    ]
    funding = [
        [result.funding_names.get(k, k), v / 100, result.funding_committed.get(k, 0) / 100]
        for k, v in result.funding.items()
    ]
    span = f"{q['start'] or '不限'} 至 {q['end'] or '不限'}"
    area = svc.region(actor.region_id).info.area_name(q["area"]) if q["area"] else "全部"
    body = workbook_bytes(
        [
            (f"按{group}", header, rows),
            ("资金来源", ["资金来源", "已完成服务（元）", "含未完成工单（元）"], funding),
            ("条件", ["项目", "取值"], [["区域", area], ["日期", span], ["分组", group]]),
        ]
    )
    audit_request(request, svc, actor, "stats.export", **{k: v for k, v in q.items() if v})
    name = f"statistics-{q['by']}-{local_date(svc.now()).isoformat()}.xlsx"
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@litestar.get("/config", sync_to_thread=True)
def config_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    region = svc.region(actor.region_id)
    data = region_data(region)
    view = ConfigView(data, page_labels(request, actor))
    return page(request, actor, "config.html", region=region, sections=view.sections(data))


__all__ = ["providers"]
