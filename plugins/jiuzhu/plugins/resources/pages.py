"""The 融救联助 pages (mounted through jiuzhu_web_pages): the resource library, the wish
wall (public, no personal data), wishes for staff and unit accounts, the recipient's
confirmation link, 1+1+N case teams, charity funds and the household's package.

Every page goes through the same services as the API; forms carry the CSRF token; input
errors are shown next to their field in Chinese, and nothing is written."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import partial
from typing import Any

import litestar
from litestar import Request
from litestar.response import Redirect, Template

from jiuzhu.core.access import Actor, system_actor
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.money import yuan
from jiuzhu.core.services import Services
from jiuzhu.core.web.pages import forms
from jiuzhu.core.web.pages.common import page
from jiuzhu.core.web.pages.secret import derive

from . import charity, library, package, teams, volunteers, wishes
from .config import KIND_LABELS, Offer, Resource, ResourceConfig

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)
T = "jiuzhu.plugins.resources:templates/"


def _off(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, title: str
) -> Template | None:
    """The page for a region that has not configured 融救联助 (no resources.toml): a notice,
    not an error — the menu links these pages for every region."""
    region = svc.region(actor.region_id)
    if region.section("resources", ResourceConfig) is not None:
        return None
    return page(request, actor, T + "off.html", title=title, region_name=region.info.name)


def _attempt(work: Callable[[], Any], errors: dict[str, str]) -> tuple[Any, str]:
    """Run a service call: (result, "") or (None, the refusal) with Invalid in ``errors``."""
    try:
        return work(), ""
    except Invalid as exc:
        errors[exc.field] = exc.detail
        return None, ""
    except Refused as exc:
        if exc.rule == "access":
            raise
        return None, exc.detail


# --- the resource library -------------------------------------------------------------------
@get("/library", nav="资源库", permission="resource.read", section="resources")
def library_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    need: str = "",
    area: str = "",
    kind: str = "",
) -> Template:
    actor.require("resource.read")
    off = _off(request, svc, actor, "救助资源库")
    if off is not None:
        return off
    errors: dict[str, str] = {}
    found, _ = _attempt(lambda: library.search(svc, actor, need, area, kind), errors)
    return _library(request, svc, actor, found or [], errors, {}, need, area, kind)


def _library(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    found: list[library.ResourceView],
    errors: dict[str, str],
    entered: dict[str, str],
    need: str = "",
    area: str = "",
    kind: str = "",
    status: int = 200,
    refusal: str = "",
) -> Template:
    region = svc.region(actor.region_id)
    return page(
        request,
        actor,
        T + "library.html",
        status,
        found=found,
        counts=library.counts(svc, actor),
        kinds=KIND_LABELS,
        need=need,
        area=area,
        kind=kind,
        errors=errors,
        entered=entered,
        refusal=refusal,
        areas=[(a.code, a.name) for a in region.info.areas],
        can_write=actor.can("resource.write"),
        volunteer_stats=volunteers.statistics(svc, actor),
    )


@post("/library")
def library_add(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    actor.require("resource.write")
    f = {
        k: forms.text(data, k)
        for k in (
            "code",
            "name",
            "kind",
            "area_code",
            "content",
            "needs",
            "contact",
            "location",
            "standard",
        )
    }
    errors: dict[str, str] = {}
    capacity = forms.integer(data, "capacity", errors, 0) or 0
    if f["kind"] not in KIND_LABELS:
        errors["kind"] = "请选择类别"
    view = None
    refusal = ""
    if not errors:
        res = Resource(
            code=f["code"][:40],
            name=f["name"][:120],
            kind=f["kind"],  # type: ignore[arg-type]
            area_code=f["area_code"][:12],
            contact=f["contact"][:120],
            location=f["location"][:200],
            offers=[
                Offer(
                    content=f["content"][:200],
                    needs=[
                        t
                        for t in f["needs"].replace("，", "、").replace(",", "、").split("、")
                        if t
                    ][:20],
                    capacity=capacity,
                    standard=f["standard"][:2000],
                )
            ]
            if f["content"]
            else [],
            illustrative=True,
        )
        view, refusal = _attempt(lambda: library.add_resource(svc, actor, res), errors)
    if view is None:
        found = library.search(svc, actor)
        return _library(
            request, svc, actor, found, errors, f, status=409 if refusal else 422, refusal=refusal
        )
    return Redirect(path=f"/library?need=&area=&kind={view.kind}", status_code=303)


# --- the public wish wall ---------------------------------------------------------------------
@get("/wall/{region_id:str}")
def wall_page(request: Request[Any, Any, Any], svc: Services, region_id: str) -> Template:
    """许愿池: anyone may read it (no account). Wishes show a title, a need, a street and a
    value — never a name, an ID number, a phone or an address."""
    region = svc.region(region_id[:40])
    cfg = library.config(region)
    return page(
        request,
        None,
        T + "wall.html",
        region_name=region.info.name,
        brand=cfg.name,
        wall=wishes.wall(svc, region.id),
        stats=wishes.statistics(svc, None, region.id),
        yuan=yuan,
    )


# --- wishes for staff and units ---------------------------------------------------------------
@get("/wishes", nav="许愿池", permission="wish.read", section="resources")
def wishes_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    actor.require("wish.read")
    off = _off(request, svc, actor, "许愿池（微心愿）")
    if off is not None:
        return off
    return _wishes(request, svc, actor, {}, {})


def _wishes(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    errors: dict[str, str],
    entered: dict[str, str],
    status: int = 200,
    refusal: str = "",
) -> Template:
    actor.require("wish.read")
    staff = actor.can("wish.publish")
    unit = actor.can("wish.claim")
    mine: list[wishes.WallWish] = []
    if unit:
        try:
            mine = wishes.unit_claims(svc, actor)
        except Refused as exc:
            refusal = refusal or exc.detail
    return page(
        request,
        actor,
        T + "wishes.html",
        status,
        staff=staff,
        unit=unit,
        rows=wishes.staff_list(svc, actor) if staff else [],
        wall=wishes.wall(svc, actor.region_id, "published") if unit else [],
        mine=mine,
        stats=wishes.statistics(svc, actor, actor.region_id),
        errors=errors,
        entered=entered,
        refusal=refusal,
        region_id=actor.region_id,
        yuan=yuan,
    )


@post("/wishes")
def wish_publish(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    actor.require("wish.publish")
    entered = {k: forms.text(data, k) for k in ("case_id", "title", "description", "need", "value")}
    errors: dict[str, str] = {}
    case_id = forms.integer(data, "case_id", errors)
    value = forms.fen(data, "value", errors)
    if case_id is None and "case_id" not in errors:
        errors["case_id"] = "请填写档案编号"
    if value is None and "value" not in errors:
        errors["value"] = "请填写心愿价值（元）"
    view, refusal = None, ""
    if not errors:
        assert case_id is not None and value is not None

        def work() -> wishes.WishView:
            try:
                return wishes.publish(
                    svc,
                    actor,
                    case_id,
                    entered["title"][:60],
                    entered["description"][:500],
                    value,
                    entered["need"][:40],
                )
            except NotFound:
                raise Invalid("case_id", "没有这个档案（或不在您的管辖范围内）") from None

        view, refusal = _attempt(work, errors)
    if view is None:
        if "value_fen" in errors:
            errors["value"] = errors.pop("value_fen")
        return _wishes(request, svc, actor, errors, entered, 409 if refusal else 422, refusal)
    return Redirect(path=f"/wishes/{view.wall.number}", status_code=303)


def confirm_token(key: bytes, number: str) -> str:
    """The recipient's link to confirm one wish (no account; the link is the key)."""
    mac = hmac.new(derive(key, "wish-confirm"), number.encode(), hashlib.sha256)
    return f"{number}.{mac.hexdigest()[:32]}"


