"""`GET /api/stats` at a million orders (target: <= 50 ms), against a served jiuzhu.

    python benchmarks/stats_bench.py --database-url postgresql+psycopg://…/bench_db
    python benchmarks/stats_bench.py --database-url sqlite:////tmp/stats.db --orders 200000

The database is emptied (PostgreSQL: the public schema is dropped; it must be a database
named for benchmarks or tests), migrated, and loaded in bulk (COPY on PostgreSQL,
executemany on SQLite) with ``--orders`` delivered orders of ``--persons`` people in one
region over 24 months: one visit checked out per order, the money split by the region's
funding rule. The rollups are then built by the migration's backfill, as an upgrade of an
existing installation would. ``jiuzhu serve`` runs on ``--port``; the statistics are asked
``--requests`` times per variant, one at a time (latency, not throughput), and p50 / p99
are printed. ``--check`` also counts every variant's figures from the history in-process and
compares them (and prints how long the item recount takes: the cost before the rollups).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from jiuzhu.core import idcard
from jiuzhu.core.access import Role, access_registry
from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.services import Services, rollups, stats
from jiuzhu.core.services.providers import create_provider
from jiuzhu.core.services.users import add_user, create_token, get_user
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine

REGION = "changji"
START = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)
CHUNK = 50_000


def _empty(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and os.path.exists(u.database):
            os.remove(u.database)
        return make_engine(url)
    name = u.database or ""
    if "bench" not in name and "test" not in name:
        sys.exit(f"refusing to empty database {name!r}: its name has neither 'bench' nor 'test'")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return engine


def _copy(engine: Engine, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany in chunks on SQLite."""
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")  # jiuzhu's SQLite connections autocommit: one transaction
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(_sqlite(v) for v in row))
            if len(chunk) >= CHUNK:
                cur.executemany(sql, chunk)
                chunk.clear()
        if chunk:
            cur.executemany(sql, chunk)
        raw.commit()
    finally:
        raw.close()


