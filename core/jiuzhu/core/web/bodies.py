"""Strict request bodies: a JSON body must have exactly the declared types.

Litestar converts a handler's ``data`` leniently (it would take ``"2"`` for a quantity).
Before the handler runs, the raw body is decoded once more with ``strict=True`` against
the same msgspec type, so a number or a year sent as a string, or a boolean as a number,
is refused with 422 naming the field — one documented behaviour, not both.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException

from ..base import Invalid
from .errors import translate


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a body whose types are not exactly the declared ones (run after the caller
    is known, so an anonymous request is 401 whatever it sends)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    body = await request.body()
    if not body.strip():
        if data.is_optional:
            return
        raise Invalid("body", "缺少请求体（应为 JSON 对象）")
    try:
        # well-formed JSON first (a body nested too deep raises RecursionError: 400), then
        # exactly the declared types (422 naming the field)
        msgspec.json.decode(body)
        msgspec.json.decode(body, type=data.annotation, strict=True)
    except msgspec.ValidationError as exc:
        field, detail = translate(str(exc))
        raise Invalid(field, detail) from None
    except msgspec.DecodeError:
        raise ClientException("JSON is malformed") from None
