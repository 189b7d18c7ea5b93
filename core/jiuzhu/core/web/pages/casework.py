"""Case work for officers: assess with the region's instrument, grant the entitlement, order
from the catalogue, cancel, record a return visit or stage review, exit the case.

Each action calls the same service as the API; a refusal is shown on the page it came
from (next to the field for 422, at the top for 409) and nothing is written."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Redirect, Template

from ...access import Actor
from ...base import Invalid, NotFound, Refused
from ...catalogue import UNIT_NAMES, Item
from ...domain import CaseStatus
from ...services import Services
from ...services.cases import (
    VISIT_KINDS,
    case_file,
    entitlement_view,
    exit_case,
    grant_entitlement,
    record_assessment,
    record_visit,
)
from ...services.orders import NewOrder, cancel_order, describe_who, get_order, place_orders
from ...times import local_date
from ..auth import audit_request
from . import forms
from .case import render_case
from .common import page

SATISFIED = {"yes": True, "no": False}


def _back(case_id: int, done: str) -> Redirect:
    return Redirect(path=f"/cases/{case_id}?done={done}", status_code=303)


# --- assessment ------------------------------------------------------------------------------
def _assess_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    case_id: int,
    status: int = 200,
    answers: dict[str, int] | None = None,
    errors: dict[str, str] | None = None,
    reason: str = "",
    error: str = "",
) -> Template:
    actor.require("assess")
    file = case_file(svc, actor, case_id)  # the area scope
    region = svc.region(file.case.region_id)
    last = file.assessments[-1] if file.assessments else None
    return page(
        request,
        actor,
        "assess.html",
        status,
        file=file,
        instrument=region.instrument,
        answers=answers if answers is not None else dict(last.answers if last else {}),
        again=last is not None,
        errors=errors or {},
        reason=reason,
        error=error,
    )


@litestar.get("/cases/{case_id:int}/assess", sync_to_thread=True)
def assess_form(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case_id: int
) -> Template:
    """Every indicator of the region's instrument with its options, by domain; a re-assessment
    starts from the last answers."""
    shown = _assess_page(request, svc, actor, case_id)
    audit_request(request, svc, actor, "assess.view", case_id)
    return shown


@litestar.post("/cases/{case_id:int}/assess", sync_to_thread=True)
def assess(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    case_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    actor.require("assess")
    file = case_file(svc, actor, case_id)
    instrument = svc.region(file.case.region_id).instrument
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for domain in instrument.domains:
        for ind in domain.indicators:
            raw = forms.text(data, f"a.{ind.code}")
            if raw.isascii() and raw.isdigit() and int(raw) < len(ind.options):
                answers[ind.code] = int(raw)
            else:
                errors[ind.code] = "请选择一项"
    reason = forms.text(data, "reason")[:500]
    if errors:
        return _assess_page(request, svc, actor, case_id, 422, answers, errors, reason)
    try:
        result = record_assessment(svc, actor, case_id, answers, reason)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _assess_page(request, svc, actor, case_id, 409, answers, {}, reason, exc.detail)
    audit_request(request, svc, actor, "case.assess", case_id, total=result.total)
    return _back(case_id, "assessed")


# --- entitlement ----------------------------------------------------------------------------
@litestar.post("/cases/{case_id:int}/grant", sync_to_thread=True)
def grant(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    case_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """The region's eligibility rule decides; a refusal shows its reasons on the case page
    (the refusal itself is kept as a case event)."""
    try:
        grant_entitlement(svc, actor, case_id, reason=forms.text(data, "reason")[:500])
    except Refused as exc:
        if exc.rule == "access":
            raise
        reasons = exc.facts.get("reasons")
        return render_case(
            request,
            svc,
            actor,
            secret_key,
            case_id,
            409,
            grant_error=exc.detail,
            grant_reasons=reasons if isinstance(reasons, list) else [],
        )
    audit_request(request, svc, actor, "case.grant", case_id)
    return _back(case_id, "granted")


# --- orders ---------------------------------------------------------------------------------
def _limits(item: Item) -> str:
    parts = []
    unit = UNIT_NAMES[item.unit]
    if item.max_per_month is not None:
        parts.append(f"每月限{item.max_per_month}{unit}")
    if item.max_per_year is not None:
        parts.append(f"每年限{item.max_per_year}{unit}")
    if item.max_fen_per_year is not None:
        parts.append(f"每年最多{item.max_fen_per_year / 100:g}元")
    return "，".join(parts)


def _order_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    case_id: int,
    status: int = 200,
    chosen: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str = "",
) -> Template:
    actor.require("order.place")
    file = case_file(svc, actor, case_id)
    region = svc.region(file.case.region_id)
    today = local_date(svc.now())
    try:
        ent = entitlement_view(svc, actor, case_id)
    except NotFound:
        ent = None
    recommended = set(file.assessments[-1].recommended_items) if file.assessments else set()
    tiers_for: dict[str, list[str]] = {}
    if ent is not None and ent.entitlement.kind == "cap":
        for t in ent.buckets:
            for code in t.categories or [c.code for c in region.catalogue.categories]:
                tiers_for.setdefault(code, []).append(t.name)
    groups = []
    for cat in region.catalogue.categories:
        items = []
        for item in region.catalogue.items:
            if item.category != cat.code or item.mode == "group":
                continue  # group sessions are attended, not ordered
            try:
                price: int | None = item.price_on(today)
            except LookupError:
                price = None
            items.append(
                {
                    "code": item.code,
                    "name": item.name,
                    "price": price,
                    "unit": UNIT_NAMES[item.unit],
                    "description": item.description,
                    "limits": _limits(item),
                    "who": describe_who(item) if item.who.all or item.who.any else "",
                    "recommended": item.code in recommended,
                    "free": not item.spends_entitlement,
                }
            )
        if items:
            groups.append({"category": cat, "entries": items, "tiers": tiers_for.get(cat.code, [])})
    return page(
        request,
        actor,
        "order.html",
        status,
        file=file,
        ent=ent,
        groups=groups,
        chosen=chosen or {"item_code": "", "quantity": "1", "urgent": False, "note": ""},
        errors=errors or {},
        refusal=refusal,
        service=region.info.service,
        cat_names={c.code: c.name for c in region.catalogue.categories},
        active=file.case.status == CaseStatus.ACTIVE,
    )


@litestar.get("/cases/{case_id:int}/order", sync_to_thread=True)
def order_form(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, case_id: int
) -> Template:
    """点单: the catalogue by category, with prices, units, limits and what the
    entitlement's tiers have left."""
    shown = _order_page(request, svc, actor, case_id)
    audit_request(request, svc, actor, "order.form", case_id)
    return shown


