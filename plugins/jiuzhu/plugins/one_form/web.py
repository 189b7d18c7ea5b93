"""The one-form API, mounted under /api through the jiuzhu_web_routes hook."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import MediaType, Response
from litestar.params import Parameter
from msgspec import Meta

from jiuzhu.core.access import Actor, check_scope, shown_values
from jiuzhu.core.base import NotFound
from jiuzhu.core.domain import Person
from jiuzhu.core.limits import Id, Reason, RegionId
from jiuzhu.core.services import Services, fetch_one
from jiuzhu.core.services.search import DEFAULT_LIMIT, MAX_LIMIT
from jiuzhu.core.storage.tables import persons
from jiuzhu.core.times import local_date
from jiuzhu.core.web.openapi import READ_ERRORS, IdempotencyKey, route

from . import service
from .render import printable, render_form, render_receipt

Code = Annotated[str, Meta(min_length=1, max_length=40)]
Policies = Annotated[list[Code], Meta(max_length=100)]
FormValues = Annotated[dict[Code, Any], Meta(max_length=200)]
Documents = Annotated[list[Annotated[str, Meta(max_length=100)]], Meta(max_length=50)]
TAG = "applications"


class NewApplication(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    region_id: RegionId
    person_id: Id
    policies: Policies = []  # none chosen: 422 naming policies
    form: FormValues = {}
    documents: Documents = []


class Decision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    approve: bool
    reason: Reason = ""  # required for a refusal only (an approval reads 同意)


class NewDecision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    decisions: Annotated[dict[Code, Decision], Meta(max_length=100)]


class FormCheck(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    policies: Policies
    form: FormValues = {}
    documents: Documents = []


class FormWarnings(msgspec.Struct, kw_only=True):
    warnings: dict[str, list[str]]  # policy code -> what is missing for it


class ApplicationPage(msgspec.Struct, kw_only=True):
    items: list[service.ApplicationSummary]
    next: str | None  # pass back as `cursor` for the next page; null on the last page


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
    with svc.reading() as conn:
        person = msgspec.convert(
            fetch_one(conn, persons, "person", person_id, id=person_id), Person
        )
    if person.region_id != region_id:
        raise NotFound("person", person_id)
    check_scope(actor, region.info, "person", person_id, person.region_id, person.area_code)
    plist = service.policy_list(region)
    ticks = service.suggest(region, person, local_date(svc.now()), svc.regions)
    filled = service.prefill(plist, person)
    return msgspec.structs.replace(
        schema,
        person_id=person_id,
        suggested=ticks,
        prefill=shown_values(actor, filled),
        warnings=service.check_form(plist, ticks, filled, []),
    )


@route("GET", "/regions/{region_id:str}/form", summary="The joint form (联办表)", tag=TAG)
def read_form(
    svc: Services,
    actor: Actor,
    region_id: str,
    person_id: int | None = Parameter(default=None),
) -> service.FormSchema:
    return form_for(svc, actor, region_id, person_id)


@route(
    "POST",
    "/regions/{region_id:str}/form/check",
    summary="What a filled form still lacks (联办表检查)",
    tag=TAG,
)
def check_form(svc: Services, actor: Actor, region_id: str, data: FormCheck) -> FormWarnings:
    _own_region(actor, region_id)
    plist = service.policy_list(svc.region(region_id))
    unknown = [c for c in data.policies if c not in {p.code for p in plist.policies}]
    if unknown:
        from jiuzhu.core.base import Invalid

        raise Invalid("policies", f"未知的救助事项 {unknown}")
    return FormWarnings(
        warnings=service.check_form(plist, data.policies, data.form, data.documents)
    )


@route(
    "GET",
    "/regions/{region_id:str}/form.html",
    summary="The printable form, A4 (联办表打印)",
    tag=TAG,
    media_type=MediaType.HTML,
)
def read_form_html(
    svc: Services,
    actor: Actor,
    region_id: str,
    person_id: int | None = Parameter(default=None),
) -> Response[str]:
    """The printable form; for a person, the suggested policies are printed pre-ticked."""
    ticks = form_for(svc, actor, region_id, person_id).suggested
    return printable(render_form(svc.region(region_id), ticks))


@route(
    "POST", "/applications", summary="Accept a joint application (一表受理)", tag=TAG, created=True
)
def submit(
    svc: Services, actor: Actor, data: NewApplication, idempotency_key: IdempotencyKey = None
) -> Response[service.ApplicationView]:
    view = service.submit_application(
        svc, actor, data.region_id, data.person_id, data.policies, data.form, data.documents
    )
    return Response(
        view, status_code=201, headers={"Location": f"/api/applications/{view.receipt}"}
    )


@route("GET", "/applications", summary="List applications in scope (联办申请列表)", tag=TAG)
def list_applications(
    svc: Services,
    actor: Actor,
    status: Annotated[
        Literal["pending", "decided"] | None, Parameter(description="办理中或已办结")
    ] = None,
    department: Annotated[
        str | None, Parameter(min_length=1, max_length=40, description="有该部门任务的申请")
    ] = None,
    limit: Annotated[
        int, Parameter(ge=1, le=MAX_LIMIT, description="每页条数（1至200，默认50）")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Parameter(max_length=200, description="上一页应答中的 next，原样传回")
    ] = None,
) -> ApplicationPage:
    items, nxt = service.list_applications(
        svc, actor, status=status, department=department, limit=limit, cursor=cursor
    )
    return ApplicationPage(items=items, next=nxt)


@route(
    "GET", "/applications/{receipt:str}", summary="An application's progress (办理进度)", tag=TAG
)
def read_application(svc: Services, actor: Actor, receipt: str) -> service.ApplicationView:
    return service.get_application(svc, actor, receipt)


@route(
    "GET",
    "/applications/{receipt:str}/receipt.html",
    summary="The printable receipt (受理回执)",
    tag=TAG,
    media_type=MediaType.HTML,
)
def read_receipt(svc: Services, actor: Actor, receipt: str) -> Response[str]:
    return printable(render_receipt(svc, actor, receipt))


@route(
    "POST",
    "/applications/{receipt:str}/tasks/{task_id:int}/decision",
    summary="A department decides its task (部门审批)",
    tag=TAG,
)
def decide(
    svc: Services,
    actor: Actor,
    receipt: str,
    task_id: int,
    data: NewDecision,
    idempotency_key: IdempotencyKey = None,
) -> service.DecisionResult:
    return service.decide_task(
        svc,
        actor,
        receipt,
        task_id,
        {code: (d.approve, d.reason) for code, d in data.decisions.items()},
    )


@route(
    "GET",
    "/departments/{department:str}/tasks",
    summary="A department's queue (部门待办)",
    tag=TAG,
    codes=READ_ERRORS,
)
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
    list_applications,
    read_application,
    read_receipt,
    decide,
    read_tasks,
]
