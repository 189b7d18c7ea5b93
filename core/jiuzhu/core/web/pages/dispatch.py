"""`/dispatch`: orders waiting, urgent first, with deadlines; dispatch to a provider."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from ...access import Actor
from ...base import Invalid, Refused
from ...domain import OrderStatus
from ...services import Services
from ...services.orders import dispatch_order
from ...services.providers import list_providers
from ...storage.tables import orders
from ..auth import audit_request
from .common import order_rows, page


class DispatchForm(msgspec.Struct, kw_only=True):
    provider_id: int


def _board(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, status: int = 200, **ctx: Any
) -> Template:
    actor.require("order.dispatch")
    with svc.engine.connect() as conn:
        waiting = order_rows(
            svc,
            conn,
            actor,
            orders.c.status.in_([OrderStatus.PLACED, OrderStatus.DISPATCHED]),
        )
    audit_request(request, svc, actor, "dispatch.view", orders=[r["id"] for r in waiting])
    return page(
        request,
        actor,
        "dispatch.html",
        status,
        waiting=waiting,
        providers=[p for p in list_providers(svc, actor) if p.active],
        now=svc.now(),
        **ctx,
    )


@litestar.get("/dispatch", sync_to_thread=True)
def dispatch_board(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, done: int | None = None
) -> Template:
    return _board(request, svc, actor, done=done, error="")


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
        return _board(request, svc, actor, 409, done=None, error=exc.detail, failed=order_id)
    audit_request(request, svc, actor, "order.dispatch", order.case_id, order_id=order_id)
    return Redirect(path=f"/dispatch?done={order_id}", status_code=303)
