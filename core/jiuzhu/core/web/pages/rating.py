"""`/r/{token}`: the recipient rates a delivered order — no account, a signed expiring link."""

from __future__ import annotations

from typing import Annotated, Any

import litestar
import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy import select

from ...access import system_actor
from ...base import NotFound
from ...domain import OrderStatus
from ...services import Services
from ...services.orders import NewRating, rate_order
from ...storage.tables import orders
from .common import page
from .secret import read_rating_token


class RatingForm(msgspec.Struct, kw_only=True):
    score: int


def _order(svc: Services, key: bytes, token: str) -> dict[str, Any]:
    order_id = read_rating_token(key, token, svc.now().timestamp())
    if order_id is None:
        raise NotFound("rating link", "…")
    with svc.engine.connect() as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).mappings().first()
    if row is None:
        raise NotFound("order", order_id)
    out = dict(row)
    region = svc.region(str(row["region_id"]))
    try:
        out["item_name"] = region.catalogue.item(str(row["item_code"])).name
    except KeyError:
        out["item_name"] = row["item_code"]
    return out


@litestar.get("/r/{token:str}", name="rating_page", sync_to_thread=True)
def rating_page(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, token: str
) -> Template:
    order = _order(svc, secret_key, token)
    return page(request, None, "rate.html", order=order, done=order["status"] == OrderStatus.RATED)


@litestar.post("/r/{token:str}", sync_to_thread=True)
def rate(
    request: Request[Any, Any, Any],
    svc: Services,
    secret_key: bytes,
    token: str,
    data: Annotated[RatingForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    order = _order(svc, secret_key, token)
    if order["status"] == OrderStatus.DELIVERED:
        region = svc.region(str(order["region_id"]))
        actor = system_actor(region.id, region.info.code, "recipient")
        rate_order(svc, actor, int(order["id"]), NewRating(score=data.score))
    return page(request, None, "rate.html", order=order, done=True, score=data.score)
