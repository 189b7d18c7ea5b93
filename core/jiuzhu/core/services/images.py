"""Images of a visit: the recipient's handwritten signature (PNG, drawn on the phone's
canvas) and optional photos before and after the service.

Stored in the database (table ``delivery_images``) so that the province's one backup holds
them (scripts/backup.sh dumps the database). Every image is checked before it is written:
its size in bytes, its type by content (Pillow decodes it; the name or the browser's
content type are not trusted) and its pixel size. Reading one goes through the order's scope
(the same rule as the order and the case file).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection, select

from ..access import Actor, order_scope
from ..base import Invalid, NotFound
from ..storage.tables import deliveries, delivery_images, orders
from . import Services, plain

KIND_LABELS = {"signature": "手写签名", "before": "服务前照片", "after": "服务后照片"}
SIGNATURE_MAX_BYTES = 200_000  # a 600×200 canvas stroke PNG is ~5–30 kB
PHOTO_MAX_BYTES = 3_000_000  # a phone photo (the page downscales it before upload)
PHOTOS_MAX = 2  # per kind (before / after) and visit
MAX_SIDE = 8000  # pixels, either side
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
DATA_URL = "data:image/png;base64,"


@dataclass(frozen=True)
class NewImage:
    """A checked image, ready to store."""

    kind: str
    media_type: str
    width: int
    height: int
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class ImageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An image's record without its bytes (for pages and the API)."""

    id: int
    delivery_id: int
    kind: str
    media_type: str
    width: int
    height: int
    size: int
    created_at: datetime
    created_by: str


def check_image(kind: str, body: bytes, field: str | None = None) -> NewImage:
    """The image if it is what ``kind`` allows (signature: PNG up to 200 kB; before/after:
    PNG, JPEG or WebP up to 3 MB), else Invalid naming the field and the limit."""
    name = field or kind
    label = KIND_LABELS.get(kind)
    if label is None:
        raise Invalid(name, f"图片类别应为 {'、'.join(KIND_LABELS)} 之一")
    limit = SIGNATURE_MAX_BYTES if kind == "signature" else PHOTO_MAX_BYTES
    if not body:
        raise Invalid(name, f"{label}为空")
    if len(body) > limit:
        raise Invalid(name, f"{label}过大（{len(body) // 1000} kB），上限 {limit // 1000} kB")
    allowed = ("PNG",) if kind == "signature" else tuple(FORMATS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as img:
                fmt, (width, height) = img.format, img.size
                img.verify()  # structure and checksums, without decoding all pixels
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
    ):
        raise Invalid(name, f"{label}不是有效的图片文件") from None
    except Image.DecompressionBombError:
        raise Invalid(name, f"{label}像素过多") from None
    if fmt not in allowed:
        raise Invalid(name, f"{label}应为 {'、'.join(allowed)} 格式，收到的是 {fmt}")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise Invalid(name, f"{label}尺寸应在 {MAX_SIDE}×{MAX_SIDE} 像素以内")
    return NewImage(kind, FORMATS[str(fmt)], width, height, body)


def signature_from_data_url(value: str, field: str = "signature_png") -> NewImage | None:
    """The canvas's ``data:image/png;base64,…`` as a checked PNG; None when empty."""
    value = value.strip()
    if not value:
        return None
    if not value.startswith(DATA_URL):
        raise Invalid(field, "手写签名应为 PNG 图片")
    raw = value[len(DATA_URL) :]
    if len(raw) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise Invalid(field, f"手写签名过大，上限 {SIGNATURE_MAX_BYTES // 1000} kB")
    try:
        body = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(field, "手写签名数据已损坏，请重新签名") from None
    return check_image("signature", body, field)


def check_photos(kind: str, bodies: Sequence[bytes], field: str) -> list[NewImage]:
    if len(bodies) > PHOTOS_MAX:
        raise Invalid(field, f"{KIND_LABELS[kind]}最多{PHOTOS_MAX}张")
    return [check_image(kind, b, field) for b in bodies]


def store_images(
    conn: Connection,
    delivery_id: int,
    images: Sequence[NewImage],
    username: str,
    now: datetime,
) -> list[int]:
    """Insert inside the caller's transaction (the check-out's), so nothing is half-written."""
    ids = []
    for im in images:
        key = conn.execute(
            delivery_images.insert().values(
                delivery_id=delivery_id,
                kind=im.kind,
                media_type=im.media_type,
                width=im.width,
                height=im.height,
                size=len(im.body),
                sha256=im.sha256,
                body=im.body,
                created_at=now,
                created_by=username,
            )
        ).inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    return ids


INFO_COLUMNS = [c for c in delivery_images.c if c.name not in ("body", "sha256")]


def images_of(conn: Connection, delivery_ids: Sequence[int]) -> dict[int, list[ImageInfo]]:
    """The images' records (no bytes) per visit, signature first, then before, after."""
    out: dict[int, list[ImageInfo]] = {int(d): [] for d in delivery_ids}
    if not out:
        return out
    rows = conn.execute(
        select(*INFO_COLUMNS)
        .where(delivery_images.c.delivery_id.in_(list(out)))
        .order_by(delivery_images.c.delivery_id, delivery_images.c.id)
    ).mappings()
    order = list(KIND_LABELS)
    for r in rows:
        out[int(r["delivery_id"])].append(msgspec.convert(plain(r), ImageInfo))
    for v in out.values():
        v.sort(key=lambda i: (order.index(i.kind) if i.kind in order else 9, i.id))
    return out


def read_image(svc: Services, actor: Actor, image_id: int) -> tuple[str, bytes]:
    """An image's media type and bytes, if the actor may see its order (order_scope);
    404 otherwise, as for a missing image."""
    region = svc.region(actor.region_id)
    with svc.reading() as conn:
        row: Any = conn.execute(
            select(delivery_images.c.media_type, delivery_images.c.body)
            .join(deliveries, deliveries.c.id == delivery_images.c.delivery_id)
            .join(orders, orders.c.id == deliveries.c.order_id)
            .where(delivery_images.c.id == image_id, order_scope(actor, region.info))
        ).first()
    if row is None:
        raise NotFound("image", image_id)
    return str(row[0]), bytes(row[1])
