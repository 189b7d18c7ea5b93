"""The schema is created only by Alembic: the core's line and each plugin's branch; an empty
database upgrades to all heads, and a database filled by the first release keeps its data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import Date, DateTime, Engine, MetaData, func, select, text
from sqlalchemy import inspect as sa_inspect

from jiuzhu.core.access import Actor, Role
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services, stats
from jiuzhu.core.storage import migrate
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import (
    deliveries,
    entitlement_ledger,
    entitlement_usage,
    entitlements,
    ledger,
    metadata,
    orders,
    providers,
)

from ..dbsafety import pg_url

FIRST_RELEASE = Path(__file__).parent / "data" / "first_release.json"


def test_empty_sqlite_upgrades_to_all_heads(tmp_path: Path, regions: Regions):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert migrate.current(engine) is None and migrate.current_heads(engine, regions.pm) == ()
    migrate.upgrade(engine, regions.pm)
    heads = migrate.heads(regions.pm)
    assert "one_form_0002" in heads and migrate.head() in heads  # the core's and a plugin's
    assert migrate.current_heads(engine, regions.pm) == heads
    assert migrate.is_current(engine, regions.pm)
    assert migrate.current(engine, regions.pm) == migrate.head()
    assert set(sa_inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}
    migrate.upgrade(engine, regions.pm)  # idempotent


def test_core_alone_leaves_plugin_tables_out(tmp_path: Path, regions: Regions):
    """Without the one_form plugin its tables are not created: a plugin owns its tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 'core.db'}")
    migrate.upgrade(engine)
    names = set(sa_inspect(engine).get_table_names())
    assert "cases" in names and "applications" not in names
    assert not migrate.is_current(engine, regions.pm)  # the plugin's branch is pending
    migrate.upgrade(engine, regions.pm)
    assert "applications" in set(sa_inspect(engine).get_table_names())


def test_test_database_is_at_all_heads(engine: Engine, regions: Regions):
    """Runs on PostgreSQL when JIUZHU_TEST_DATABASE_URL is set (pg_engine migrated it)."""
    assert migrate.current_heads(engine, regions.pm) == migrate.heads(regions.pm)
    assert set(sa_inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}


def test_models_match_the_migrations(engine: Engine):
    """No table or column defined in tables.py (core and plugins) is missing from the schema."""
    inspector = sa_inspect(engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name


# --- a database of the first release ---------------------------------------------------


@pytest.fixture
def first_release_engine(tmp_path: Path, regions: Regions) -> Iterator[Engine]:
    """A database at the first release's schema (core 0001, which then also held the
    one-form's tables), filled with rows its code wrote (first_release.json)."""
    url = pg_url()
    if url is None:
        engine = make_engine(f"sqlite:///{tmp_path / 'first.db'}")
    else:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS first_release CASCADE"))
            conn.execute(text("CREATE SCHEMA first_release"))
        admin.dispose()
        sep = "&" if "?" in url else "?"
        engine = make_engine(f"{url}{sep}options=-csearch_path%3Dfirst_release")
    # the first release's schema: 0001 and the tables it held, recorded as 0001 only
    migrate.upgrade(engine, regions.pm, "one_form_0001")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001')"))
    rows = json.loads(FIRST_RELEASE.read_text(encoding="utf-8"))
    old = MetaData()
    old.reflect(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        for table in old.sorted_tables:
            data = [_typed(table, r, sqlite) for r in rows.get(table.name, [])]
            if data:
                conn.execute(table.insert(), data)
        if not sqlite:  # ids were given: move the sequences past them
            for table in old.sorted_tables:
                if "id" in table.c and rows.get(table.name):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT MAX(id) FROM {table.name}))"
                        )
                    )
        # the first release's red light stopped dispatch
        conn.execute(text("UPDATE providers SET light = 'red', light_reason = '满意率低'"))
    yield engine
    engine.dispose()
    if url is not None:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS first_release CASCADE"))
        admin.dispose()


def _typed(table: Any, row: dict[str, Any], sqlite: bool) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        col = table.c[key]
        if isinstance(value, str) and isinstance(col.type, DateTime):
            moment = datetime.fromisoformat(value)
            value = moment.replace(tzinfo=None) if sqlite else moment
        elif isinstance(value, str) and isinstance(col.type, Date):
            value = date.fromisoformat(value)
        out[key] = value
    return out