def _sqlite(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load(svc: Services, n_orders: int, n_persons: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    region = svc.regions.get(REGION)
    admin = access_registry(svc.regions.pm).actor(
        username="bench", role=Role.SYSTEM, region_id=REGION, area_code=region.info.code
    )
    leaves = [a.code for a in region.info.areas if len(a.code) == 12] or [
        a.code for a in region.info.areas
    ]
    providers = [
        create_provider(svc, admin, REGION, f"压测社工中心{k}", leaves[k % len(leaves)]).id
        for k in range(6)
    ]
    items = [i for i in region.catalogue.items if i.mode != "group"]
    funding = svc.regions.funding_rule(region, date(2025, 1, 1))
    sources = list(funding.sources)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    person_area = [rng.choice(leaves) for _ in range(n_persons)]
    _copy(
        svc.engine,
        "persons",
        [
            "id",
            "region_id",
            "id_number",
            "name",
            "birth_date",
            "area_code",
            "groups",
            "covered_by",
            "created_at",
        ],
        (
            (
                k + 1,
                REGION,
                idcard.make(
                    region.info.code, date(1940, 1, 1) + timedelta(days=k // 1000), k % 1000
                ),
                "压测对象",
                date(1940, 1, 1) + timedelta(days=k // 1000),
                person_area[k],
                '["低保"]',
                "[]",
                now,
            )
            for k in range(n_persons)
        ),
    )
    _copy(
        svc.engine,
        "cases",
        ["id", "region_id", "person_id", "area_code", "status", "opened_at"],
        ((k + 1, REGION, k + 1, person_area[k], "active", START) for k in range(n_persons)),
    )
    span = 24 * 30 * 86400  # two years of orders
    picks = [
        (
            rng.randrange(n_persons) + 1,
            rng.choice(items),
            rng.choice(providers),
            START + timedelta(seconds=rng.randrange(span)),
        )
        for _ in range(n_orders)
    ]
    _copy(
        svc.engine,
        "orders",
        [
            "id",
            "region_id",
            "case_id",
            "item_code",
            "quantity",
            "unit_price_fen",
            "amount_fen",
            "status",
            "due_at",
            "placed_at",
            "placed_by",
            "finished_at",
            "provider_id",
        ],
        (
            (
                i + 1,
                REGION,
                c,
                it.code,
                1,
                it.unit_price_fen,
                it.unit_price_fen,
                "delivered",
                at + timedelta(hours=48),
                at,
                "bench",
                at + timedelta(hours=3),
                p,
            )
            for i, (c, it, p, at) in enumerate(picks)
        ),
    )
    _copy(
        svc.engine,
        "deliveries",
        ["id", "order_id", "checkin_at", "checkout_at", "minutes", "steps_done"],
        (
            (i + 1, i + 1, at + timedelta(hours=2), at + timedelta(hours=3), 60, "[]")
            for i, (_c, _it, _p, at) in enumerate(picks)
        ),
    )

    def money() -> Iterator[tuple[Any, ...]]:
        n = 0
        for i, (_c, it, _p, at) in enumerate(picks):
            parts = funding.split(np.array([it.unit_price_fen]), np.array([it.category]))[0]
            for src, part in zip(sources, parts, strict=True):
                if part:
                    n += 1
                    yield (n, i + 1, src, int(part), "spend", at)

    _copy(
        svc.engine, "ledger", ["id", "order_id", "source_code", "amount_fen", "kind", "at"], money()
    )
    loaded = time.perf_counter() - t0
    if svc.engine.dialect.name == "postgresql":
        with svc.engine.begin() as conn:
            for t in ("persons", "cases", "orders", "deliveries", "ledger"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                        f"(SELECT MAX(id) FROM {t}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    t1 = time.perf_counter()
    with svc.engine.begin() as conn:
        rollups.backfill(conn, svc.regions)
    if svc.engine.dialect.name == "postgresql":  # what autovacuum would soon have done
        with svc.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return {"load_s": round(loaded, 1), "backfill_s": round(time.perf_counter() - t1, 1)}


def _serve(url: str, port: int, secret: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "JIUZHU_DATABASE_URL": url, "JIUZHU_SECRET_KEY": secret}
    proc = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "jiuzhu"),
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    sys.exit("the server did not start")


VARIANTS = {
    "item (all time)": {"group_by": "item"},
    "area (all time)": {"group_by": "area"},
    "month (all time)": {"group_by": "month"},
    "provider, 2025": {"group_by": "provider", "start": "2025-01-01", "end": "2025-12-31"},
    "category, 2025": {"group_by": "category", "start": "2025-01-01", "end": "2025-12-31"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("JIUZHU_DATABASE_URL"))
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded database")
    parser.add_argument("--check", action="store_true", help="recount from the history too")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.database_url:
        sys.exit("give --database-url (or JIUZHU_DATABASE_URL)")
    pm = make_plugin_manager()
    regions = load_regions(pm)
    if args.skip_load:
        engine = make_engine(args.database_url)
        timing: dict[str, Any] = {}
    else:
        engine = _empty(args.database_url)
        migrate.upgrade(engine, pm)
        timing = load(
            Services(engine=engine, regions=regions), args.orders, args.persons, args.seed
        )
    svc = Services(engine=engine, regions=regions)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    add_user(svc, name, "bench-password-1", Role.ADMIN, REGION)
    token = create_token(svc, name)
    proc = _serve(args.database_url, args.port, secrets.token_hex(32))
    out: dict[str, Any] = {
        "orders": args.orders,
        "persons": args.persons,
        "database": engine.dialect.name,
        **timing,
        "variants": {},
    }
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{args.port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        for label, params in VARIANTS.items():
            for _ in range(3):  # warm up
                r = client.get("/api/stats", params=params)
                r.raise_for_status()
            took = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                r = client.get("/api/stats", params=params)
                took.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            q = statistics.quantiles(took, n=100)
            out["variants"][label] = {"p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1)}
        total = client.get("/api/stats").json()["total"]
        out["person_times"] = total["person_times"]
        out["persons_served"] = total["persons"]
    finally:
        proc.terminate()
        proc.wait(10)
    if args.check:  # every variant, as the rollups give it and recounted
        actor = get_user(svc, name).actor(access_registry(pm))
        unequal = []
        for label, params in VARIANTS.items():
            kw: dict[str, Any] = {
                k: date.fromisoformat(v) if k in ("start", "end") else v for k, v in params.items()
            }
            fast = stats.statistics(svc, actor, **kw)
            t0 = time.perf_counter()
            with mock.patch.object(stats, "_rollup_period", lambda start, end: None):
                scanned = stats.statistics(svc, actor, **kw)
            if label == "item (all time)":
                out["recount_ms"] = round((time.perf_counter() - t0) * 1000)
            if fast != scanned:
                unequal.append(label)
        out["recount_equal"] = not unequal
        out["recount_unequal"] = unequal
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(
        f"{args.orders:,} orders, {args.persons:,} persons on {engine.dialect.name}"
        + (
            f" (load {timing['load_s']} s, rollup backfill {timing['backfill_s']} s)"
            if timing
            else ""
        )
    )
    for label, v in out["variants"].items():
        print(f"  GET /api/stats {label:<18} p50 {v['p50_ms']:7.1f} ms   p99 {v['p99_ms']:7.1f} ms")
    if args.check:
        print(
            f"  recount from the history (item): {out['recount_ms']} ms; figures of every "
            f"variant equal: {out['recount_equal']} {' '.join(out['recount_unequal'])}"
        )


if __name__ == "__main__":
    main()
