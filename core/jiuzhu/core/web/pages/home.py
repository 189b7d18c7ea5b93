"""`/`: what this person has to do today, by role."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Template
from sqlalchemy import Connection, exists, select

from ...access import Actor, Role
from ...domain import CaseStatus, OrderStatus
from ...services import Services, plain
from ...services.providers import list_providers
from ...storage.tables import assessments, cases, entitlements, orders, persons
from ..auth import audit_request
from .common import order_rows, page, page_sections, scope_of

OPEN_WORK = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE)


def _cases_waiting(svc: Services, conn: Connection, actor: Actor) -> dict[str, list[Any]]:
    assessed = exists().where(assessments.c.case_id == cases.c.id)
    granted = exists().where(entitlements.c.case_id == cases.c.id)
    base = (
        select(cases.c.id, cases.c.opened_at, persons.c.name)
        .join(persons, persons.c.id == cases.c.person_id)
        .where(
            cases.c.region_id == actor.region_id,
            cases.c.area_code.in_(scope_of(svc, actor)),
            cases.c.status == CaseStatus.OPEN,
        )
        .order_by(cases.c.opened_at)
        .limit(100)
    )
    return {
        "assess": [plain(r) for r in conn.execute(base.where(~assessed)).mappings()],
        "grant": [plain(r) for r in conn.execute(base.where(assessed, ~granted)).mappings()],
    }


@litestar.get("/", sync_to_thread=True)
def home(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    now = svc.now()
    ctx: dict[str, Any] = {"now": now}
    overdue = (
        orders.c.status.in_([OrderStatus.PLACED, OrderStatus.DISPATCHED]),
        orders.c.due_at < now,
    )
    with svc.reading() as conn:
        if actor.role in (Role.OFFICER, Role.CLERK, Role.ADMIN):
            ctx["waiting"] = _cases_waiting(svc, conn, actor)
            ctx["to_dispatch"] = order_rows(svc, conn, actor, orders.c.status == OrderStatus.PLACED)
            ctx["overdue"] = order_rows(svc, conn, actor, *overdue)
            ctx["delivered"] = order_rows(
                svc, conn, actor, orders.c.status == OrderStatus.DELIVERED
            )
        if actor.role == Role.WORKER:
            ctx["mine"] = order_rows(
                svc,
                conn,
                actor,
                orders.c.provider_id == actor.provider_id,
                orders.c.status.in_(OPEN_WORK),
                (orders.c.worker_id == actor.worker_id)
                | (orders.c.status == OrderStatus.DISPATCHED),
            )
        if actor.role == Role.PROVIDER_ADMIN:
            ctx["provider_orders"] = order_rows(
                svc,
                conn,
                actor,
                orders.c.provider_id == actor.provider_id,
                orders.c.status.in_(OPEN_WORK),
            )
        if actor.role == Role.SUPERVISOR:
            ctx["overdue"] = order_rows(svc, conn, actor, *overdue)
    if actor.role in (Role.SUPERVISOR, Role.PROVIDER_ADMIN):
        ctx["providers"] = [
            p
            for p in list_providers(svc, actor)
            if actor.role == Role.SUPERVISOR or p.id == actor.provider_id
        ]
    ctx["sections"] = page_sections(svc, actor, "home")
    order_lists = ("to_dispatch", "overdue", "delivered", "mine", "provider_orders")
    shown_orders = sorted({r["id"] for key in order_lists for r in ctx.get(key, [])})
    shown_cases = sorted({r["id"] for rows in ctx.get("waiting", {}).values() for r in rows})
    if shown_orders or shown_cases:  # the persons this page names, by order and case
        audit_request(request, svc, actor, "home.view", orders=shown_orders, cases=shown_cases)
    return page(request, actor, "home.html", **ctx)
