"""The recipient's pages — no account, a signed expiring link (`/r/{token}`):

- `/r/{token}`: rate a delivered order. Five levels, each its own colour and words, an
  optional comment, the service's date and worker; a confirmation step before the rating is
  final (a first tap is never final).
- `/me/{token}`: the recipient's own page, reached from the same link: their orders, the
  remaining entitlement, and (from plugins, `jiuzhu_page_sections` page ``"recipient"``)
  the progress of their applications. Only their own case; the ID number masked.

A forged, malformed or expired link gets a plain page that says so (404), with no staff
sign-in and no talk of jurisdictions.
"""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Template
from sqlalchemy import select

from ...access import Actor, system_actor
from ...base import Invalid, NotFound, Refused
from ...domain import OrderStatus
from ...idcard import mask
from ...services import Services, plain
from ...services.entitlements import entitlement_view
from ...services.orders import NewRating, rate_order
from ...storage.tables import cases, deliveries, orders, persons, workers
from ...times import local_date
from . import forms
from .common import page, page_sections
from .secret import read_rating_token

LEVELS = [
    (5, "非常满意", "level-5"),
    (4, "满意", "level-4"),
    (3, "一般", "level-3"),
    (2, "不满意", "level-2"),
    (1, "非常不满意", "level-1"),
]
LEVEL_TEXT = {n: text for n, text, _ in LEVELS}


class BadLink(Exception):
    """The link is forged, malformed or expired, or its order is gone."""


def _order(svc: Services, key: bytes, token: str) -> dict[str, Any]:
    order_id = read_rating_token(key, token[:200], svc.now().timestamp())
    if order_id is None:
        raise BadLink
    with svc.reading() as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).mappings().first()
        if row is None:
            raise BadLink
        visit = conn.execute(
            select(deliveries.c.checkout_at, workers.c.name)
            .select_from(deliveries.outerjoin(workers, workers.c.id == deliveries.c.worker_id))
            .where(deliveries.c.order_id == order_id, deliveries.c.checkout_at.is_not(None))
            .order_by(deliveries.c.checkout_at.desc())
            .limit(1)
        ).first()
    out = plain(row)
    region = svc.region(str(row["region_id"]))
    try:
        out["item_name"] = region.catalogue.item(str(row["item_code"])).name
    except KeyError:
        out["item_name"] = row["item_code"]
    served = visit[0] if visit else row["finished_at"]
    out["served_on"] = local_date(served).isoformat() if served else ""
    out["worker_name"] = str(visit[1]) if visit and visit[1] else ""
    return out


def _bad_link(request: Request[Any, Any, Any]) -> Template:
    return page(request, None, "rate_invalid.html", 404)


def _rate_page(request: Request[Any, Any, Any], order: dict[str, Any], **ctx: Any) -> Template:
    status = ctx.pop("status", 200)
    return page(
        request,
        None,
        "rate.html",
        status,
        order=order,
        levels=LEVELS,
        level_text=LEVEL_TEXT,
        done=order["status"] == OrderStatus.RATED,
        token=request.path_params["token"],
        **ctx,
    )


@litestar.get("/r/{token:str}", name="rating_page", sync_to_thread=True)
def rating_page(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, token: str
) -> Template:
    try:
        order = _order(svc, secret_key, token)
    except BadLink:
        return _bad_link(request)
    return _rate_page(request, order)


@litestar.post("/r/{token:str}", sync_to_thread=True)
def rate(
    request: Request[Any, Any, Any],
    svc: Services,
    secret_key: bytes,
    token: str,
    data: forms.FormData,
) -> Template:
    """Step 1 (action=review): the chosen level and comment, shown back with 确认提交.
    Step 2 (action=confirm): the rating is recorded."""
    try:
        order = _order(svc, secret_key, token)
    except BadLink:
        return _bad_link(request)
    raw = forms.text(data, "score")
    comment = forms.text(data, "comment")[:500]
    score = int(raw) if raw in {"1", "2", "3", "4", "5"} else None
    if order["status"] != OrderStatus.DELIVERED:
        return _rate_page(request, order)
    if score is None:
        return _rate_page(request, order, status=422, error="请先选择一个评价等级", comment=comment)
    if forms.text(data, "action") != "confirm":
        return _rate_page(request, order, review=True, score=score, comment=comment)
    region = svc.region(str(order["region_id"]))
    actor = system_actor(region.id, region.info.code, "recipient")
    try:
        rate_order(
            svc,
            actor,
            int(order["id"]),
            NewRating(score=score, satisfied=score >= 4, comment=comment),
        )
    except (Invalid, Refused) as exc:
        return _rate_page(
            request, order, status=422, error=exc.detail, score=score, comment=comment
        )
    order["status"] = OrderStatus.RATED
    return _rate_page(request, order, score=score, thanks=True)


@litestar.get("/me/{token:str}", name="recipient_page", sync_to_thread=True)
def recipient_page(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, token: str
) -> Template:
    """The recipient's own page: their orders, their remaining entitlement and the progress
    of their applications — nothing of anyone else."""
    try:
        order = _order(svc, secret_key, token)
    except BadLink:
        return _bad_link(request)
    region = svc.region(str(order["region_id"]))
    case_id = int(order["case_id"])
    with svc.reading() as conn:
        case = plain(conn.execute(select(cases).where(cases.c.id == case_id)).mappings().one())
        person = plain(
            conn.execute(select(persons).where(persons.c.id == case["person_id"])).mappings().one()
        )
        mine = [
            plain(r)
            for r in conn.execute(
                select(orders).where(orders.c.case_id == case_id).order_by(orders.c.id.desc())
            ).mappings()
        ]
    actor = _reader(region.id, str(case["area_code"]))
    try:
        ent = entitlement_view(svc, actor, case_id)
    except NotFound:
        ent = None
    names = {i.code: i.name for i in region.catalogue.items}
    return page(
        request,
        None,
        "recipient.html",
        person_name=person["name"],
        id_shown=mask(str(person["id_number"])),
        ent=ent,
        orders=[{**o, "item_name": names.get(o["item_code"], o["item_code"])} for o in mine],
        sections=page_sections(svc, actor, "recipient", case_id),
        token=token,
        region_name=region.info.name,
    )


def _reader(region_id: str, area_code: str) -> Actor:
    """Reads one case for the recipient's own page (the token already named the case)."""
    return system_actor(region_id, area_code, "recipient")
