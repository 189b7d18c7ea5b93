"""`/work`: the worker's phone list — accept, check in, tick the steps, check out."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import ColumnElement

from ...access import Actor
from ...base import Invalid
from ...domain import OrderStatus
from ...services import Services
from ...services.orders import Finish, accept_order, finish_order, start_order
from ...storage.tables import orders
from ..auth import audit_request
from .common import order_rows, page

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@litestar.get("/work", sync_to_thread=True)
def work_list(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, done: str = ""
) -> Template:
    actor.require("order.work")
    where: list[ColumnElement[bool]] = [
        orders.c.status.in_([OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE])
    ]
    if actor.provider_id is not None:
        where.append(orders.c.provider_id == actor.provider_id)
    if actor.worker_id is not None:
        where.append(
            (orders.c.worker_id == actor.worker_id) | (orders.c.status == OrderStatus.DISPATCHED)
        )
    with svc.engine.connect() as conn:
        rows = order_rows(svc, conn, actor, *where)
    audit_request(request, svc, actor, "work.view", orders=[r["id"] for r in rows])
    return page(request, actor, "work.html", rows=rows, done=done, now=svc.now())


def _done(
    svc: Services, actor: Actor, request: Request[Any, Any, Any], what: str, o: Any
) -> Redirect:
    audit_request(request, svc, actor, f"order.{what}", o.case_id, order_id=o.id)
    return Redirect(path=f"/work?done={what}", status_code=303)


@litestar.post("/work/{order_id:int}/accept", sync_to_thread=True)
def accept(request: Request[Any, Any, Any], svc: Services, actor: Actor, order_id: int) -> Redirect:
    return _done(svc, actor, request, "accept", accept_order(svc, actor, order_id))


@litestar.post("/work/{order_id:int}/start", sync_to_thread=True)
def start(request: Request[Any, Any, Any], svc: Services, actor: Actor, order_id: int) -> Redirect:
    return _done(svc, actor, request, "start", start_order(svc, actor, order_id))


@litestar.post("/work/{order_id:int}/finish", sync_to_thread=True)
def finish(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Annotated[dict[str, Any], Form],
) -> Redirect:
    steps = data.get("steps", [])
    steps = [steps] if isinstance(steps, str) else list(steps)
    minutes_raw = str(data.get("minutes", "")).strip()
    if minutes_raw and not minutes_raw.isdigit():
        raise Invalid("minutes", "服务时长应为整数分钟")
    done = finish_order(
        svc,
        actor,
        order_id,
        Finish(
            steps_done=[str(s) for s in steps],
            confirmed_by=str(data.get("confirmed_by", "")).strip(),
            minutes=int(minutes_raw) if minutes_raw else None,
        ),
    )
    return _done(svc, actor, request, "finish", done)
