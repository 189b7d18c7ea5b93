"""The dispatch board's and home page's queues read open orders of a region by urgency and
deadline through one index (orders: region_id, status, urgent DESC, due_at), so the page
costs the same however many orders the region has delivered. Checked with EXPLAIN on
PostgreSQL (SQLite plans are not the ones that matter in production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from jiuzhu.core.domain import OrderStatus
from jiuzhu.core.storage.tables import orders


def _plan(engine: Engine, sql: Any) -> str:
    compiled = sql.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = conn.execute(text(f"EXPLAIN {compiled}")).all()
    return "\n".join(str(r[0]) for r in rows)


def test_queue_reads_the_index_in_order(pg_engine: Engine) -> None:
    from sqlalchemy import select

    for status in (OrderStatus.PLACED, OrderStatus.DISPATCHED):
        query = (
            select(orders.c.id)
            .where(orders.c.region_id == "changji", orders.c.status == status)
            .order_by(orders.c.urgent.desc(), orders.c.due_at)
            .limit(200)
        )
        plan = _plan(pg_engine, query)
        assert "ix_orders_queue" in plan, plan
        assert "Sort" not in plan, plan  # the index gives the order: no sort of the queue


def test_overdue_queue_uses_the_index(pg_engine: Engine) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    query = (
        select(orders.c.id)
        .where(
            orders.c.region_id == "changji",
            orders.c.status.in_([OrderStatus.PLACED, OrderStatus.DISPATCHED]),
            orders.c.due_at < datetime(2025, 3, 3, tzinfo=UTC),
        )
        .order_by(orders.c.urgent.desc(), orders.c.due_at)
        .limit(200)
    )
    plan = _plan(pg_engine, query)
    assert "ix_orders_queue" in plan, plan
