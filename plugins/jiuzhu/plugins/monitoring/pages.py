"""The monitoring pages (mounted through jiuzhu_web_pages), for phones first: the queue
and the verification visit, reporting a lead, loading a department's file, supervision.

Every page goes through the same services as the API and the CLI (service.py, work.py).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import litestar
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.money import yuan
from jiuzhu.core.services import Services
from jiuzhu.core.web.pages import forms
from jiuzhu.core.web.pages.common import page
from jiuzhu.core.web.pages.oversight import bar_chart

from . import service, work
from .feeds import FeedRefused
from .web import FEED_LIMIT

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)
T = "jiuzhu.plugins.monitoring:templates/pages/"
LEVELS = (("red", "红色（紧急）"), ("orange", "橙色"), ("yellow", "黄色（一般）"))
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def _areas(svc: Services, actor: Actor) -> list[tuple[str, str]]:
    info = svc.region(actor.region_id).info
    scope = set(service_area_codes(svc, actor))
    names = [(info.code, info.name), *((a.code, a.name) for a in info.areas)]
    return [(code, name) for code, name in names if code in scope]


def service_area_codes(svc: Services, actor: Actor) -> list[str]:
    from jiuzhu.core.access import area_codes

    return area_codes(actor, svc.region(actor.region_id).info)


def _area_names(svc: Services, actor: Actor) -> dict[str, str]:
    info = svc.region(actor.region_id).info
    return {info.code: info.name, **{a.code: a.name for a in info.areas}}


def _value(s: service.SignalView) -> str:
    unit = s.trigger.get("unit")
    if unit == "money":
        return yuan(s.value)
    if unit == "points":
        return f"{s.value}分"
    if unit == "rules":
        return f"{s.value}项同时满足"
    return str(s.value) if s.source == "rule" else ""


def _facts(monitoring: Any, trigger: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    """The triggering row as the department's headers and values (money in yuan)."""
    row = trigger.get("row") or {}
    try:
        kind = monitoring.kind(str(trigger.get("feed", "")))
    except KeyError:
        return "", [(str(k), "" if v is None else str(v)) for k, v in row.items()]
    facts = []
    for col in kind.columns:
        value = row.get(col.code)
        if value is None:
            continue
        if col.type == "money" and isinstance(value, int):
            text = yuan(value)
        elif col.type == "bool":
            text = "是" if value else "否"
        else:
            text = str(value)
        facts.append((col.header, text))
    return f"{kind.name}（{kind.department}）", facts


# --- the queue and the visit ------------------------------------------------------------
@get("/monitoring", nav="预警核实", permission="warnings.visit", section="monitoring")
def queue(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    rows = service.list_signals(svc, actor, actor.region_id)
    return page(
        request,
        actor,
        T + "queue.html",
        rows=rows,
        values={s.id: _value(s) for s in rows},
        area_names=_area_names(svc, actor),
        now=svc.now(),
    )


@get("/monitoring/warnings/{signal_id:int}")
def signal_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, signal_id: int, done: str = ""
) -> Template:
    return _signal_page(request, svc, actor, signal_id, done=done)


def _signal_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    signal_id: int,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    s = work.get_signal(svc, actor, signal_id)
    context: dict[str, Any] = {"error": "", "done": "", "apply_id": "", **extra}
    monitoring = service.monitoring_of(svc.region(actor.region_id))
    feed_name, facts = _facts(monitoring, s.trigger)
    return page(
        request,
        actor,
        T + "signal.html",
        status_code,
        s=s,
        value=_value(s),
        feed_name=feed_name,
        area_names=_area_names(svc, actor),
        facts=facts,
        outcomes=work.OUTCOMES,
        now=svc.now(),
        **context,
    )


