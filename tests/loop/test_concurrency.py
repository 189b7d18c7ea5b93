"""Many conflicting orders at once against one entitlement: nothing is overspent and the
ledger balances. PostgreSQL relies on row locks (SELECT … FOR UPDATE), SQLite on
BEGIN IMMEDIATE serialising the writers."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import Engine

from jiuzhu.core.base import Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import entitlement_view
from jiuzhu.core.services.orders import NewOrder, place_order

from ..conftest import Clock, _truncate, actor_for
from .helpers import assert_ledger_balances, eligible_case, granted_case, item_named

THREADS = 20


def fire(svc: Services, orders: list[NewOrder]) -> Counter[str]:
    """Place all orders at the same moment, one thread each; count outcomes by rule."""
    actor = actor_for(svc.regions, "changji")
    start = threading.Barrier(len(orders))

    def one(order: NewOrder) -> str:
        start.wait()
        try:
            place_order(svc, actor, order)
        except Refused as refused:
            return refused.rule
        return "ok"

    with ThreadPoolExecutor(len(orders)) as pool:
        return Counter(pool.map(one, orders))


def overspend_race(svc: Services) -> None:
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    case = eligible_case(svc, actor, region)  # 2,000 yuan a year
    package = item_named(region, "流动服务包")  # 150 yuan: 13 fit, 7 do not
    outcome = fire(svc, [NewOrder(case_id=case.id, item_code=package)] * THREADS)
    assert outcome == Counter(ok=13, budget=7)
    view = entitlement_view(svc, actor, case.id)
    assert view.entitlement.used == 13 * 15000 <= view.entitlement.amount
    assert assert_ledger_balances(svc) == 1


def item_cap_race(svc: Services) -> None:
    """Changji school transport (students of 低保 families in 吉木萨尔县): at most 1,000 yuan a
    student a year, 100 yuan a month."""
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    case = granted_case(
        svc,
        actor,
        region,
        born=date(2012, 9, 1),
        groups=("低保",),
        disability_grade=0,
        student=True,
        area="652327",
    )
    transport = item_named(region, "免费接送")
    outcome = fire(svc, [NewOrder(case_id=case.id, item_code=transport)] * THREADS)
    assert outcome == Counter({"ok": 10, "item.annual_cap": 10})
    assert entitlement_view(svc, actor, case.id).entitlement.used == 100000
    assert_ledger_balances(svc)


def two_people_race(svc: Services) -> None:
    """Orders for two people interleave without deadlock; each budget holds on its own."""
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    a, b = eligible_case(svc, actor, region), eligible_case(svc, actor, region)
    package = item_named(region, "流动服务包")
    outcome = fire(
        svc, [NewOrder(case_id=c.id, item_code=package) for c in (a, b) * (THREADS // 2 + 4)]
    )
    assert outcome == Counter(ok=26, budget=2)
    assert assert_ledger_balances(svc) == 2


RACES = [overspend_race, item_cap_race, two_people_race]


@pytest.mark.parametrize("race", RACES, ids=lambda r: r.__name__)
def test_concurrent_orders(svc: Services, race) -> None:
    """On the suite's database (SQLite, or PostgreSQL under JIUZHU_TEST_DATABASE_URL)."""
    race(svc)


@pytest.mark.pg
@pytest.mark.parametrize("race", RACES, ids=lambda r: r.__name__)
def test_concurrent_orders_on_postgresql(pg_engine: Engine, regions: Regions, race) -> None:
    _truncate(pg_engine)
    race(Services(engine=pg_engine, regions=regions, clock=Clock()))
