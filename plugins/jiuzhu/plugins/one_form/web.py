"""The one-form API, mounted under /api through the jiuzhu_web_routes hook."""

from __future__ import annotations

from functools import partial
from typing import Any

import litestar
import msgspec
from litestar import MediaType, Response
from litestar.params import Parameter

from jiuzhu.core.access import Actor, check_scope, shown_values
from jiuzhu.core.base import NotFound
from jiuzhu.core.domain import Person
from jiuzhu.core.services import Services, fetch_one
from jiuzhu.core.storage.tables import persons
from jiuzhu.core.times import local_date

from . import service
from .render import printable, render_form, render_receipt

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)


class NewApplication(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    region_id: str
    person_id: int
    policies: list[str] = []  # none chosen: 422 naming policies
    form: dict[str, Any] = {}
    documents: list[str] = []


class Decision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    approve: bool
    reason: str


class NewDecision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    decisions: dict[str, Decision]


class FormCheck(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    policies: list[str]
    form: dict[str, Any] = {}
    documents: list[str] = []


def _own_region(actor: Actor, region_id: str) -> None:
    if region_id != actor.region_id:
        raise NotFound("region", region_id)


def form_for(
    svc: Services, actor: Actor, region_id: str, person_id: int | None
) -> service.FormSchema:
    """The region's form; for a person, with pre-ticks, prefill and warnings for the ticks."""
    _own_region(actor, region_id)
    region = svc.region(region_id)
    schema = service.form_schema(region)
    if person_id is None:
        return schema
    actor.require("application.accept")
    with svc.engine.connect() as conn:
        person = msgspec.convert(
            fetch_one(conn, persons, "person", person_id, id=person_id), Person
        )
    if person.region_id != region_id:
        raise NotFound("person", person_id)
    check_scope(actor, region.info, "person", person_id, person.region_id, person.area_code)
    plist = service.policy_list(region)
    ticks = service.suggest(region, person, local_date(svc.now()))
    filled = service.prefill(plist, person)
    return msgspec.structs.replace(
        schema,
        person_id=person_id,
        suggested=ticks,
        prefill=shown_values(actor, filled),
        warnings=service.check_form(plist, ticks, filled, []),
    )


@get("/regions/{region_id:str}/form")
def read_form(
    svc: Services,
    actor: Actor,
    region_id: str,
    person_id: int | None = Parameter(default=None),
) -> service.FormSchema:
    return form_for(svc, actor, region_id, person_id)


@post("/regions/{region_id:str}/form/check", status_code=200)
def check_form(svc: Services, actor: Actor, region_id: str, data: FormCheck) -> dict[str, Any]:
    _own_region(actor, region_id)
    plist = service.policy_list(svc.region(region_id))
    unknown = [c for c in data.policies if c not in {p.code for p in plist.policies}]
    if unknown:
        from jiuzhu.core.base import Invalid

        raise Invalid("policies", f"未知的救助事项 {unknown}")
    return {"warnings": service.check_form(plist, data.policies, data.form, data.documents)}


@get("/regions/{region_id:str}/form.html", media_type=MediaType.HTML)
def read_form_html(
    svc: Services,
    actor: Actor,
    region_id: str,
    person_id: int | None = Parameter(default=None),
) -> Response[str]:
    """The printable form; for a person, the suggested policies are printed pre-ticked."""
    ticks = form_for(svc, actor, region_id, person_id).suggested
    return printable(render_form(svc.region(region_id), ticks))


@post("/applications", status_code=201)
def submit(svc: Services, actor: Actor, data: NewApplication) -> service.ApplicationView:
    return service.submit_application(
        svc, actor, data.region_id, data.person_id, data.policies, data.form, data.documents
    )


@get("/applications/{receipt:str}")
def read_application(svc: Services, actor: Actor, receipt: str) -> service.ApplicationView:
    return service.get_application(svc, actor, receipt)


@get("/applications/{receipt:str}/receipt.html", media_type=MediaType.HTML)
def read_receipt(svc: Services, actor: Actor, receipt: str) -> Response[str]:
    return printable(render_receipt(svc, actor, receipt))


@post("/applications/{receipt:str}/tasks/{task_id:int}/decision", status_code=200)
def decide(
    svc: Services, actor: Actor, receipt: str, task_id: int, data: NewDecision
) -> service.DecisionResult:
    return service.decide_task(
        svc,
        actor,
        receipt,
        task_id,
        {code: (d.approve, d.reason) for code, d in data.decisions.items()},
    )


@get("/departments/{department:str}/tasks")
def read_tasks(
    svc: Services,
    actor: Actor,
    department: str,
    overdue: bool = Parameter(default=False),
) -> list[service.TaskView]:
    return service.department_tasks(svc, actor, department, overdue)


ROUTES = [
    read_form,
    check_form,
    read_form_html,
    submit,
    read_application,
    read_receipt,
    decide,
    read_tasks,
]