@post("/monitoring/warnings/{signal_id:int}/visit")
def visit(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    signal_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    outcome = forms.text(data, "outcome")
    try:
        result = work.record_visit(svc, actor, signal_id, outcome, forms.text(data, "note"))
    except (Invalid, Refused) as exc:
        if isinstance(exc, Refused) and exc.rule == "access":
            raise
        detail = exc.detail
        return _signal_page(request, svc, actor, signal_id, 422, error=detail)
    if result.outcome == "apply":
        # the one-form's intake, pre-filled: a form posting the ID number to /apply/find
        return _signal_page(
            request, svc, actor, signal_id, done="apply", apply_id=result.apply_id_number
        )
    return Redirect(path=f"/monitoring/warnings/{signal_id}?done={result.outcome}", status_code=303)


# --- leads --------------------------------------------------------------------------------
@get("/monitoring/lead", nav="报告线索", permission="leads.report", section="monitoring")
def lead_form(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    actor.require("leads.report")
    return _lead_page(request, svc, actor, {}, {})


def _lead_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    made: service.SignalView | None = None,
) -> Template:
    return page(
        request,
        actor,
        T + "lead.html",
        status_code,
        values=values,
        errors=errors,
        areas=_areas(svc, actor),
        levels=LEVELS,
        made=made,
    )


@post("/monitoring/lead")
def lead_submit(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template:
    keys = ("name", "area_code", "description", "phone", "address", "id_number", "level")
    values = {k: forms.text(data, k) for k in keys}
    try:
        made = work.report_lead(
            svc, actor, work.NewLead(**{**values, "level": values["level"] or "yellow"})
        )
    except Invalid as exc:
        return _lead_page(request, svc, actor, values, {exc.field: exc.detail}, 422)
    return _lead_page(request, svc, actor, {}, {}, 201, made)


# --- feeds --------------------------------------------------------------------------------
@get("/monitoring/feeds", nav="部门数据", permission="feeds.load", section="monitoring")
def feeds_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    return _feeds_page(request, svc, actor)


def _feeds_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    monitoring = service.monitoring_of(svc.region(actor.region_id))
    context: dict[str, Any] = {"problems": [], "error": "", "result": None, **extra}
    return page(
        request,
        actor,
        T + "feeds.html",
        status_code,
        kinds=monitoring.kinds,
        loads=service.loads(svc, actor, actor.region_id)[:50],
        **context,
    )


@litestar.post("/monitoring/feeds", request_max_body_size=FEED_LIMIT + 65536)
async def feeds_upload(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: Upload
) -> Template:
    from anyio import to_thread

    kind = str(data.get("kind", ""))
    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""

    def run() -> Template:
        if not content:
            return _feeds_page(request, svc, actor, 422, error="请选择要导入的文件")
        try:
            result = service.load_feed(svc, actor, actor.region_id, kind, filename, content)
        except FeedRefused as exc:
            return _feeds_page(
                request,
                svc,
                actor,
                422,
                problems=[str(p) for p in exc.problems[:200]],
                error=f"{filename}：{len(exc.problems)}处错误，未导入任何数据",
            )
        except Refused as exc:
            if exc.rule == "access":
                raise
            return _feeds_page(request, svc, actor, 422, error=exc.detail)
        return _feeds_page(request, svc, actor, 201, result=result)

    return await to_thread.run_sync(run)


# --- supervision --------------------------------------------------------------------------
@get("/monitoring/oversight", nav="预警监管", permission="warnings.read", section="monitoring")
def oversight_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    o = service.oversight(svc, actor, actor.region_id)
    charts = [
        ("按等级", bar_chart([(c.label, c.count) for c in o.by_level], "条")),
        ("按规则", bar_chart([(c.label, c.count) for c in o.by_rule], "条")),
        ("按来源", bar_chart([(c.label, c.count) for c in o.by_source], "条")),
    ]
    return page(request, actor, T + "oversight.html", o=o, charts=charts)


PAGES = [
    queue,
    signal_page,
    visit,
    lead_form,
    lead_submit,
    feeds_page,
    feeds_upload,
    oversight_page,
]
