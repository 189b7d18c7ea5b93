"""The two ledgers, written only inside a unit of work that holds the locks.

- The unit ledger (``entitlement_ledger``) books an entitlement's usage in its unit (fen,
  minutes, count) per period and bucket; ``entitlement_usage`` and ``entitlements.used``
  move with every row, so the three always agree.
- The money ledger (``ledger``) books every order's money by funding source (always fen),
  whether or not the order spends an entitlement. Its sum per order is the order's amount
  less what was refunded.

Callers take locks first, in the one order: case → entitlement → order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, func, select, update

from ..entitlement import EntitlementRule
from ..rules import FundingRule, IntArray
from ..storage.tables import entitlement_ledger, entitlement_usage, entitlements, ledger
from . import rollups


def usage(conn: Connection, entitlement_id: int, period_key: str, k: int) -> IntArray:
    """What each of the ``k`` buckets has used in the period (0 before its first booking)."""
    used = np.zeros(k, dtype=np.int64)
    rows = conn.execute(
        select(entitlement_usage.c.bucket_idx, entitlement_usage.c.used).where(
            entitlement_usage.c.entitlement_id == entitlement_id,
            entitlement_usage.c.period_key == period_key,
        )
    ).all()
    for idx, value in rows:
        if 0 <= idx < k:
            used[idx] = int(value)
    return used


def _ensure_period(
    conn: Connection, entitlement_id: int, period_key: str, rule: EntitlementRule
) -> None:
    """The period's usage rows, created on its first booking (under the entitlement lock)."""
    have = conn.execute(
        select(func.count())
        .select_from(entitlement_usage)
        .where(
            entitlement_usage.c.entitlement_id == entitlement_id,
            entitlement_usage.c.period_key == period_key,
        )
    ).scalar_one()
    if have:
        return
    conn.execute(
        entitlement_usage.insert(),
        [
            {
                "entitlement_id": entitlement_id,
                "period_key": period_key,
                "bucket_idx": i,
                "name": b.name[:40],
                "cap": b.cap,
                "used": 0,
            }
            for i, b in enumerate(rule.buckets())
        ],
    )


def book_usage(
    conn: Connection,
    rule: EntitlementRule,
    entitlement_id: int,
    order_id: int,
    period_key: str,
    bucket: int,
    amount: int,
    at: datetime,
    delivery_id: int | None = None,
) -> None:
    """One unit-ledger row (spend if positive, refund if negative) and the usage it moves."""
    if amount == 0:
        return
    _ensure_period(conn, entitlement_id, period_key, rule)
    conn.execute(
        entitlement_ledger.insert().values(
            entitlement_id=entitlement_id,
            order_id=order_id,
            delivery_id=delivery_id,
            period_key=period_key,
            bucket_idx=bucket,
            amount=amount,
            kind="spend" if amount > 0 else "refund",
            at=at,
        )
    )
    conn.execute(
        update(entitlement_usage)
        .where(
            entitlement_usage.c.entitlement_id == entitlement_id,
            entitlement_usage.c.period_key == period_key,
            entitlement_usage.c.bucket_idx == bucket,
        )
        .values(used=entitlement_usage.c.used + amount)
    )
    conn.execute(
        update(entitlements)
        .where(entitlements.c.id == entitlement_id)
        .values(used=entitlements.c.used + amount)
    )


def order_usage(conn: Connection, order_id: int) -> list[tuple[int, str, int, int]]:
    """(entitlement, period, bucket, net amount) the order holds, booking by booking."""
    rows = conn.execute(
        select(
            entitlement_ledger.c.entitlement_id,
            entitlement_ledger.c.period_key,
            entitlement_ledger.c.bucket_idx,
            func.sum(entitlement_ledger.c.amount),
        )
        .where(entitlement_ledger.c.order_id == order_id)
        .group_by(
            entitlement_ledger.c.entitlement_id,
            entitlement_ledger.c.period_key,
            entitlement_ledger.c.bucket_idx,
        )
    ).all()
    return [(int(e), str(p), int(b), int(a)) for e, p, b, a in rows if a]


def book_money(
    conn: Connection,
    funding: FundingRule,
    order_id: int,
    entitlement_id: int | None,
    amount: int,
    category: str,
    at: datetime,
) -> dict[str, int]:
    """Split ``amount`` among the funding sources and book each part; returns the parts."""
    if amount <= 0:
        return {}
    parts = funding.split(np.array([amount], dtype=np.int64), np.array([category]))[0]
    booked = {src: int(part) for src, part in zip(funding.sources, parts, strict=True) if part}
    if booked:  # an empty executemany would fail
        conn.execute(
            ledger.insert(),
            [
                {
                    "entitlement_id": entitlement_id,
                    "order_id": order_id,
                    "source_code": src,
                    "amount_fen": part,
                    "kind": "spend",
                    "at": at,
                }
                for src, part in booked.items()
            ],
        )
        rollups.booked(conn, order_id, [(src, part, at) for src, part in booked.items()])
    return booked


def money_of(conn: Connection, order_id: int) -> dict[str, int]:
    """The order's net money by source."""
    rows = conn.execute(
        select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .where(ledger.c.order_id == order_id)
        .group_by(ledger.c.source_code)
        .order_by(func.min(ledger.c.id))
    ).all()
    return {str(src): int(total) for src, total in rows}


def refund_money(
    conn: Connection, order_id: int, entitlement_id: int | None, amount: int, at: datetime
) -> dict[str, int]:
    """Give ``amount`` of the order's money back to its sources in proportion to what each
    paid (largest remainder; never more than a source paid). Returns the refunds."""
    held = {s: v for s, v in money_of(conn, order_id).items() if v > 0}
    total = sum(held.values())
    amount = min(amount, total)
    if amount <= 0:
        return {}
    sources = list(held)
    paid = np.array([held[s] for s in sources], dtype=np.int64)
    raw = paid * amount
    parts = raw // total
    rem = raw % total
    left = amount - int(parts.sum())
    for i in np.argsort(-rem, kind="stable")[:left]:
        parts[i] += 1
    parts = np.minimum(parts, paid)
    given = {src: int(part) for src, part in zip(sources, parts, strict=True) if part}
    if given:
        rows: list[dict[str, Any]] = [
            {
                "entitlement_id": entitlement_id,
                "order_id": order_id,
                "source_code": src,
                "amount_fen": -part,
                "kind": "refund",
                "at": at,
            }
            for src, part in given.items()
        ]
        conn.execute(ledger.insert(), rows)
        rollups.booked(conn, order_id, [(src, -part, at) for src, part in given.items()])
    return given


def delivered_totals(conn: Connection, order_id: int) -> tuple[int, int]:
    """(completed visits, minutes served) of an order."""
    from ..storage.tables import deliveries

    row = conn.execute(
        select(func.count(), func.coalesce(func.sum(deliveries.c.minutes), 0)).where(
            and_(deliveries.c.order_id == order_id, deliveries.c.checkout_at.is_not(None))
        )
    ).one()
    return int(row[0]), int(row[1])
