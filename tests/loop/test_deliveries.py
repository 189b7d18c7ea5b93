"""An order of N units is delivered over visits; each visit is a delivery (check-in,
check-out, minutes, steps, signer) and a person-time (人次); an order closed early gives
back the undelivered remainder of money and entitlement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.catalogue import Item
from jiuzhu.core.domain import OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import case_file, exit_case
from jiuzhu.core.services.entitlements import entitlement_view
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    accept_order,
    cancel_order,
    close_order,
    dispatch_order,
    finish_order,
    order_deliveries,
    place_order,
    start_order,
)
from jiuzhu.core.services.stats import statistics
from jiuzhu.core.storage.tables import ledger

from ..conftest import Clock, actor_for
from .helpers import assert_ledger_balances, eligible_case, item_named, provider_with_worker


def _setup(svc: Services, regions: Regions, region_id: str = "ordos"):
    region = regions.get(region_id)
    officer = actor_for(regions, region_id)
    case = eligible_case(svc, officer, region)
    provider, worker_id = provider_with_worker(svc, officer, region)
    worker = actor_for(
        regions, region_id, Role.WORKER, provider_id=provider, worker_id=worker_id, username="w"
    )
    return region, officer, case, provider, worker


def _visit(svc: Services, worker, order_id: int, minutes: int, **kw: object):
    start_order(svc, worker, order_id)
    return finish_order(svc, worker, order_id, Finish(signer="本人", minutes=minutes, **kw))  # type: ignore[arg-type]


def _money(svc: Services, order_id: int) -> int:
    with svc.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(ledger.c.amount_fen), 0)).where(
                    ledger.c.order_id == order_id
                )
            ).scalar_one()
        )


def test_five_massages_are_five_visits_and_five_person_times(svc: Services, regions: Regions):
    region, officer, case, provider, worker = _setup(svc, regions)
    clean = item_named(region, "全屋清洁")
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=clean, quantity=3))
    dispatch_order(svc, officer, order.id, provider)
    accept_order(svc, worker, order.id)
    first = _visit(svc, worker, order.id, 100)
    assert first.status == OrderStatus.ACCEPTED and first.finished_at is None
    assert _visit(svc, worker, order.id, 110).status == OrderStatus.ACCEPTED
    done = _visit(svc, worker, order.id, 95)
    assert done.status == OrderStatus.DELIVERED and done.finished_at is not None
    visits = order_deliveries(svc, officer, order.id)
    assert [v.minutes for v in visits] == [100, 110, 95]
    assert all(v.signer == "本人" and v.worker_id == worker.worker_id for v in visits)
    file = case_file(svc, officer, case.id)
    assert [d.id for d in file.deliveries] == [v.id for v in visits]
    kinds = [e.kind for e in file.events if e.detail.get("order_id") == order.id]
    assert kinds.count("order.visited") == 2 and kinds[-1] == "order.delivered"
    total = statistics(svc, officer).total
    assert (total.person_times, total.hours, total.persons, total.households) == (3, 5.08, 1, 1)
    assert total.amount_fen == order.amount_fen


def test_an_hour_item_is_delivered_when_its_hours_are_served(svc: Services, regions: Regions):
    region, officer, case, provider, worker = _setup(svc, regions, "changji")
    care = item_named(region, "上门照护")
    assert region.catalogue.item(care).by_time
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=care, quantity=2))
    dispatch_order(svc, officer, order.id, provider)
    accept_order(svc, worker, order.id)
    assert _visit(svc, worker, order.id, 90).status == OrderStatus.ACCEPTED  # 90 of 120
    assert _visit(svc, worker, order.id, 30).status == OrderStatus.DELIVERED
    assert _money(svc, order.id) == order.amount_fen


def test_closing_early_refunds_the_undelivered_part(
    svc: Services, regions: Regions, clock: Clock
) -> None:
    region, officer, case, provider, worker = _setup(svc, regions)
    from jiuzhu.core.services.cases import record_visit

    clock.advance(days=91)  # Ordos counts a stage review 90 days after the grant
    record_visit(svc, officer, case.id, "review", satisfied=True)  # opens stage 2
    massage = item_named(region, "按摩理疗")
    price = region.catalogue.item(massage).unit_price_fen
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=massage, quantity=5))
    used = entitlement_view(svc, officer, case.id).entitlement.used
    dispatch_order(svc, officer, order.id, provider)
    accept_order(svc, worker, order.id)
    _visit(svc, worker, order.id, 60)
    _visit(svc, worker, order.id, 60)
    with pytest.raises(Refused) as visited:
        cancel_order(svc, officer, order.id, "不需要了")
    assert visited.value.rule == "order.visited" and "提前结单" in visited.value.detail
    closed = close_order(svc, officer, order.id, "服务对象住院")
    assert closed.status == OrderStatus.DELIVERED
    assert _money(svc, order.id) == 2 * price
    assert entitlement_view(svc, officer, case.id).entitlement.used == used - 3 * price
    event = case_file(svc, officer, case.id).events[-1]
    assert event.kind == "order.closed" and event.detail["refunded_fen"] == 3 * price
    assert event.detail["returned"] == 3 * price and event.detail["visits"] == 2
    assert assert_ledger_balances(svc) == 1
    with pytest.raises(Refused):  # delivered: nothing left to close
        close_order(svc, officer, order.id, "再次结单")


def test_complete_at_check_out_closes_the_order(svc: Services, regions: Regions):
    region, officer, case, provider, worker = _setup(svc, regions)
    clean = item_named(region, "全屋清洁")
    price = region.catalogue.item(clean).unit_price_fen
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=clean, quantity=2))
    dispatch_order(svc, officer, order.id, provider)
    accept_order(svc, worker, order.id)
    done = _visit(svc, worker, order.id, 60, complete=True)
    assert done.status == OrderStatus.DELIVERED
    assert _money(svc, order.id) == price
    assert entitlement_view(svc, officer, case.id).entitlement.used == price
    assert assert_ledger_balances(svc) == 1


def test_exit_closes_an_order_between_visits(svc: Services, regions: Regions):
    region, officer, case, provider, worker = _setup(svc, regions)
    clean = item_named(region, "全屋清洁")
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=clean, quantity=2))
    dispatch_order(svc, officer, order.id, provider)
    accept_order(svc, worker, order.id)
    _visit(svc, worker, order.id, 60)
    exit_case(svc, officer, case.id, "迁出本地区")
    file = case_file(svc, officer, case.id)
    assert file.orders[0].status == OrderStatus.DELIVERED
    assert "order.closed" in [e.kind for e in file.events]
    assert assert_ledger_balances(svc) == 1


def test_one_definition_of_person_times():
    """Item.visits: one visit per unit; hour items in visits of minutes_per_visit."""
    base = {
        "code": "x",
        "name": "照护",
        "category": "c",
        "unit_price_fen": 2010,
        "valid_from": "2023-05-01",
        "illustrative": True,
    }
    import msgspec

    per_visit = msgspec.convert({**base, "unit": "visit"}, Item)
    hourly = msgspec.convert({**base, "unit": "hour"}, Item)
    long_visits = msgspec.convert({**base, "unit": "hour", "minutes_per_visit": 168}, Item)
    assert per_visit.visits(5) == 5
    assert hourly.visits(3) == 3  # one visit an hour unless said otherwise
    assert long_visits.visits(60) == 22  # 60 hours in visits of 2.8 hours
    with pytest.raises(msgspec.ValidationError, match="minutes_per_visit"):
        msgspec.convert({**base, "unit": "visit", "minutes_per_visit": 60}, Item)
