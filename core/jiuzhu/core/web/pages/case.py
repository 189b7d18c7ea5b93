"""`/cases/{id}`: 一人一档 — the person, assessments, entitlement, orders, visits, timeline.

Every view writes an audit_log row (who looked at whose file)."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Template
from sqlalchemy import select

from ...access import Actor
from ...base import NotFound
from ...domain import OrderStatus
from ...services import Services, plain
from ...services.cases import VISIT_KINDS, case_file, entitlement_view
from ...services.images import KIND_LABELS, images_of
from ...storage.tables import providers, ratings, workers
from ...times import local_date
from ..auth import audit_request
from .common import page, page_sections, staff_names
from .secret import rating_token

DONE = {
    "opened": "已立案，一人一档已建立。下一步：需求评估。",
    "exists": "该对象已有在档案件，已为您打开。",
    "assessed": "需求评估已记录。",
    "granted": "服务额度已授予。",
    "ordered": "已下单，等待派单。",
    "cancelled": "工单已取消，金额已退回额度。",
    "visited": "走访记录已保存。",
    "exited": "案件已退出，未开始的工单已取消并退回额度。",
}


@litestar.get("/cases/{case_id:int}", sync_to_thread=True)
def case_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    case_id: int,
    done: str = "",
) -> Template:
    return render_case(request, svc, actor, secret_key, case_id, notice=DONE.get(done, ""))


def render_case(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    case_id: int,
    status: int = 200,
    **extra: Any,
) -> Template:
    """The file, with the actions the actor may take; `extra` carries a notice or the
    errors of a refused action (shown next to its form)."""
    file = case_file(svc, actor, case_id)  # checks case.read and the area scope
    region = svc.region(file.case.region_id)
    try:
        ent = entitlement_view(svc, actor, case_id)
    except NotFound:
        ent = None
    order_ids = [o.id for o in file.orders]
    with svc.reading() as conn:
        rated = {
            int(r["order_id"]): plain(r)
            for r in conn.execute(
                select(ratings).where(ratings.c.order_id.in_(order_ids))
            ).mappings()
        }
        names = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                select(providers.c.id, providers.c.name).where(providers.c.region_id == region.id)
            )
        }
        images = images_of(conn, [d.id for d in file.deliveries])
        worker_ids = sorted({d.worker_id for d in file.deliveries if d.worker_id is not None})
        worker_names = {
            int(r[0]): str(r[1])
            for r in conn.execute(
                select(workers.c.id, workers.c.name).where(workers.c.id.in_(worker_ids))
            )
        }
    now = svc.now().timestamp()
    links = {
        o.id: str(request.url_for("rating_page", token=rating_token(secret_key, o.id, now)))
        for o in file.orders
        if o.status == OrderStatus.DELIVERED and actor.can("order.rate")
    }
    item_names = {i.code: i.name for i in region.catalogue.items}
    order_items = {o.id: o.item_code for o in file.orders}
    standards = {
        o.id: list(region.catalogue.item(o.item_code).standard)
        for o in file.orders
        if o.item_code in item_names
    }
    steps_count = {k: len(v) for k, v in standards.items()}
    done = [d for d in file.deliveries if d.checkout_at is not None]
    audit_request(request, svc, actor, "case.view", case_id)
    person = file.person
    ctx: dict[str, Any] = {"notice": "", "errors": {}, "grant_error": "", "error": "", **extra}
    return page(
        request,
        actor,
        "case.html",
        status,
        file=file,
        person=person,
        area_name=region.info.area_name(person.area_code),
        ent=ent,
        ratings=rated,
        providers=names,
        links=links,
        item_names=item_names,
        order_items=order_items,
        steps_count=steps_count,
        standards=standards,
        images=images,
        image_labels=KIND_LABELS,
        worker_names=worker_names,
        days_served=len({local_date(d.checkin_at) for d in done}),
        hours_served=f"{sum(d.minutes for d in done) / 60:g}",
        visit_kinds=VISIT_KINDS,
        staff=staff_names(
            svc,
            [e.actor for e in file.events]
            + [v.visited_by for v in file.visits]
            + [a.assessed_by for a in file.assessments],
        ),
        region=region,
        cancellable=CANCELLABLE,
        sections=page_sections(svc, actor, "case", case_id),
        **ctx,
    )


CANCELLABLE = (OrderStatus.PLACED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
