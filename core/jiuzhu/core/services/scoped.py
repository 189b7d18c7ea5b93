"""Scoped queries: what an actor may list, in one place for API lists, searches and jobs.

Every list starts from one of these selects, so a list shows exactly the records the
actor could read one by one (``access.check_scope``): the actor's region, and an area in
the subtree of the actor's area. Narrowing what a role may read (least privilege) belongs
here, once, and every list follows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select

from ..access import Actor, area_subtree
from ..storage.tables import applications, cases, orders, persons
from . import Services


def scope_areas(svc: Services, actor: Actor) -> list[str]:
    """The area codes the actor sees: its area and everything below it."""
    return sorted(area_subtree(svc.region(actor.region_id).info, actor.area_code))


def in_scope(
    svc: Services, actor: Actor, region_col: ColumnElement[Any], area_col: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The one scope predicate: the actor's region and area subtree."""
    return and_(region_col == actor.region_id, area_col.in_(scope_areas(svc, actor)))


def scoped_persons(svc: Services, actor: Actor) -> Select[Any]:
    actor.require("case.read")
    return select(persons).where(in_scope(svc, actor, persons.c.region_id, persons.c.area_code))


def scoped_cases(svc: Services, actor: Actor) -> Select[Any]:
    actor.require("case.read")
    return select(cases).where(in_scope(svc, actor, cases.c.region_id, cases.c.area_code))


def scoped_orders(svc: Services, actor: Actor) -> Select[Any]:
    """Orders of cases in scope (an order's area is its case's)."""
    actor.require("case.read")
    return (
        select(orders)
        .join(cases, cases.c.id == orders.c.case_id)
        .where(in_scope(svc, actor, cases.c.region_id, cases.c.area_code))
    )


def scoped_applications(svc: Services, actor: Actor) -> Select[Any]:
    """One-form applications (jiuzhu.plugins.one_form) in scope."""
    actor.require("application.read")
    return select(applications).where(
        in_scope(svc, actor, applications.c.region_id, applications.c.area_code)
    )
