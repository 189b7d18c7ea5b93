"""`/dispatch`: orders waiting, urgent first, with deadlines; dispatch one or several at once
to a provider, seeing each provider's current workload. Counted, paged and filtered
(pages/lists.py)."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import Connection, func, select

from ...access import Actor
from ...base import Invalid, NotFound, Refused
from ...domain import OrderStatus
from ...services import Services
from ...services.orders import dispatch_order
from ...services.providers import list_providers
from ...storage.tables import orders
from ..auth import audit_request
from . import forms
from .common import order_rows, page
from .lists import ListFilters, Paged, area_choices, count_orders, item_choices

WAITING = (OrderStatus.PLACED, OrderStatus.DISPATCHED)
IN_HAND = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE)
MAX_BATCH = 100


class DispatchForm(msgspec.Struct, kw_only=True):
    provider_id: int


def workloads(conn: Connection, region_id: str) -> dict[int, int]:
    """Orders each provider has in hand (dispatched, accepted or in service)."""
    query = (
        select(orders.c.provider_id, func.count())
        .where(orders.c.region_id == region_id, orders.c.status.in_(IN_HAND))
        .group_by(orders.c.provider_id)
    )
    return {int(p): int(n) for p, n in conn.execute(query) if p is not None}


def _board(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, status: int = 200, **ctx: Any
) -> Template:
    actor.require("order.dispatch")
    region = svc.region(actor.region_id)
    f = ListFilters.from_request(request, region)
    where = [orders.c.status.in_(WAITING), *f.order_where(region)]
    with svc.reading() as conn:
        paged = Paged(count_orders(conn, actor, region, *where), f.page)
        waiting = order_rows(svc, conn, actor, *where, limit=paged.size, offset=paged.offset)
        load = workloads(conn, region.id)
        all_waiting = count_orders(conn, actor, region, orders.c.status.in_(WAITING))
    audit_request(request, svc, actor, "dispatch.view", orders=[r["id"] for r in waiting])
    return page(
        request,
        actor,
        "dispatch.html",
        status,
        waiting=waiting,
        providers=[p for p in list_providers(svc, actor) if p.active],
        load=load,
        now=svc.now(),
        f=f,
        paged=paged,
        all_waiting=all_waiting,
        areas=area_choices(region, actor),
        items=item_choices(region),
        **{"done": None, "error": "", "failed": None, "report": [], **ctx},
    )


@litestar.get("/dispatch", sync_to_thread=True)
def dispatch_board(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, done: int | None = None
) -> Template:
    return _board(request, svc, actor, done=done)


@litestar.post("/dispatch/{order_id:int}", sync_to_thread=True)
def dispatch(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Annotated[DispatchForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    try:
        order = dispatch_order(svc, actor, order_id, data.provider_id)
    except (Refused, Invalid) as exc:
        if isinstance(exc, Refused) and exc.rule == "access":
            raise
        return _board(request, svc, actor, 409, error=exc.detail, failed=order_id)
    audit_request(request, svc, actor, "order.dispatch", order.case_id, order_id=order_id)
    return Redirect(path=f"/dispatch?done={order_id}", status_code=303)


@litestar.post("/dispatch/batch", sync_to_thread=True)
def dispatch_batch(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template:
    """Several ticked orders to one provider. Each order is its own unit of work (one
    refused does not undo the others); the page lists what went out and what did not."""
    actor.require("order.dispatch")
    raw = data.get("order_id", [])
    ids: list[int] = []
    for value in [raw] if isinstance(raw, str) else list(raw):
        if str(value).isdigit():
            ids.append(int(value))
    provider = str(data.get("provider_id", ""))
    if not ids:
        return _board(request, svc, actor, 422, error="请先勾选要派出的工单")
    if not provider.isdigit():
        return _board(request, svc, actor, 422, error="请选择服务机构")
    if len(ids) > MAX_BATCH:
        return _board(request, svc, actor, 422, error=f"一次最多派出{MAX_BATCH}单")
    report: list[tuple[int, str]] = []
    sent = 0
    for order_id in sorted(set(ids)):
        try:
            order = dispatch_order(svc, actor, order_id, int(provider))
        except (Refused, Invalid, NotFound) as exc:
            if isinstance(exc, Refused) and exc.rule == "access":
                raise
            report.append((order_id, getattr(exc, "detail", "") or "未找到或不在管辖范围内"))
            continue
        sent += 1
        audit_request(request, svc, actor, "order.dispatch", order.case_id, order_id=order_id)
    status = 200 if not report else 409
    return _board(request, svc, actor, status, batch_sent=sent, report=report)