def read_confirm_token(key: bytes, token: str) -> str | None:
    number = token.partition(".")[0]
    if not number or not hmac.compare_digest(confirm_token(key, number), token):
        return None
    return number


@get("/wishes/{number:str}")
def wish_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    number: str,
) -> Template:
    return _wish(request, svc, actor, secret_key, number[:24], {})


def _wish(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    number: str,
    errors: dict[str, str],
    status: int = 200,
    refusal: str = "",
) -> Template:
    actor.require("wish.read")
    staff = actor.can("wish.publish") or actor.can("wish.confirm")
    view = wishes.get_wish(svc, actor, number) if staff else None
    wall = view.wall if view else wishes.wall_wish(svc, actor.region_id, number)
    mine = False
    if actor.can("wish.claim"):
        mine = any(w.number == number for w in _claims(svc, actor))
    return page(
        request,
        actor,
        T + "wish.html",
        status,
        w=wall,
        view=view,
        staff=staff,
        unit=actor.can("wish.claim"),
        mine=mine,
        confirm_link=f"/w/{confirm_token(secret_key, number)}" if view else "",
        errors=errors,
        refusal=refusal,
    )


def _claims(svc: Services, actor: Actor) -> list[wishes.WallWish]:
    try:
        return wishes.unit_claims(svc, actor)
    except Refused:
        return []


