"""Property: over any sequence of orders, cancellations, deliveries (whole, or visit by
visit, or closed early), stage reviews and year changes, the unit ledger, the usage per
period and the entitlements agree, the money ledger holds each order's amount less its
refunds, and no tier is spent beyond what its scheme allows. Each example runs on a fresh
database."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from jiuzhu.core.access import Role
from jiuzhu.core.base import NotFound, Refused
from jiuzhu.core.domain import OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import entitlement_view, grant_entitlement, record_visit
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    accept_order,
    cancel_order,
    close_order,
    dispatch_order,
    finish_order,
    get_order,
    place_order,
    start_order,
)
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.plugins.tiered_budget.scheme import BudgetScheme

from ..conftest import Clock, _truncate, actor_for
from ..dbsafety import pg_url
from .helpers import (
    REGION_IDS,
    assert_ledger_balances,
    counts,
    deliver,
    eligible_case,
    provider_with_worker,
)

Fresh = Callable[[], tuple[Services, Clock]]


@pytest.fixture
def fresh(request: pytest.FixtureRequest, regions: Regions, tmp_path: Path) -> Iterator[Fresh]:
    """A new, empty, migrated database (and clock) each time it is called."""
    engines: list[Engine] = []

    def make() -> tuple[Services, Clock]:
        clock = Clock()
        if pg_url() is not None:
            engine = request.getfixturevalue("pg_engine")
            _truncate(engine)
        else:
            template: Path = request.getfixturevalue("sqlite_template")
            path = tmp_path / f"example{len(engines)}.db"
            shutil.copy(template, path)
            engine = make_engine(f"sqlite:///{path}")
            engines.append(engine)
        return Services(engine=engine, regions=regions, clock=clock), clock

    yield make
    for engine in engines:
        engine.dispose()


ACCEPTABLE = {"budget", "item.who", "item.frequency", "item.annual_cap", "item.group"}

order_op = st.tuples(
    st.just("order"), st.integers(0, 1), st.integers(0, 10_000), st.integers(1, 8), st.booleans()
)
other_op = st.one_of(
    st.tuples(st.just("cancel"), st.integers(0, 10_000)),
    st.tuples(st.just("deliver"), st.integers(0, 10_000)),
    st.tuples(st.just("visit"), st.integers(0, 10_000), st.integers(5, 200)),
    st.tuples(st.just("close"), st.integers(0, 10_000)),
    st.tuples(st.just("review"), st.integers(0, 1)),
    st.tuples(st.just("days"), st.integers(1, 40)),
    st.just(("new_year",)),
)
# mostly orders, so that budgets and limits are reached
op = st.integers(0, 9).flatmap(lambda k: order_op if k < 7 else other_op)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(region_id=st.sampled_from(REGION_IDS), ops=st.lists(op, min_size=8, max_size=40))
def test_ledger_always_balances(
    fresh: Fresh, regions: Regions, region_id: str, ops: list[tuple[Any, ...]]
) -> None:
    svc, clock = fresh()
    region = regions.get(region_id)
    actor = actor_for(regions, region_id)
    cases = [
        eligible_case(svc, actor, region).id,
        eligible_case(svc, actor, region, born=date(2013, 5, 1), student=True).id,
    ]
    provider_id, worker_id = provider_with_worker(svc, actor, region)
    worker = actor_for(
        regions,
        region_id,
        Role.WORKER,
        worker_id=worker_id,
        provider_id=provider_id,
        username="worker",
    )
    items = region.catalogue.items
    placed: list[int] = []
    years = 0
    for step in ops:
        kind = step[0]
        if kind == "order":
            _, who, which, quantity, urgent = step
            item = items[which % len(items)]
            case_id = cases[who]
            view = entitlement_view(svc, actor, case_id)
            amount = item.unit_price_fen * quantity
            fitting = [
                t.idx
                for t in view.buckets
                if t.live
                and t.available >= amount
                and (not t.categories or item.category in t.categories)
            ]
            before = counts(svc.engine)
            try:
                order = place_order(
                    svc,
                    actor,
                    NewOrder(
                        case_id=case_id, item_code=item.code, quantity=quantity, urgent=urgent
                    ),
                )
            except Refused as refused:
                assert refused.rule in ACCEPTABLE, refused
                assert counts(svc.engine) == before
                if refused.rule == "budget":
                    assert not fitting, f"refused though tiers {fitting} had room"
            else:
                assert order.bucket_idx == min(fitting)
                placed.append(order.id)
        elif kind == "cancel" and placed:
            order_id = placed[step[1] % len(placed)]
            status = get_order(svc, actor, order_id).status
            try:
                cancel_order(svc, actor, order_id, "随机取消")
            except Refused as refused:
                assert refused.rule in ("order.transition", "order.visited")
                if refused.rule == "order.transition":
                    assert status not in (
                        OrderStatus.PLACED,
                        OrderStatus.DISPATCHED,
                        OrderStatus.ACCEPTED,
                    )
        elif kind == "visit" and placed:
            order_id = placed[step[1] % len(placed)]
            status = get_order(svc, actor, order_id).status
            if status == OrderStatus.PLACED:
                dispatch_order(svc, actor, order_id, provider_id)
                accept_order(svc, worker, order_id)
                status = OrderStatus.ACCEPTED
            if status == OrderStatus.ACCEPTED:
                start_order(svc, worker, order_id)
                finish_order(svc, worker, order_id, Finish(signer="本人", minutes=step[2]))
        elif kind == "close" and placed:
            order_id = placed[step[1] % len(placed)]
            try:
                closed = close_order(svc, actor, order_id, "服务对象住院，提前结单")
            except Refused as refused:
                assert refused.rule == "order.transition"
            else:
                assert closed.status == OrderStatus.DELIVERED
        elif kind == "deliver" and placed:
            order_id = placed[step[1] % len(placed)]
            if get_order(svc, actor, order_id).status == OrderStatus.PLACED:
                deliver(svc, actor, worker, order_id, provider_id)
        elif kind == "review":
            try:
                record_visit(svc, actor, cases[step[1]], "review", satisfied=True)
            except Refused as refused:  # sooner than the scheme's interval between reviews
                assert refused.rule == "stage.interval", refused
                scheme = region.section("budget", BudgetScheme)
                assert scheme is not None and scheme.versions[-1].stage_review is not None
        elif kind == "days":
            clock.advance(days=step[1])
        elif kind == "new_year" and years < 2:
            years += 1
            clock.now = datetime(clock.now.year + 1, 1, 2, 1, 0, tzinfo=UTC)
        # a new year brings the new year's entitlement
        for case_id in cases:
            try:
                entitlement_view(svc, actor, case_id)
            except NotFound:  # not yet granted this year
                grant_entitlement(svc, actor, case_id, reason="年度复核")
        assert_ledger_balances(svc)
    assert assert_ledger_balances(svc) == 2 * (clock.now.year - 2024)
