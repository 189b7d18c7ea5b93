"""Pages (the upload page of a region administrator, downloads) and API endpoints of data
exchange, mounted through jiuzhu_web_pages and jiuzhu_web_routes. Both doors run the same
functions as the CLI (importer.run_import, export.export), so checks, scope, masking and
audit are the same."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import litestar
import msgspec
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Template

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid
from jiuzhu.core.services import Services
from jiuzhu.core.times import local_date
from jiuzhu.core.web.auth import client_ip
from jiuzhu.core.web.openapi import (
    READ_ERRORS,
    WRITE_ERRORS,
    IdempotencyKey,
    errors,
    route,
)
from jiuzhu.core.web.pages.common import page

from . import uploads
from .columns import KIND_LABELS, KINDS
from .export import EXPORT_LABELS, EXPORTS, FORMATS, Filters, default_name, export
from .importer import Outcome, run_import
from .reader import FileProblem, read_bytes
from .report import write_error_workbook

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)
T = "jiuzhu.plugins.exchange:templates/pages/"
TAG = "data exchange"
SHOWN_PROBLEMS = 200  # on the page; the error workbook has them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


@dataclass
class UploadForm:
    kind: str
    file: UploadFile


Upload = Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]


def _read(form: UploadForm) -> tuple[str, bytes]:
    if form.kind not in KINDS:
        raise Invalid("kind", f"导入类型应为 {'、'.join(KINDS)} 之一")
    data = form.file.file.read(uploads.MAX_BYTES + 1)
    if len(data) > uploads.MAX_BYTES:
        raise Invalid("file", f"文件超过 {uploads.MAX_BYTES // 1024 // 1024} MB，请分批导入")
    if not data:
        raise Invalid("file", "请选择要上传的文件（.xlsx 或 .csv）")
    return form.file.filename or "upload", data


def _sheet(data: bytes, name: str) -> Any:
    try:
        return read_bytes(data, name)
    except FileProblem as exc:
        raise Invalid("file", str(exc)) from None


def download(path: Path, name: str, media_type: str) -> Response[bytes]:
    return Response(
        content=path.read_bytes(),
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def _filters(start: date | None, end: date | None, area: str | None) -> Filters:
    return Filters(start=start, end=end, area=area or None)


def _export_response(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    kind: str,
    fmt: str,
    filters: Filters,
) -> Response[bytes]:
    if kind not in EXPORTS:
        raise Invalid("kind", f"导出类型应为 {'、'.join(EXPORTS)} 之一")
    if fmt not in FORMATS:
        raise Invalid("format", "格式应为 xlsx 或 csv")
    name = default_name(kind, actor.region_id, fmt, local_date(svc.now()))
    with tempfile.TemporaryDirectory(prefix="jiuzhu-export-") as tmp:
        path = Path(tmp) / name
        export(
            svc,
            actor,
            kind,
            actor.region_id,
            fmt,
            path,
            filters,
            via=request.url.path,
            client_ip=client_ip(request),
        )
        return download(path, name, MEDIA[fmt])


# --- pages ---------------------------------------------------------------------------------
def _exchange_page(
    request: Request[Any, Any, Any], actor: Actor, status: int = 200, **ctx: Any
) -> Template:
    return page(
        request,
        actor,
        T + "exchange.html",
        status,
        kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        exports=[(k, EXPORT_LABELS[k]) for k in EXPORTS],
        **ctx,
    )


@get("/exchange", nav="数据导入导出", permission="data.import")
def exchange_page(request: Request[Any, Any, Any], actor: Actor) -> Template:
    """The upload form and every export."""
    actor.require("data.import")
    return _exchange_page(request, actor)


@get("/exchange/template/{kind:str}")
def template_download(svc: Services, actor: Actor, kind: str) -> Response[bytes]:
    from .template import write_template

    if kind not in KINDS:
        raise Invalid("kind", f"模板类型应为 {'、'.join(KINDS)} 之一")
    name = f"{KIND_LABELS[kind]}导入模板.xlsx"
    with tempfile.TemporaryDirectory(prefix="jiuzhu-template-") as tmp:
        path = Path(tmp) / "template.xlsx"
        write_template(kind, svc.region(actor.region_id).info, path)
        return download(path, name, XLSX)


def _report(
    request: Request[Any, Any, Any], actor: Actor, upload: uploads.Upload, outcome: Outcome
) -> Template:
    if outcome.problems:
        write_error_workbook(outcome, upload.errors)
    return page(
        request,
        actor,
        T + "report.html",
        upload=upload,
        outcome=outcome,
        label=KIND_LABELS[upload.kind],
        problems=outcome.problems[:SHOWN_PROBLEMS],
    )


@post("/exchange/import", request_max_body_size=uploads.MAX_BYTES + 64 * 1024)
def import_upload(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: Upload
) -> Template:
    """Step 1: the file is kept and checked (dry run); the report offers the error
    workbook, or the button that writes it."""
    actor.require("data.import")
    try:
        name, raw = _read(data)
        sheet = _sheet(raw, name)
    except Invalid as exc:
        return _exchange_page(request, actor, 422, error=exc.detail)
    upload = uploads.save(actor, data.kind, name, raw)
    outcome = run_import(svc, actor, data.kind, actor.region_id, sheet, source=name)
    return _report(request, actor, upload, outcome)


@post("/exchange/import/{token:str}/apply")
def import_apply(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, token: str
) -> Template:
    """Step 2: the same file written, all rows or none (checked again first)."""
    actor.require("data.import")
    upload = uploads.load(actor, token)
    sheet = _sheet(upload.path.read_bytes(), upload.name)
    outcome = run_import(
        svc, actor, upload.kind, actor.region_id, sheet, apply=True, source=upload.name
    )
    return _report(request, actor, upload, outcome)


@get("/exchange/import/{token:str}/errors")
def import_errors(actor: Actor, token: str) -> Response[bytes]:
    """The error workbook of an upload (its owner's only)."""
    upload = uploads.load(actor, token)
    if not upload.errors.exists():
        raise Invalid("token", "此次上传没有问题清单")
    stem = Path(upload.name).stem
    return download(upload.errors, f"{stem}.问题.xlsx", XLSX)


@get("/exchange/export/{kind:str}")
def export_download(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    kind: str,
    fmt: Annotated[str, QueryParameter(name="format")] = "xlsx",
    start: Annotated[date | None, QueryParameter(name="from")] = None,
    end: Annotated[date | None, QueryParameter(name="to")] = None,
    area: str | None = None,
) -> Response[bytes]:
    """A download button's target: the export as the signed-in user may see it."""
    return _export_response(request, svc, actor, kind, fmt, _filters(start, end, area))


PAGES = [
    exchange_page,
    template_download,
    import_upload,
    import_apply,
    import_errors,
    export_download,
]


# --- API -----------------------------------------------------------------------------------
class ProblemOut(msgspec.Struct, kw_only=True):
    row: int  # row number in the file; the header is row 1
    column: str  # the header of the column at fault ("" for the row or the file)
    message: str  # in Chinese, naming the rule


class ImportReport(msgspec.Struct, kw_only=True):
    kind: str
    region_id: str
    rows: int
    new: int
    updated: int
    unchanged: int
    applied: bool  # true: written (one transaction); false: dry run, or refused for problems
    problems: list[ProblemOut]


@litestar.post(
    "/import/{kind:str}",
    summary="Import a roster (dry run, or apply with ?apply=true)",
    tags=[TAG],
    status_code=200,
    responses=errors(WRITE_ERRORS),
    request_max_body_size=uploads.MAX_BYTES,
    description=(
        "The body is the file itself (XLSX, or CSV in UTF-8 or GBK; e.g. `curl "
        "--data-binary @roster.csv -H 'Content-Type: text/csv'`); `kind` is persons, "
        "households, providers or workers. Every problem is listed with its row and column. "
        "With `apply=true` all rows are written in one transaction, or none when any row "
        "has a problem (`applied` false). Re-sending the same file changes nothing. Needs "
        "`data.import`. See docs/data-exchange.md."
    ),
)
async def api_import(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    kind: str,
    apply: bool = False,
    name: Annotated[str, Parameter(max_length=200)] = "upload",
    idempotency_key: IdempotencyKey = None,
) -> ImportReport:
    raw = await request.body()
    return await anyio.to_thread.run_sync(partial(_api_import, svc, actor, kind, raw, name, apply))


def _api_import(
    svc: Services, actor: Actor, kind: str, raw: bytes, name: str, apply: bool
) -> ImportReport:
    if kind not in KINDS:
        raise Invalid("kind", f"导入类型应为 {'、'.join(KINDS)} 之一")
    actor.require("data.import")
    if not raw:
        raise Invalid("body", "请求体应为名单文件（.xlsx 或 .csv）")
    outcome = run_import(
        svc, actor, kind, actor.region_id, _sheet(raw, name), apply=apply, source=name
    )
    return ImportReport(
        kind=kind,
        region_id=actor.region_id,
        rows=outcome.rows,
        new=outcome.new,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        applied=outcome.applied,
        problems=[
            ProblemOut(row=p.row, column=p.column, message=p.message) for p in outcome.problems
        ],
    )


@route(
    "GET",
    "/export/{kind:str}",
    summary="Export cases, orders, deliveries, statistics or applications (XLSX or CSV)",
    tag=TAG,
    codes=READ_ERRORS,
    description=(
        "`kind`: cases, orders, deliveries, statistics, applications. `format`: xlsx "
        "(default) or csv. `from`/`to`: days in Shanghai, both included; `area`: an area "
        "code (and those below it). Rows are those the caller may see; ID numbers masked "
        "unless the role holds `id.full`. Every export is audited."
    ),
)
def api_export(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    kind: str,
    fmt: Annotated[str, QueryParameter(name="format")] = "xlsx",
    start: Annotated[date | None, QueryParameter(name="from")] = None,
    end: Annotated[date | None, QueryParameter(name="to")] = None,
    area: str | None = None,
) -> Response[bytes]:
    return _export_response(request, svc, actor, kind, fmt, _filters(start, end, area))


ROUTES = [api_import, api_export]
