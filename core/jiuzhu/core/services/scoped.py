"""Scoped queries: what an actor may list, in one place for API lists, searches and jobs.

Every list starts from one of these selects, so a list shows exactly the records the
actor could read one by one (``access.check_scope``): the actor's region, and an area in
the subtree of the actor's area. Narrowing what a role may read (least privilege) belongs
here, once, and every list follows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, select

from ..access import Actor, area_codes, case_scope, order_scope, person_scope
from ..base import Refused
from ..storage.tables import cases, orders, persons
from . import Services

# The predicates themselves live in access.py (case_scope, person_scope, order_scope): the
# one place that says what each role may see. These are the selects lists start from.


def scoped_persons(svc: Services, actor: Actor) -> Select[Any]:
    actor.require("case.read")
    return select(persons).where(person_scope(actor, svc.region(actor.region_id).info))


def scoped_cases(svc: Services, actor: Actor) -> Select[Any]:
    actor.require("case.read")
    return select(cases).where(case_scope(actor, svc.region(actor.region_id).info))


def scoped_orders(svc: Services, actor: Actor) -> Select[Any]:
    """Orders the actor may see: every order of a case in scope for case readers, the
    provider's own for provider staff (access.order_scope)."""
    if not (actor.can("case.read") or actor.can("order.read")):
        raise Refused("access", f"角色「{actor.label}」无权查看工单（order.read）")
    return select(orders).where(order_scope(actor, svc.region(actor.region_id).info))


def scoped_area_rows(svc: Services, actor: Actor, table: Table, permission: str) -> Select[Any]:
    """Rows of a plugin's table with ``region_id`` and ``area_code`` columns (e.g. the
    one-form's applications) in the actor's region and area, for holders of
    ``permission``."""
    actor.require(permission)
    info = svc.region(actor.region_id).info
    return select(table).where(
        table.c.region_id == actor.region_id,
        table.c.area_code.in_(area_codes(actor, info)),
    )
