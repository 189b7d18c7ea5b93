"""Lists and searches with cursor pagination, scoped like the reads (services/scoped.py).

A page is ordered by id; its ``next`` cursor is opaque to clients (base64 of the last id
and a fingerprint of the filters), so a page boundary never skips or repeats a record
however many are added meanwhile, and a cursor cannot be reused with other filters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Column, Select

from .. import idcard
from ..access import Actor, area_subtree, shown_text
from ..base import Invalid
from ..domain import Case, CaseStatus, Order, OrderStatus, Person
from ..storage.tables import cases, orders, persons
from . import MAX_ID, Services, plain
from .scoped import scoped_cases, scoped_orders, scoped_persons

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class _Cursor(msgspec.Struct, array_like=True):
    after: int
    filters: str


def _filters_key(filters: dict[str, Any]) -> str:
    raw = msgspec.json.encode({k: v for k, v in filters.items() if v is not None}, order="sorted")
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_cursor(after: int, filters: dict[str, Any]) -> str:
    raw = msgspec.json.encode(_Cursor(after, _filters_key(filters)))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, filters: dict[str, Any]) -> int:
    """The id after which the page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parsed = msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise Invalid("cursor", "游标无效：请使用上一页返回的 next 原样传回") from None
    if parsed.filters != _filters_key(filters) or not 0 <= parsed.after <= MAX_ID:
        raise Invalid("cursor", "游标与本次查询条件不符：换了条件请从第一页开始")
    return parsed.after


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"每页条数应为1至{MAX_LIMIT}")
    return limit


def page(
    svc: Services,
    query: Select[Any],
    id_col: Column[int],
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``query`` (already scoped and filtered) after the cursor, by id."""
    after = decode_cursor(cursor, filters)
    check_limit(limit)
    with svc.reading() as conn:
        rows = [
            plain(r)
            for r in conn.execute(
                query.where(id_col > after).order_by(id_col).limit(limit + 1)
            ).mappings()
        ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(int(rows[-1]["id"]), filters) if more else None


def _choice(field: str, value: str | None, allowed: Sequence[str]) -> str | None:
    if value is not None and value not in allowed:
        raise Invalid(field, f"应为 {'、'.join(allowed)} 之一")
    return value


def list_persons(
    svc: Services,
    actor: Actor,
    *,
    id_number: str | None = None,
    name: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Person], str | None]:
    """People in scope; ``id_number`` exact (checked, normalised), ``name`` a prefix."""
    query = scoped_persons(svc, actor)
    if id_number is not None:
        try:
            id_number = idcard.validate(id_number)
        except ValueError as exc:
            raise Invalid("id_number", str(exc)) from None
        query = query.where(persons.c.id_number == id_number)
    if name is not None:
        name = name.strip()
        if not 1 <= len(name) <= 60:
            raise Invalid("name", "按姓名查找须给出1至60个字（姓名开头）")
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(persons.c.name.like(escaped + "%", escape="\\"))
    filters = {"id_number": id_number, "name": name}
    rows, nxt = page(svc, query, persons.c.id, filters, limit, cursor)
    return [msgspec.convert(r, Person) for r in rows], nxt


def list_cases(
    svc: Services,
    actor: Actor,
    *,
    status: str | None = None,
    area: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Case], str | None]:
    """Cases in scope; ``area`` keeps the cases in that area and below it."""
    query = scoped_cases(svc, actor)
    _choice("status", status, [s.value for s in CaseStatus])
    if status is not None:
        query = query.where(cases.c.status == status)
    if area is not None:
        info = svc.region(actor.region_id).info
        if area != info.code and info.area(area) is None:
            raise Invalid("area", f"{area} 不是{info.name}的区划代码")
        query = query.where(cases.c.area_code.in_(sorted(area_subtree(info, area))))
    rows, nxt = page(svc, query, cases.c.id, {"status": status, "area": area}, limit, cursor)
    found = [msgspec.convert(r, Case) for r in rows]
    return [
        msgspec.structs.replace(c, exit_reason=shown_text(actor, c.exit_reason)) for c in found
    ], nxt


def list_orders(
    svc: Services,
    actor: Actor,
    *,
    case_id: int | None = None,
    status: str | None = None,
    provider_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Order], str | None]:
    """Orders of cases in scope."""
    query = scoped_orders(svc, actor)
    _choice("status", status, [s.value for s in OrderStatus])
    if case_id is not None:
        query = query.where(orders.c.case_id == case_id)
    if status is not None:
        query = query.where(orders.c.status == status)
    if provider_id is not None:
        query = query.where(orders.c.provider_id == provider_id)
    filters = {"case_id": case_id, "status": status, "provider_id": provider_id}
    rows, nxt = page(svc, query, orders.c.id, filters, limit, cursor)
    from .orders import shown_order

    return [shown_order(actor, msgspec.convert(r, Order)) for r in rows], nxt
