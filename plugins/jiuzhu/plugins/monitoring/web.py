"""The monitoring API (政策找人), mounted under /api through the jiuzhu_web_routes hook:
feeds, the queue of warnings and leads, verification visits, supervision."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

import msgspec
from litestar import Response
from litestar.params import Parameter
from msgspec import Meta

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid, NotFound
from jiuzhu.core.limits import RegionId
from jiuzhu.core.services import Services
from jiuzhu.core.web.openapi import IdempotencyKey, route

from . import dynamic, service, work
from .feeds import FeedRefused

TAG = "monitoring"
FEED_LIMIT = 24 * 1024 * 1024  # one department file
Code = Annotated[str, Meta(min_length=1, max_length=40)]
Short = Annotated[str, Meta(max_length=200)]


class NewLeadBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=60)]
    area_code: Annotated[str, Meta(min_length=6, max_length=12)]
    description: Annotated[str, Meta(min_length=1, max_length=1000)]
    phone: Annotated[str, Meta(max_length=20)] = ""
    address: Short = ""
    id_number: Annotated[str, Meta(max_length=18)] = ""
    level: Literal["red", "orange", "yellow"] = "yellow"


class VisitBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Literal["no_hardship", "apply", "open_case", "served", "exit"]
    note: Annotated[str, Meta(max_length=1000)] = ""


class FeedUpload(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    filename: Annotated[str, Meta(min_length=1, max_length=200)]
    content_base64: Annotated[str, Meta(min_length=1, max_length=FEED_LIMIT // 3 * 4 + 4)]


class FeedProblem(msgspec.Struct, kw_only=True):
    row: int
    column: str
    code: str
    message: str


class FeedRefusal(msgspec.Struct, kw_only=True):
    error: str
    field: str
    detail: str
    problems: list[FeedProblem]


def _own_region(actor: Actor, region_id: str) -> None:
    if region_id != actor.region_id:
        raise NotFound("region", region_id)


@route(
    "POST",
    "/regions/{region_id:str}/feeds/{kind:str}",
    summary="Load a department's file (部门数据导入): CSV (UTF-8/GBK) or XLSX, base64",
    tag=TAG,
    created=True,
    request_max_body_size=FEED_LIMIT // 3 * 4 + 4096,
)
def load(
    svc: Services,
    actor: Actor,
    region_id: RegionId,
    kind: Code,
    data: FeedUpload,
    idempotency_key: IdempotencyKey = None,
) -> Response[service.LoadResult | FeedRefusal]:
    """A file with any bad cell is refused whole (422 with every problem by row and
    column); the same file twice is refused (409)."""
    _own_region(actor, region_id)
    try:
        content = base64.b64decode(data.content_base64, validate=True)
    except binascii.Error:
        raise Invalid("content_base64", "应为文件内容的 base64 编码") from None
    try:
        result = service.load_feed(svc, actor, region_id, kind, data.filename, content)
    except FeedRefused as exc:
        problems = [
            FeedProblem(row=p.row, column=p.column, code=p.code, message=p.message)
            for p in exc.problems
        ]
        return Response(
            FeedRefusal(error="invalid", field="file", detail=str(exc), problems=problems),
            status_code=422,
        )
    return Response(
        result, status_code=201, headers={"Location": f"/api/regions/{region_id}/feeds"}
    )


@route("GET", "/regions/{region_id:str}/feeds", summary="Every feed load (导入记录)", tag=TAG)
def list_loads(svc: Services, actor: Actor, region_id: RegionId) -> list[service.LoadView]:
    _own_region(actor, region_id)
    return service.loads(svc, actor, region_id)


@route(
    "GET",
    "/regions/{region_id:str}/warnings",
    summary="The queue of warnings and leads in scope, most urgent first (预警与线索)",
    tag=TAG,
)
def list_warnings(
    svc: Services,
    actor: Actor,
    region_id: RegionId,
    status: Annotated[
        Literal["open", "closed"] | None, Parameter(description="未办结或已办结；不填为未办结")
    ] = "open",
    level: Literal["red", "orange", "yellow"] | None = None,
) -> list[service.SignalView]:
    _own_region(actor, region_id)
    return service.list_signals(svc, actor, region_id, status=status, level=level)


@route("GET", "/warnings/{signal_id:int}", summary="One warning or lead (预警详情)", tag=TAG)
def read_warning(svc: Services, actor: Actor, signal_id: int) -> service.SignalView:
    return work.get_signal(svc, actor, signal_id)


@route(
    "POST", "/leads", summary="Report a lead (报告线索): no ID number needed", tag=TAG, created=True
)
def report(
    svc: Services, actor: Actor, data: NewLeadBody, idempotency_key: IdempotencyKey = None
) -> Response[service.SignalView]:
    view = work.report_lead(svc, actor, work.NewLead(**msgspec.structs.asdict(data)))
    return Response(view, status_code=201, headers={"Location": f"/api/warnings/{view.id}"})


@route(
    "POST",
    "/warnings/{signal_id:int}/visit",
    summary="Record the verification visit's outcome (核实走访结果)",
    tag=TAG,
)
def visit(
    svc: Services,
    actor: Actor,
    signal_id: int,
    data: VisitBody,
    idempotency_key: IdempotencyKey = None,
) -> work.VisitResult:
    return work.record_visit(svc, actor, signal_id, data.outcome, data.note)


@route(
    "GET",
    "/regions/{region_id:str}/warnings/oversight",
    summary="Supervision: by level and rule, response times, conversion by area (预警监管)",
    tag=TAG,
)
def read_oversight(svc: Services, actor: Actor, region_id: RegionId) -> service.Oversight:
    _own_region(actor, region_id)
    return service.oversight(svc, actor, region_id)


@route(
    "GET",
    "/regions/{region_id:str}/recertifications",
    summary="Open cases whose re-certification is due (动态复核到期)",
    tag=TAG,
)
def list_due(svc: Services, actor: Actor, region_id: RegionId) -> list[dynamic.Due]:
    _own_region(actor, region_id)
    return dynamic.due_recertifications(svc, actor)


class RecertifyBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, Meta(min_length=1, max_length=1000)]


@route(
    "POST",
    "/cases/{case_id:int}/recertify",
    summary="Record a re-certification (动态复核：仍符合条件)",
    tag=TAG,
)
def recertify(
    svc: Services,
    actor: Actor,
    case_id: int,
    data: RecertifyBody,
    idempotency_key: IdempotencyKey = None,
) -> dynamic.Recertified:
    return dynamic.recertify(svc, actor, case_id, data.note)


ROUTES = [
    list_due,
    recertify,
    load,
    list_loads,
    list_warnings,
    read_warning,
    report,
    visit,
    read_oversight,
]
