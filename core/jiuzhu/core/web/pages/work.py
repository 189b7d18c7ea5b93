"""`/work`: the worker's phone list — accept, check in, tick the steps, check out.

Check-out keeps its input: a missing signature or unticked steps show the error in the
order's own card, with the ticked steps, the duration, the signer and the drawn signature
as they were (photos must be chosen again: browsers never refill file inputs). Unticked
steps are a warning the worker confirms. The handwritten signature is drawn on a canvas
(static/signature.js) and sent as a PNG; photos before and after are optional. Images are
validated and stored with the visit (services.images)."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import ColumnElement

from ...access import Actor
from ...base import Invalid
from ...domain import OrderStatus
from ...services import Services
from ...services.images import (
    PHOTO_MAX_BYTES,
    PHOTOS_MAX,
    NewImage,
    check_photos,
    read_image,
    signature_from_data_url,
)
from ...services.orders import Finish, accept_order, finish_order, get_order, start_order
from ...storage.tables import orders
from ..auth import audit_request
from . import forms
from .common import order_rows, page

Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# what a check-out may carry: two photos of each kind, the signature, the fields
CHECKOUT_BODY_LIMIT = 2 * PHOTOS_MAX * PHOTO_MAX_BYTES + 512 * 1024
# orders being served first, then accepted ones, then new ones to accept
STATUS_RANK = {OrderStatus.IN_SERVICE: 0, OrderStatus.ACCEPTED: 1, OrderStatus.DISPATCHED: 2}


def _work_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    status: int = 200,
    done: str = "",
    errors: dict[int, dict[str, str]] | None = None,
    entered: dict[int, dict[str, Any]] | None = None,
) -> Template:
    actor.require("order.work")
    where: list[ColumnElement[bool]] = [orders.c.status.in_(list(STATUS_RANK))]
    if actor.provider_id is not None:
        where.append(orders.c.provider_id == actor.provider_id)
    if actor.worker_id is not None:
        where.append(
            (orders.c.worker_id == actor.worker_id) | (orders.c.status == OrderStatus.DISPATCHED)
        )
    with svc.reading() as conn:
        rows = order_rows(svc, conn, actor, *where)
    rows.sort(key=lambda r: STATUS_RANK.get(OrderStatus(r["status"]), 9))  # stable: urgent first
    audit_request(request, svc, actor, "work.view", orders=[r["id"] for r in rows])
    return page(
        request,
        actor,
        "work.html",
        status,
        rows=rows,
        done=done,
        now=svc.now(),
        errors=errors or {},
        entered=entered or {},
        photo_max_mb=PHOTO_MAX_BYTES // 1_000_000,
        photos_max=PHOTOS_MAX,
    )


@litestar.get("/work", sync_to_thread=True)
def work_list(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, done: str = ""
) -> Template:
    return _work_page(request, svc, actor, done=done)


def _done(
    svc: Services, actor: Actor, request: Request[Any, Any, Any], what: str, o: Any
) -> Redirect:
    audit_request(request, svc, actor, f"order.{what}", o.case_id, order_id=o.id)
    return Redirect(path=f"/work?done={what}", status_code=303)


@litestar.post("/work/{order_id:int}/accept", sync_to_thread=True)
def accept(request: Request[Any, Any, Any], svc: Services, actor: Actor, order_id: int) -> Redirect:
    return _done(svc, actor, request, "accept", accept_order(svc, actor, order_id))


@litestar.post("/work/{order_id:int}/start", sync_to_thread=True)
def start(request: Request[Any, Any, Any], svc: Services, actor: Actor, order_id: int) -> Redirect:
    return _done(svc, actor, request, "start", start_order(svc, actor, order_id))


def _files(data: dict[str, Any], key: str) -> list[bytes]:
    value = data.get(key, [])
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, UploadFile):
            body = v.file.read(PHOTO_MAX_BYTES + 1)
            if body:  # an empty file input sends an empty part
                out.append(body)
    return out


@litestar.post(
    "/work/{order_id:int}/finish",
    sync_to_thread=True,
    request_max_body_size=CHECKOUT_BODY_LIMIT,
)
def finish(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    order_id: int,
    data: Multipart,
) -> Template | Redirect:
    actor.require("order.work")
    order = get_order(svc, actor, order_id)  # the scope: 404 for an order not theirs
    steps = forms.many(data, "steps")
    signer = forms.text(data, "confirmed_by")[:60]
    signature = forms.text(data, "signature_png")
    minutes_raw = forms.text(data, "minutes")
    entered = {"steps": steps, "signer": signer, "signature": signature, "minutes": minutes_raw}
    errors: dict[str, str] = {}
    minutes: int | None = None
    if minutes_raw:
        if not minutes_raw.isdigit() or not 0 < int(minutes_raw) <= 24 * 60:
            errors["minutes"] = "服务时长应为1至1440之间的整数分钟"
        else:
            minutes = int(minutes_raw)
    if not signer:
        errors["confirmed_by"] = "请填写签字人（服务对象或家属）姓名"
    images: list[NewImage] = []
    try:
        drawn = signature_from_data_url(signature)
    except Invalid as exc:
        errors["signature_png"], drawn = exc.detail, None
        entered["signature"] = ""
    if drawn is None and "signature_png" not in errors:
        errors["signature_png"] = "请服务对象或家属在签名框内手写签名"
    elif drawn is not None:
        images.append(drawn)
    for kind in ("before", "after"):
        try:
            images += check_photos(kind, _files(data, f"photo_{kind}"), f"photo_{kind}")
        except Invalid as exc:
            errors[exc.field] = exc.detail
    region = svc.region(order.region_id)
    try:
        standard = list(region.catalogue.item(order.item_code).standard)
    except KeyError:
        standard = []
    missing = [s for s in standard if s not in steps]
    if missing and not forms.checked(data, "confirm_missing"):
        errors["steps"] = (
            f"还有{len(missing)}个服务步骤未勾选：{'、'.join(missing)}。"
            "如确实未做，请勾选「确认以上步骤未完成」后再签退。"
        )
    if errors:
        return _refill(request, svc, actor, order_id, errors, entered)
    try:
        done = finish_order(
            svc,
            actor,
            order_id,
            Finish(steps_done=steps, confirmed_by=signer, minutes=minutes),
            images,
        )
    except Invalid as exc:
        return _refill(request, svc, actor, order_id, {exc.field: exc.detail}, entered)
    return _done(svc, actor, request, "finish", done)


def _refill(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    order_id: int,
    errors: dict[str, str],
    entered: dict[str, Any],
) -> Template:
    return _work_page(
        request, svc, actor, 422, errors={order_id: errors}, entered={order_id: entered}
    )


@litestar.get("/images/{image_id:int}", sync_to_thread=True)
def image(svc: Services, actor: Actor, image_id: int) -> Response[bytes]:
    """A visit's signature or photo, for those who may see its order (404 otherwise)."""
    media_type, body = read_image(svc, actor, image_id)
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
    )
