"""Row locks of the service loop, taken in ONE order by every unit of work:

    case  →  entitlement  →  order

A unit that starts from an order reads it without a lock to learn its case, locks the case,
then the entitlement (if it moves money), then the order, and re-reads the order under its
lock. Any two units that touch one case therefore queue on the case row and can never hold
each other's next lock: no deadlock between placing, cancelling, a visit's check-out
(which books a floor's minutes), closing early, reviewing, re-assessing and exiting. A unit
that needs several cases locks them in ascending id order. A group check-in locks its
session first, then the attendee's case, entitlement and order; closing a period locks each
case alone; household changes lock households (lower id first) and persons, never a case.
A visit's check-out last holds its person FOR SHARE (services.rollups: so a household move
waits for the visit's statistics rows, or the visit for the move).

The case row is locked FOR NO KEY UPDATE on PostgreSQL: it excludes every other locker of
the case but not a plain insert that only references it (a case event, an application
decision), which takes a KEY SHARE lock. On SQLite the whole write unit already holds the
database's write lock from BEGIN IMMEDIATE; these selects are plain reads there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ..base import NotFound
from ..storage.tables import cases, entitlements, orders
from . import MAX_ID, fetch_one, plain


def lock_case(conn: Connection, case_id: int) -> dict[str, Any]:
    """First lock of every unit that changes a case or its money."""
    if not 0 < case_id <= MAX_ID:
        raise NotFound("case", case_id)
    row = (
        conn.execute(select(cases).where(cases.c.id == case_id).with_for_update(key_share=True))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("case", case_id)
    return plain(row)


def lock_entitlement(conn: Connection, case_id: int, year: int) -> dict[str, Any] | None:
    """Second: the case's entitlement for ``year`` (the case must be locked already)."""
    row = (
        conn.execute(
            select(entitlements)
            .where(entitlements.c.case_id == case_id, entitlements.c.year == year)
            .with_for_update()
        )
        .mappings()
        .first()
    )
    return None if row is None else plain(row)


def lock_entitlement_by_id(conn: Connection, entitlement_id: int) -> dict[str, Any]:
    """Second, when the entitlement is known by id (an order's); its row, re-read under
    the lock."""
    return fetch_one(
        conn, entitlements, "entitlement", entitlement_id, lock=True, id=entitlement_id
    )


def lock_order(conn: Connection, order_id: int) -> dict[str, Any]:
    """Last: the order itself, re-read under its lock."""
    return fetch_one(conn, orders, "order", order_id, lock=True, id=order_id)


def case_of_order(conn: Connection, order_id: int) -> int:
    """Which case an order belongs to (never changes, so read without a lock)."""
    return int(fetch_one(conn, orders, "order", order_id, id=order_id)["case_id"])