@post("/wishes/{number:str}/{step:str}")
def wish_step(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    number: str,
    step: str,
    data: forms.FormData,
) -> Template | Redirect:
    """认领 (claim), 圆梦 (fulfil), 代为确认 (confirm), 撤回 (withdraw)."""
    number = number[:24]
    steps: dict[str, Callable[[], Any]] = {
        "claim": lambda: wishes.claim(svc, actor, number),
        "fulfil": lambda: wishes.fulfil(svc, actor, number, forms.text(data, "note")[:500]),
        "confirm": lambda: wishes.confirm(svc, actor, number),
        "withdraw": lambda: wishes.withdraw(svc, actor, number, forms.text(data, "reason")[:500]),
    }
    if step not in steps:
        raise NotFound("wish step", step)
    errors: dict[str, str] = {}
    done, refusal = _attempt(steps[step], errors)
    if done is None:
        return _wish(
            request, svc, actor, secret_key, number, errors, 409 if refusal else 422, refusal
        )
    return Redirect(path=f"/wishes/{number}?done={step}", status_code=303)


@get("/w/{token:str}")
def recipient_confirm_page(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, token: str
) -> Template:
    """The recipient's page: the wish and one button, 确认已收到 (no account)."""
    number = read_confirm_token(secret_key, token[:80])
    if number is None:
        raise NotFound("wish link", "…")
    region_id = _region_of(svc, number)
    return page(
        request, None, T + "confirm.html", w=wishes.wall_wish(svc, region_id, number), done=False
    )


@post("/w/{token:str}")
def recipient_confirm(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, token: str
) -> Template:
    number = read_confirm_token(secret_key, token[:80])
    if number is None:
        raise NotFound("wish link", "…")
    region_id = _region_of(svc, number)
    region = svc.region(region_id)
    refusal = ""
    try:
        wishes.confirm(svc, system_actor(region.id, region.info.code, "recipient"), number, True)
    except Refused as exc:
        refusal = exc.detail
    return page(
        request,
        None,
        T + "confirm.html",
        409 if refusal else 200,
        w=wishes.wall_wish(svc, region_id, number),
        done=not refusal,
        refusal=refusal,
    )


def _region_of(svc: Services, number: str) -> str:
    from sqlalchemy import select

    from .tables import wishes as table

    with svc.reading() as conn:
        found = conn.execute(select(table.c.region_id).where(table.c.number == number)).scalar()
    if found is None:
        raise NotFound("wish", number)
    return str(found)


# --- 1+1+N case teams -------------------------------------------------------------------------
@get("/teams", nav="个案团队", permission="team.manage", section="resources")
def teams_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case: str = ""
) -> Template | Redirect:
    if case.strip().isdigit() and 0 < int(case.strip()) < 2**31:
        return Redirect(path=f"/cases/{int(case.strip())}/team", status_code=303)
    actor.require("team.manage")
    off = _off(request, svc, actor, "个案团队（1+1+N）")
    if off is not None:
        return off
    return page(request, actor, T + "teams.html", rows=teams.list_teams(svc, actor))


def _team_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    case_id: int,
    errors: dict[str, str],
    entered: dict[str, Any],
    status: int = 200,
    refusal: str = "",
) -> Template:
    actor.require("team.manage")
    region = svc.region(actor.region_id)
    rules = library.config(region).teams
    try:
        team: teams.TeamView | None = teams.get_team(svc, actor, case_id)
    except NotFound as exc:
        if exc.kind != "team":
            raise
        team = None
    holders = [r for r in library.search(svc, actor, limit=500) if r.kind != "sentinel"]
    return page(
        request,
        actor,
        T + "team.html",
        status,
        case_id=case_id,
        team=team,
        rules=rules,
        grades=teams.GRADE_LABELS,
        holders=holders,
        errors=errors,
        entered=entered,
        refusal=refusal,
    )


@get("/cases/{case_id:int}/team")
def team_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case_id: int
) -> Template:
    return _team_page(request, svc, actor, case_id, {}, {})


