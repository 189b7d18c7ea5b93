"""What every page shares: the signed-in actor, rendering, errors as pages, scoped queries."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template
from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.exc import DataError

from ...access import Actor, access_registry, area_codes, order_scope, shown_text
from ...base import Invalid, NotFound, Refused
from ...domain import OrderStatus
from ...entitlement import amount_text
from ...money import yuan
from ...regions import Region
from ...sections import PageSection
from ...services import Services, plain
from ...services.orders import STATUS_LABELS
from ...storage.tables import cases, households, orders, persons, providers, users, workers
from ...times import SHANGHAI
from ..auth import SESSION_COOKIE, session_user
from ..idempotency import SVC_STATE
from ..labels import Labels, grade, labels_for


class SignInRequired(NotAuthorizedException):
    """A page asked for by someone not signed in (or whose session has expired)."""


def page_actor(request: Request[Any, Any, Any], svc: Services) -> Actor:
    user = session_user(request, svc)
    if user is None:
        raise SignInRequired("sign in first")
    request.scope["state"]["user"] = user.username  # for the request log (web/logs.py)
    return user.actor(access_registry(svc.regions.pm))


# (href, label, permission, the roles whose main task it is: first in their menu, the
# region data section the page needs: None for every region)
NavEntry = tuple[str, str, str | None, tuple[str, ...], str | None]
NAV: tuple[NavEntry, ...] = (
    ("/", "待办", None, ("admin",), None),
    ("/persons", "对象", "case.write", (), None),
    ("/cases", "档案", "case.read", (), None),
    ("/dispatch", "派单", "order.dispatch", ("officer",), None),
    ("/work", "我的工单", "order.work", ("worker", "provider_admin"), None),
    ("/sessions", "活动", "session.run", (), None),
    ("/supervision", "监管", "stats.read", ("supervisor",), None),
    ("/stats", "统计", "stats.read", ("evaluator",), None),
    ("/config", "地区配置", None, (), None),
)


def menu(
    entries: Any, actor: Actor | None, sections: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """The menu entries ``actor`` may open, its role's main task first (a page declares
    whose main task it is: ``main_for`` in NAV, ``opt={"main_for": (...)}`` for plugins);
    a page that needs a region data section (``opt={"section": ...}``) only where the
    actor's region has it (``sections``; None: not known, shown)."""
    if actor is None:
        return []
    allowed = [
        e
        for e in entries
        if (e[2] is None or actor.can(e[2]))
        and (e[4] is None or sections is None or e[4] in sections)
    ]
    main = [e for e in allowed if actor.role in e[3]]
    return [(e[0], e[1]) for e in [*main, *(e for e in allowed if e not in main)]]


