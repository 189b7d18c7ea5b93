"""`/sessions`: group sessions (小组工作 / 主题活动) on the worker's phone — plan one, find
attendees by name within scope, check each in (a person-time each), close it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import litestar
from litestar import Request
from litestar.response import Redirect, Template

from ...access import Actor
from ...base import Invalid, Refused
from ...services import Services
from ...services.providers import list_providers
from ...services.sessions import (
    NewSession,
    attendance_counts,
    candidates,
    check_in,
    close_session,
    create_session,
    get_session,
    list_sessions,
)
from ...times import SHANGHAI, local
from ..auth import audit_request
from . import forms
from .common import page
from .people import areas_for

DONE = {"created": "活动已创建，可开始签到。", "checked": "已签到。", "closed": "活动已结束。"}


def _list(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    actor.require("order.read")
    region = svc.region(actor.region_id)
    rows = list_sessions(svc, actor)
    with svc.reading() as conn:
        counts = attendance_counts(conn, [s.id for s in rows])
    items = [i for i in region.catalogue.items if i.mode == "group"]
    providers = [
        p for p in list_providers(svc, actor) if actor.provider_id in (None, p.id) and p.active
    ]
    now = local(svc.now())
    return page(
        request,
        actor,
        "sessions.html",
        status,
        sessions=rows,
        counts=counts,
        items=items,
        item_names={i.code: i.name for i in region.catalogue.items},
        providers=providers,
        areas=areas_for(svc, actor),
        errors=errors or {},
        values=values
        or {"starts_at": now.strftime("%Y-%m-%dT%H:%M"), "minutes": "90", "area_code": ""},
        notice=notice,
        region=region,
    )


@litestar.get("/sessions", sync_to_thread=True)
def sessions_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, done: str = ""
) -> Template:
    return _list(request, svc, actor, notice=DONE.get(done, ""))


@litestar.post("/sessions", sync_to_thread=True)
def create(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    actor.require("session.run")
    errors: dict[str, str] = {}
    values = {
        k: forms.text(data, k)
        for k in ("item_code", "title", "starts_at", "minutes", "area_code", "provider_id")
    }
    minutes = forms.integer(data, "minutes", errors, 90)
    provider_id = forms.integer(data, "provider_id", errors)
    try:
        starts = datetime.fromisoformat(values["starts_at"]).replace(tzinfo=SHANGHAI)
    except ValueError:
        errors["starts_at"] = "请填写开始时间"
        starts = None
    if not values["item_code"]:
        errors["item_code"] = "请选择活动类服务项目"
    if not errors and starts is not None:
        try:
            session = create_session(
                svc,
                actor,
                NewSession(
                    item_code=values["item_code"],
                    title=values["title"],
                    starts_at=starts,
                    minutes=minutes or 0,
                    area_code=values["area_code"] or actor.area_code,
                    provider_id=provider_id,
                ),
            )
        except Invalid as exc:
            errors[exc.field] = exc.detail
        except Refused as exc:
            if exc.rule == "access":
                raise
            errors["provider_id"] = exc.detail
        else:
            audit_request(request, svc, actor, "session.create", session_id=session.id)
            return Redirect(path=f"/sessions/{session.id}?done=created", status_code=303)
    return _list(request, svc, actor, 422, errors, values)


def _one(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    session_id: int,
    q: str = "",
    status: int = 200,
    error: str = "",
    notice: str = "",
) -> Template:
    view = get_session(svc, actor, session_id)
    region = svc.region(view.session.region_id)
    found = candidates(svc, actor, session_id, q) if q and actor.can("session.run") else []
    named = sorted({a.case_id for a in view.attendees} | {c.case_id for c in found})
    if named:
        audit_request(request, svc, actor, "session.view", cases=named, session_id=session_id)
    return page(
        request,
        actor,
        "session.html",
        status,
        view=view,
        q=q,
        found=found,
        error=error,
        notice=notice,
        area_name=region.info.area_name,
    )


@litestar.get("/sessions/{session_id:int}", sync_to_thread=True)
def session_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    session_id: int,
    q: str = "",
    done: str = "",
) -> Template:
    return _one(request, svc, actor, session_id, q[:20], notice=DONE.get(done, ""))


@litestar.post("/sessions/{session_id:int}/attendees", sync_to_thread=True)
def attend(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    session_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    case_id = forms.integer(data, "case_id", {})
    if case_id is None:
        raise Invalid("case_id", "请选择签到对象")
    try:
        check_in(svc, actor, session_id, case_id)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _one(request, svc, actor, session_id, forms.text(data, "q"), 409, exc.detail)
    audit_request(request, svc, actor, "session.check_in", case_id, session_id=session_id)
    return Redirect(path=f"/sessions/{session_id}?done=checked", status_code=303)


@litestar.post("/sessions/{session_id:int}/close", sync_to_thread=True)
def close(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, session_id: int
) -> Redirect:
    close_session(svc, actor, session_id)
    audit_request(request, svc, actor, "session.close", session_id=session_id)
    return Redirect(path=f"/sessions/{session_id}?done=closed", status_code=303)


ROUTES = [sessions_page, create, session_page, attend, close]