@post("/cases/{case_id:int}/team")
def team_form(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case_id: int, data: forms.FormData
) -> Template | Redirect:
    actor.require("team.manage")
    errors: dict[str, str] = {}
    holders: dict[int, str] = {}
    for raw in forms.many(data, "holders"):
        if raw.isdigit() and 0 < int(raw) < 2**31:
            holders[int(raw)] = forms.text(data, f"rep.{raw}")[:60]
    entered = {k: forms.text(data, k) for k in ("lead", "officer", "grade")}
    done, refusal = _attempt(
        lambda: teams.form_team(
            svc,
            actor,
            case_id,
            entered["lead"][:60],
            entered["officer"][:60],
            holders,
            entered["grade"] or "general",
        ),
        errors,
    )
    if done is None:
        return _team_page(
            request, svc, actor, case_id, errors, entered, 409 if refusal else 422, refusal
        )
    return Redirect(path=f"/cases/{case_id}/team", status_code=303)


@post("/cases/{case_id:int}/team/review")
def team_review(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case_id: int, data: forms.FormData
) -> Template | Redirect:
    actor.require("team.manage")
    errors: dict[str, str] = {}
    entered = {k: forms.text(data, k) for k in ("attendees", "record", "decisions", "grade")}

    def lines(text: str) -> list[str]:
        return [t.strip() for t in text.replace("、", "\n").replace("，", "\n").splitlines()]

    done, refusal = _attempt(
        lambda: teams.review(
            svc,
            actor,
            case_id,
            lines(entered["attendees"])[:50],
            entered["record"][:2000],
            [d.strip() for d in entered["decisions"].splitlines()][:50],
            entered["grade"] or None,
        ),
        errors,
    )
    if done is None:
        return _team_page(
            request, svc, actor, case_id, errors, entered, 409 if refusal else 422, refusal
        )
    return Redirect(path=f"/cases/{case_id}/team", status_code=303)


# --- charity funds -----------------------------------------------------------------------------
@get("/funds", nav="慈善资金", permission="fund.read", section="resources")
def funds_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    actor.require("fund.read")
    off = _off(request, svc, actor, "慈善资金")
    if off is not None:
        return off
    return page(request, actor, T + "funds.html", funds=charity.statements(svc, actor), yuan=yuan)


# --- the household's package --------------------------------------------------------------------
@get("/households/{household_id:int}/package")
def package_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, household_id: int
) -> Template:
    """救助大礼包: one view, printable (A4), of everything the household gets."""
    return _package(request, svc, actor, household_id, {}, {})


def _package(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    errors: dict[str, str],
    entered: dict[str, str],
    status: int = 200,
    refusal: str = "",
) -> Template:
    pkg = package.package(svc, actor, household_id)
    pending = [x for x in pkg.lines if x.kind == "cash" and x.amount_fen == 0]
    return page(
        request,
        actor,
        T + "package.html",
        status,
        pkg=pkg,
        yuan=yuan,
        kinds=package.KINDS,
        pending=pending,
        approved=package.approved_policies(svc, actor, household_id),
        can_record=actor.can("benefit.record"),
        errors=errors,
        entered=entered,
        refusal=refusal,
        region_name=svc.region(actor.region_id).info.name,
    )


@post("/households/{household_id:int}/package")
def package_record(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    household_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """Record cash (under an approved policy), goods or an aid the household received."""
    actor.require("benefit.record")
    entered = {
        k: forms.text(data, k) for k in ("kind", "policy_code", "giver", "description", "amount")
    }
    errors: dict[str, str] = {}
    amount = forms.fen(data, "amount", errors, 0)
    done, refusal = None, ""
    if not errors:
        done, refusal = _attempt(
            lambda: package.record_benefit(
                svc,
                actor,
                household_id,
                entered["kind"],
                entered["giver"][:120],
                entered["description"][:200],
                amount or 0,
                entered["policy_code"][:40],
            ),
            errors,
        )
    if done is None:
        if "amount_fen" in errors:
            errors["amount"] = errors.pop("amount_fen")
        return _package(
            request, svc, actor, household_id, errors, entered, 409 if refusal else 422, refusal
        )
    return Redirect(path=f"/households/{household_id}/package", status_code=303)


PAGES = [
    library_page,
    library_add,
    wall_page,
    wishes_page,
    wish_publish,
    wish_page,
    wish_step,
    recipient_confirm_page,
    recipient_confirm,
    teams_page,
    team_page,
    team_form,
    team_review,
    funds_page,
    package_page,
    package_record,
]