def page(
    request: Request[Any, Any, Any],
    actor: Actor | None,
    name: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    region = actor_region(request, actor)
    sections = None if region is None else set(region.sections)
    nav = menu([*NAV, *request.app.state.get("jiuzhu_nav", ())], actor, sections)
    if actor is not None and name in LIST_PAGES and "page_sections" not in context:
        svc = request.app.state.get(SVC_STATE)
        if isinstance(svc, Services):
            context["page_sections"] = page_sections(svc, actor, LIST_PAGES[name])
    return Template(
        template_name=name,
        context={
            "actor": actor,
            "nav": nav,
            "path": request.url.path,
            "labels": labels_for(request.app.state[SVC_STATE].regions.pm, region),
            **context,
        },
        status_code=status_code,
    )


def actor_region(request: Request[Any, Any, Any], actor: Actor | None) -> Region | None:
    """The signed-in actor's region (None: no one signed in, or a region not installed)."""
    if actor is None:
        return None
    svc: Services = request.app.state[SVC_STATE]
    try:
        return svc.region(actor.region_id)
    except NotFound:
        return None


def page_labels(request: Request[Any, Any, Any], actor: Actor | None) -> Labels:
    """The Chinese labels of the actor's region (web/labels.py; plugins add theirs)."""
    svc: Services = request.app.state[SVC_STATE]
    return labels_for(svc.regions.pm, actor_region(request, actor))


def staff_names(svc: Services, usernames: Any) -> dict[str, str]:
    """Who did it, as a person reads it: the user's display name (the login if none)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    with svc.reading() as conn:
        rows = conn.execute(
            select(users.c.username, users.c.display_name).where(users.c.username.in_(wanted))
        ).all()
    found = {str(u): str(d) for u, d in rows if d}
    return {u: found.get(u, u) for u in wanted}


def signed_in(request: Request[Any, Any, Any]) -> Actor | None:
    """The signed-in actor for an error page's menu; None when no one is (never raises)."""
    try:
        svc: Services = request.app.state[SVC_STATE]
        user = session_user(request, svc)
        return user.actor(access_registry(svc.regions.pm)) if user is not None else None
    except Exception:  # an error page must render even when the session cannot be read
        return None


# core pages whose template shows what plugins add (jiuzhu_page_sections with this page
# name; e.g. the data-exchange plugin's download buttons): {% include "_page_sections.html" %}
LIST_PAGES = {"stats.html": "stats", "persons.html": "persons", "dispatch.html": "dispatch"}


def _error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Any:
    return page(request, signed_in(request), "error.html", status, title=title, detail=detail)


FROM_COOKIE = "jiuzhu_from"  # the page a form was sent from (static/keep-form.js)


def safe_next(value: str) -> str:
    """A page of this site to return to after signing in ("" if ``value`` is not one)."""
    parsed = urlsplit(value)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/"):
        return ""
    if parsed.path.startswith(("//", "/login", "/logout", "/api", "/static", "/schema", "/r/")):
        return ""
    if any(ord(c) < 32 for c in value) or "\\" in value or len(value) > 500:
        return ""
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def sign_in_first(request: Request[Any, Any, Any], _: NotAuthorizedException) -> Response[Any]:
    """To the sign-in page, saying so when a session has ended (timed out, signed out
    elsewhere), with the page to return to: the one asked for, or for a form's POST the
    page the form was on (its input is kept in the browser by /static/keep-form.js)."""
    if request.method == "GET":
        back = safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    elif request.cookies.get(FROM_COOKIE):  # set by keep-form.js as the form is sent
        back = safe_next(unquote(request.cookies[FROM_COOKIE]))
    else:  # no script: the Referer, when the browser sends one
        referer = urlsplit(request.headers.get("referer", ""))
        same = not referer.netloc or referer.netloc == request.url.netloc
        back = (
            safe_next(referer.path + (f"?{referer.query}" if referer.query else "")) if same else ""
        )
    query: dict[str, str] = {}
    if back and back != "/":
        query["next"] = back
    if request.cookies.get(SESSION_COOKIE):
        query["expired"] = "1"
    return Redirect(path="/login" + (f"?{urlencode(query)}" if query else ""), status_code=303)


def refused(request: Request[Any, Any, Any], exc: Refused) -> Any:
    if exc.rule == "access":
        detail = exc.detail
        permission = exc.facts.get("permission")
        if isinstance(permission, str):
            actor = signed_in(request)
            labels = page_labels(request, actor)
            who = f"「{actor.label}」" if actor is not None else "您的账号"
            detail = f"{who}没有「{labels.permission(permission)}」的权限。如需办理，请联系管理员。"
        return _error_page(request, 403, "无权访问", detail)
    labels = page_labels(request, signed_in(request))
    return _error_page(request, 409, "操作未执行", labels.prose(exc.detail))


def not_found(request: Request[Any, Any, Any], exc: NotFound) -> Any:
    return _error_page(request, 404, "未找到", "您要找的记录不存在，或不在您的管辖范围内。")


def invalid(request: Request[Any, Any, Any], exc: Invalid) -> Any:
    labels = page_labels(request, signed_in(request))
    detail = labels.prose(exc.detail)
    return _error_page(request, 422, "填写有误", f"{labels.field(exc.field)}：{detail}")


def out_of_range(request: Request[Any, Any, Any], exc: Exception) -> Any:
    """A value the database cannot hold: bad input, not a server error (the backstop)."""
    return _error_page(request, 422, "填写有误", "取值超出允许范围或含有不允许的字符。")


PAGE_HANDLERS: dict[Any, Any] = {
    NotAuthorizedException: sign_in_first,
    Refused: refused,
    NotFound: not_found,
    Invalid: invalid,
    DataError: out_of_range,
    OverflowError: out_of_range,
}


# --- formatting (Jinja filters) ------------------------------------------------------------
def local_time(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


FILTERS: dict[str, Any] = {
    "yuan": yuan,
    "amount": lambda value, unit="fen": amount_text(unit, int(value)),
    "local": local_time,
    "status": lambda s: STATUS_LABELS.get(OrderStatus(s), s),
    "grade": grade,
}


# --- scoped queries --------------------------------------------------------------------------
def scope_of(svc: Services, actor: Actor) -> list[str]:
    return area_codes(actor, svc.region(actor.region_id).info)


def order_rows(
    svc: Services,
    conn: Connection,
    actor: Actor,
    *where: ColumnElement[bool],
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The orders the actor may see (access.order_scope), with what the work needs to be
    shown: the recipient's name, phone and address, the item and its standard steps."""
    region = svc.region(actor.region_id)
    query = (
        select(
            orders,
            persons.c.name.label("person_name"),
            persons.c.phone.label("person_phone"),
            households.c.address.label("address"),
            cases.c.area_code.label("area_code"),
            providers.c.name.label("provider_name"),
            providers.c.light.label("provider_light"),
            workers.c.name.label("worker_name"),
        )
        .select_from(
            orders.join(cases, cases.c.id == orders.c.case_id)
            .join(persons, persons.c.id == cases.c.person_id)
            .outerjoin(households, households.c.id == persons.c.household_id)
            .outerjoin(providers, providers.c.id == orders.c.provider_id)
            .outerjoin(workers, workers.c.id == orders.c.worker_id)
        )
        .where(order_scope(actor, region.info), *where)
        .order_by(orders.c.urgent.desc(), orders.c.due_at, orders.c.id)
        .limit(limit)
        .offset(offset)
    )
    out = []
    for r in conn.execute(query).mappings():
        row = plain(r)
        try:
            item = region.catalogue.item(row["item_code"])
            row["item_name"], row["standard"] = item.name, list(item.standard)
        except KeyError:
            row["item_name"], row["standard"] = row["item_code"], []
        row["area_name"] = region.info.area_name(row["area_code"])
        row["note"] = shown_text(actor, row["note"])
        out.append(row)
    return out


def page_sections(
    svc: Services, actor: Actor, name: str, key: int | None = None
) -> list[PageSection]:
    """What plugins add to a core page (jiuzhu_page_sections), in plugin order."""
    found: list[PageSection] = []
    for result in svc.regions.pm.hook.jiuzhu_page_sections(
        page=name, svc=svc, actor=actor, key=key
    ):
        found.extend(result or [])
    return found