def test_first_release_data_carries_over(first_release_engine: Engine, regions: Regions):
    engine = first_release_engine
    before = json.loads(FIRST_RELEASE.read_text(encoding="utf-8"))
    assert migrate.current(engine, regions.pm) == "0001"
    migrate.upgrade(engine, regions.pm)
    assert migrate.is_current(engine, regions.pm)
    old_tiers = {(t["entitlement_id"], t["idx"]): t for t in before["entitlement_tiers"]}
    with engine.connect() as conn:
        # entitlements: money caps for a calendar year, amounts renamed, nothing lost
        for e in before["entitlements"]:
            new = conn.execute(select(entitlements).where(entitlements.c.id == e["id"])).one()
            m = new._mapping
            assert (m["scheme"], m["unit"], m["kind"], m["period"]) == (
                "tiered_budget",
                "fen",
                "cap",
                "year",
            )
            assert m["amount"] == e["annual_fen"] and m["used"] == e["spent_fen"]
            usage = conn.execute(
                select(entitlement_usage).where(entitlement_usage.c.entitlement_id == e["id"])
            ).mappings()
            for u in usage:
                tier = old_tiers[(e["id"], u["bucket_idx"])]
                assert u["period_key"] == str(e["year"])
                assert (u["name"], u["cap"], u["used"]) == (
                    tier["name"],
                    tier["cap_fen"],
                    tier["spent_fen"],
                )
            booked = conn.execute(
                select(func.sum(entitlement_ledger.c.amount)).where(
                    entitlement_ledger.c.entitlement_id == e["id"]
                )
            ).scalar_one()
            assert booked == e["spent_fen"]  # unit ledger = usage = entitlements.used
        # orders keep their tier as bucket; money per order = amount less refunds
        for o in before["orders"]:
            m = conn.execute(select(orders).where(orders.c.id == o["id"])).one()._mapping
            assert m["bucket_idx"] == o["tier_idx"] and m["cost"] == o["amount_fen"]
            net = conn.execute(
                select(func.coalesce(func.sum(ledger.c.amount_fen), 0)).where(
                    ledger.c.order_id == o["id"]
                )
            ).scalar_one()
            assert net == (0 if o["status"] == "cancelled" else o["amount_fen"])
        # deliveries: one visit each, with its own id, the worker and the signer
        rows = conn.execute(select(deliveries).order_by(deliveries.c.id)).mappings().all()
        assert [(r["order_id"], r["signer"], r["minutes"]) for r in rows] == [
            (d["order_id"], d["confirmed_by"], d["minutes"]) for d in before["deliveries"]
        ]
        assert all(r["worker_id"] is not None for r in rows)
        p = conn.execute(select(providers)).mappings().one()
        assert p["blocks_dispatch"] and p["light_label"] == "红灯"
        # the one-form's application is still there, now in the plugin's branch
        assert conn.execute(text("SELECT COUNT(*) FROM applications")).scalar_one() == 1

    # and the service loop goes on where the first release stopped
    from jiuzhu.core.services.entitlements import entitlement_view
    from jiuzhu.core.services.orders import NewOrder, cancel_order, place_order
    from tests.loop.helpers import assert_ledger_balances

    svc = Services(engine=engine, regions=regions)
    admin = Actor(username="admin", role=Role.ADMIN, region_id="ordos", area_code="150600")
    first_case = before["entitlements"][0]["case_id"]
    view = entitlement_view(svc, admin, first_case, year=before["entitlements"][0]["year"])
    assert [b.used for b in view.buckets] == [
        old_tiers[(view.entitlement.id, i)]["spent_fen"] for i in range(3)
    ]
    # the statistics' rollups the migrations rebuilt (categories and counters) equal a recount
    for by in ("category", "item", "area", "month"):
        fast = stats.statistics(svc, admin, by)
        with mock.patch.object(stats, "_rollup_period", lambda start, end: None):
            assert stats.statistics(svc, admin, by) == fast, by
        assert fast.total.persons > 0 and len(fast.rows) > 0
    live = [o for o in before["orders"] if o["status"] == "placed"]
    cancel_order(svc, admin, live[0]["id"], "迁移后取消")
    ordos = regions.get("ordos")
    clean = next(i.code for i in ordos.catalogue.items if i.name == "全屋清洁")
    svc.clock = lambda: datetime.fromisoformat(before["orders"][-1]["placed_at"])  # 2025
    place_order(svc, admin, NewOrder(case_id=live[0]["case_id"], item_code=clean))
    assert assert_ledger_balances(svc) == 2
