"""`/households/{id}`: the household file (一户一档) — members with their relation to the
head, their cases, services, visits and totals, and what plugins add (one-form
applications). Households are created and joined from the person page."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Redirect, Template

from ... import idcard
from ...access import Actor
from ...base import Invalid, NotFound, Refused
from ...domain import RELATIONS
from ...services import Services
from ...services.households import (
    NewHousehold,
    create_household,
    household_file,
    remove_member,
    set_member,
)
from ...services.people import find_person, get_person
from ..auth import audit_request
from . import forms
from .common import page

DONE = {
    "created": "已建户。",
    "joined": "已加入本户。",
    "removed": "已迁出本户。",
}


def _page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    status: int = 200,
    error: str = "",
    notice: str = "",
    values: dict[str, str] | None = None,
) -> Template:
    file = household_file(svc, actor, household_id)  # case.read and the area scope
    region = svc.region(file.household.region_id)
    items = {i.code: i.name for i in region.catalogue.items}
    orders = {o.id: o for o in file.orders}
    audit_request(
        request,
        svc,
        actor,
        "household.view",
        household_id=household_id,
        persons=[m.person.id for m in file.members],
    )
    return page(
        request,
        actor,
        "household.html",
        status,
        file=file,
        area_name=region.info.area_name,
        item_names=items,
        orders_by_id=orders,
        relations=RELATIONS,
        sections=file.sections,
        error=error,
        notice=notice,
        values=values or {},
    )


@litestar.get("/households/{household_id:int}", sync_to_thread=True)
def household_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    done: str = "",
) -> Template:
    return _page(request, svc, actor, household_id, notice=DONE.get(done, ""))


@litestar.post("/households", sync_to_thread=True)
def create(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Redirect:
    """建户 from a person's page: the person becomes its head (户主)."""
    person_id = forms.integer(data, "person_id", {})
    if person_id is None:
        raise Invalid("person_id", "请选择户主")
    person = get_person(svc, actor, person_id)
    home = create_household(
        svc,
        actor,
        NewHousehold(
            area_code=person.area_code,
            address=forms.text(data, "address")[:200],
            phone=forms.text(data, "phone")[:20] or person.phone,
            head_person_id=person.id,
        ),
    )
    audit_request(request, svc, actor, "household.create", household_id=home.id)
    return Redirect(path=f"/households/{home.id}?done=created", status_code=303)


@litestar.post("/households/{household_id:int}/members", sync_to_thread=True)
def join(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """Add a member by person id (from their page) or by ID number (on this page; a POST,
    so the number stays out of URLs)."""
    relation = forms.text(data, "relation")
    values = {"relation": relation, "id_number": forms.text(data, "id_number")}
    person_id = forms.integer(data, "person_id", {})
    try:
        if person_id is None:
            try:
                number = idcard.validate(values["id_number"])
            except ValueError as exc:
                raise Invalid("id_number", str(exc)) from None
            found = find_person(svc, actor.region_id, number)
            if found is None:
                raise Invalid("id_number", "未找到该身份证号的服务对象，请先登记")
            person_id = get_person(svc, actor, found.id).id  # the area scope
        set_member(svc, actor, household_id, person_id, relation)
    except NotFound as exc:
        if exc.kind != "person":
            raise
        return _page(request, svc, actor, household_id, 422, "未找到该服务对象", values=values)
    except (Invalid, Refused) as exc:
        if isinstance(exc, Refused) and exc.rule == "access":
            raise
        return _page(request, svc, actor, household_id, 422, exc.detail, values=values)
    audit_request(
        request, svc, actor, "household.member", household_id=household_id, person_id=person_id
    )
    return Redirect(path=f"/households/{household_id}?done=joined", status_code=303)


@litestar.post("/households/join", sync_to_thread=True)
def join_from_person(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Redirect:
    """From a person's page: join the household whose number the clerk typed."""
    errors: dict[str, str] = {}
    household_id = forms.integer(data, "household_id", errors)
    person_id = forms.integer(data, "person_id", errors)
    if household_id is None or person_id is None:
        raise Invalid("household_id", "请填写户号")
    set_member(svc, actor, household_id, person_id, forms.text(data, "relation"))
    audit_request(
        request, svc, actor, "household.member", household_id=household_id, person_id=person_id
    )
    return Redirect(path=f"/households/{household_id}?done=joined", status_code=303)


@litestar.post("/households/{household_id:int}/members/{person_id:int}/remove", sync_to_thread=True)
def leave(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    person_id: int,
) -> Redirect:
    remove_member(svc, actor, household_id, person_id)
    audit_request(
        request, svc, actor, "household.leave", household_id=household_id, person_id=person_id
    )
    return Redirect(path=f"/households/{household_id}?done=removed", status_code=303)


ROUTES = [household_page, create, join_from_person, join, leave]