def _lines(data: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """The items chosen and their quantities as typed: ``items`` (checkboxes) with
    ``qty.<code>``; the first release's single ``item_code`` with ``quantity`` too."""
    chosen: dict[str, str] = {}
    single = forms.text(data, "item_code")
    if single:
        chosen[single] = forms.text(data, "quantity") or "1"
    for code in forms.many(data, "items")[:20]:
        chosen.setdefault(code, forms.text(data, f"qty.{code}") or "1")
    for code, raw in chosen.items():
        key = "quantity" if code == single else f"qty.{code}"
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            errors[key] = "数量应为1至1000之间的整数"
    return chosen


def _preview(svc: Services, actor: Actor, case_id: int, lines: dict[str, str]) -> dict[str, Any]:
    """What the order will cost, before 下单: each line at today's price, and the total."""
    file = case_file(svc, actor, case_id)
    region = svc.region(file.case.region_id)
    today = local_date(svc.now())
    rows, total, spends = [], 0, 0
    for code, raw in lines.items():
        try:
            item = region.catalogue.item(code)
            price = item.price_on(today)
        except (KeyError, LookupError):
            continue
        qty = int(raw) if raw.isdigit() else 1
        amount = price * qty
        total += amount
        if item.spends_entitlement:
            spends += amount
        rows.append(
            {
                "name": item.name,
                "quantity": qty,
                "unit": UNIT_NAMES[item.unit],
                "price": price,
                "amount": amount,
                "free": not item.spends_entitlement,
            }
        )
    return {"rows": rows, "total": total, "spends": spends}


@litestar.post("/cases/{case_id:int}/order", sync_to_thread=True)
def order(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    case_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """下单 (action=place, the default) or 核对合计 (action=preview: the lines and the
    total, nothing written). Several items are placed together or not at all."""
    actor.require("order.place")
    errors: dict[str, str] = {}
    urgent = forms.checked(data, "urgent")
    note = forms.text(data, "note")[:500]
    lines = _lines(data, errors)
    chosen: dict[str, Any] = {
        "item_code": forms.text(data, "item_code"),
        "quantity": forms.text(data, "quantity") or "1",
        "lines": lines,
        "urgent": urgent,
        "note": note,
    }
    if not lines:
        errors["item_code"] = "请选择服务项目"
    if errors:
        return _order_page(request, svc, actor, case_id, 422, chosen, errors)
    if forms.text(data, "action") == "preview":
        chosen["preview"] = _preview(svc, actor, case_id, lines)
        return _order_page(request, svc, actor, case_id, 200, chosen)
    try:
        placed = place_orders(
            svc,
            actor,
            [
                NewOrder(case_id=case_id, item_code=code, quantity=int(q), urgent=urgent, note=note)
                for code, q in lines.items()
            ],
        )
    except Invalid as exc:
        field = "quantity" if exc.field == "quantity" and chosen["item_code"] else exc.field
        return _order_page(request, svc, actor, case_id, 422, chosen, {field: exc.detail})
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _order_page(request, svc, actor, case_id, 409, chosen, refusal=exc.detail)
    audit_request(
        request,
        svc,
        actor,
        "order.place",
        case_id,
        order_id=placed[0].id,
        order_ids=[o.id for o in placed],
    )
    return _back(case_id, "ordered")


@litestar.post("/orders/{order_id:int}/cancel", sync_to_thread=True)
def cancel(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    order_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    existing = get_order(svc, actor, order_id)  # the area scope
    reason = forms.text(data, "reason")[:500]
    if not reason:
        errors = {f"cancel.{order_id}": "请填写取消原因（将记入办理记录）"}
        return render_case(request, svc, actor, secret_key, existing.case_id, 422, errors=errors)
    try:
        cancel_order(svc, actor, order_id, reason)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return render_case(request, svc, actor, secret_key, existing.case_id, 409, error=exc.detail)
    audit_request(request, svc, actor, "order.cancel", existing.case_id, order_id=order_id)
    return _back(existing.case_id, "cancelled")


# --- visits and exit ------------------------------------------------------------------------
@litestar.post("/cases/{case_id:int}/visit", sync_to_thread=True)
def visit(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    case_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """回访 (after a service), 阶段评估 (stage review: may open the next tier), 入户走访."""
    errors: dict[str, str] = {}
    kind = forms.text(data, "kind")
    order_id = forms.integer(data, "order_id", errors)
    try:
        if errors:
            raise Invalid("order_id", errors["order_id"])
        record_visit(
            svc,
            actor,
            case_id,
            kind if kind in VISIT_KINDS else "",
            SATISFIED.get(forms.text(data, "satisfied")),
            forms.text(data, "notes")[:1000],
            order_id,
        )
    except Invalid as exc:
        errors = {f"visit.{exc.field}": exc.detail}
        return render_case(request, svc, actor, secret_key, case_id, 422, errors=errors)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return render_case(request, svc, actor, secret_key, case_id, 409, error=exc.detail)
    audit_request(request, svc, actor, f"case.visit.{kind}", case_id, order_id=order_id)
    return _back(case_id, "visited")


@litestar.post("/cases/{case_id:int}/exit", sync_to_thread=True)
def exit_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    case_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """动态退出: orders not yet started are cancelled and refunded; the file is closed."""
    try:
        exit_case(svc, actor, case_id, forms.text(data, "reason")[:500])
    except Invalid as exc:
        errors = {f"exit.{exc.field}": exc.detail}
        return render_case(request, svc, actor, secret_key, case_id, 422, errors=errors)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return render_case(request, svc, actor, secret_key, case_id, 409, error=exc.detail)
    audit_request(request, svc, actor, "case.exit", case_id)
    return _back(case_id, "exited")


ROUTES = [assess_form, assess, grant, order_form, order, cancel, visit, exit_page]
