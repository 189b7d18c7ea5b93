"""Property: over any history of orders, visits, early closes, cancellations (refunds),
group-session attendance, household moves and the months and years passing, the statistics
read from the rollups equal a recount from the history itself (every grouping, the whole
region and a county, all time and each calendar year), and rebuilding the rollups from the
history (the migration's backfill) gives the rows the units of work kept — the distinct
person and household counters included, through household moves."""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select

from jiuzhu.core.access import Role
from jiuzhu.core.base import NotFound, Refused
from jiuzhu.core.domain import RELATIONS, OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services, rollups, stats
from jiuzhu.core.services.households import (
    NewHousehold,
    create_household,
    remove_member,
    set_member,
)
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
from jiuzhu.core.services.sessions import NewSession, check_in, create_session
from jiuzhu.core.storage.tables import (
    stats_money,
    stats_reach,
    stats_reach_count,
    stats_reach_household,
    stats_sums,
)

from ..conftest import Clock, actor_for
from .helpers import area_in_county, eligible_case, provider_with_worker
from .test_ledger_property import Fresh, fresh  # noqa: F401  (the fixture)

GROUPS = ("region", "area", "item", "provider", "category", "month")

op = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 2), st.integers(0, 99), st.integers(1, 3)),
    st.tuples(st.just("order"), st.integers(0, 2), st.integers(0, 99), st.integers(1, 3)),
    st.tuples(st.just("visit"), st.integers(0, 99), st.integers(0, 1), st.integers(5, 200)),
    st.tuples(st.just("visit"), st.integers(0, 99), st.integers(0, 1), st.integers(5, 200)),
    st.tuples(st.just("close"), st.integers(0, 99)),
    st.tuples(st.just("cancel"), st.integers(0, 99)),
    st.tuples(st.just("session"), st.integers(0, 2), st.integers(0, 99)),
    st.tuples(st.just("household"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("household"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("household"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("days"), st.integers(1, 75)),
)


def _figures(svc: Services, actor: Any, **kw: Any) -> tuple[Any, Any]:
    fast = stats.statistics(svc, actor, **kw)
    with mock.patch.object(stats, "_rollup_period", lambda start, end: None):
        scanned = stats.statistics(svc, actor, **kw)
    return fast, scanned


def _counters_recounted(conn: Connection) -> None:
    """The counters say what the reach rows they were kept with say."""
    r = stats_reach
    key = [r.c.region_id, r.c.scope, r.c.period, r.c.dim, r.c.key]
    recount = {
        tuple(row)
        for row in conn.execute(
            select(*key, func.count(), func.count(func.distinct(r.c.household_key))).group_by(*key)
        )
    }
    assert {tuple(row) for row in conn.execute(select(stats_reach_count))} == recount
    members = {
        tuple(row)
        for row in conn.execute(
            select(*key, r.c.household_key, func.count())
            .where(r.c.household_key > 0)
            .group_by(*key, r.c.household_key)
        )
    }
    assert {tuple(row) for row in conn.execute(select(stats_reach_household))} == members


def _tables(conn: Connection) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    for t in (stats_sums, stats_money, stats_reach, stats_reach_count, stats_reach_household):
        rows = {tuple(r) for r in conn.execute(select(t)).all()}
        if t is stats_money:  # a month and source whose rows net to nothing
            rows = {r for r in rows if r[-1] != 0}
        out[t.name] = rows
    return out


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    region_id=st.sampled_from(("changji", "ordos", "binzhou")),
    ops=st.lists(op, min_size=6, max_size=30),
)
@example(  # two visited people become one household (户 counts the household now)
    region_id="changji",
    ops=[
        ("order", 0, 0, 1),
        ("order", 2, 0, 1),
        ("visit", 0, 0, 30),
        ("visit", 1, 1, 40),
        ("household", 2, True),
    ],
)
@example(  # a household across two areas: one member leaves, then the last; one comes back
    region_id="ordos",
    ops=[
        ("order", 0, 1, 2),
        ("order", 1, 1, 2),
        ("order", 2, 2, 1),
        ("visit", 0, 0, 30),
        ("visit", 1, 1, 30),
        ("visit", 2, 0, 30),
        ("household", 1, True),
        ("household", 2, True),
        ("household", 0, False),
        ("household", 1, False),
        ("household", 2, False),
        ("household", 1, True),
        ("visit", 0, 0, 30),
    ],
)
@example(  # visits, a session and an early close across a year's end; a refund after it
    region_id="changji",
    ops=[
        ("order", 1, 0, 3),
        ("visit", 0, 1, 50),
        ("days", 45),
        ("session", 1, 0),
        ("visit", 0, 1, 20),
        ("close", 0),
        ("order", 0, 1, 2),
        ("cancel", 1),
    ],
)
def test_rollups_equal_a_recount(
    fresh: Fresh,  # noqa: F811
    regions: Regions,
    region_id: str,
    ops: list[tuple[Any, ...]],
) -> None:
    svc, clock = fresh()
    clock.now = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)  # a year's end comes soon
    region = regions.get(region_id)
    actor = actor_for(regions, region_id)
    counties = [a.code for a in region.info.areas if a.parent == region.info.code]
    areas = [area_in_county(region, counties[0]), area_in_county(region, counties[-1])]
    cases = [
        eligible_case(svc, actor, region, area=areas[0]),
        eligible_case(svc, actor, region, area=areas[1]),
        eligible_case(svc, actor, region, area=areas[0]),
    ]
    providers = [
        provider_with_worker(svc, actor, region, "甲社工中心"),
        provider_with_worker(svc, actor, region, "乙社工中心"),
    ]
    workers = [
        actor_for(
            regions, region_id, Role.WORKER, provider_id=p, worker_id=w, username=f"worker{w}"
        )
        for p, w in providers
    ]
    items = [i for i in region.catalogue.items if i.mode != "group"]
    group_items = [i for i in region.catalogue.items if i.mode == "group"]
    home = create_household(
        svc,
        actor,
        NewHousehold(area_code=areas[0], address="测试路1号", head_person_id=cases[0].person_id),
    )
    placed: list[int] = []
    for step in ops:
        kind = step[0]
        if kind == "order":
            _, who, which, quantity = step
            item = items[which % len(items)]
            try:
                order = place_order(
                    svc,
                    actor,
                    NewOrder(case_id=cases[who].id, item_code=item.code, quantity=quantity),
                )
            except Refused:
                continue
            placed.append(order.id)
        elif kind == "visit" and placed:
            order_id = placed[step[1] % len(placed)]
            p = step[2]
            status = get_order(svc, actor, order_id).status
            if status == OrderStatus.PLACED:
                dispatch_order(svc, actor, order_id, providers[p][0])
                status = OrderStatus.DISPATCHED
            order = get_order(svc, actor, order_id)
            worker = workers[0] if order.provider_id == providers[0][0] else workers[1]
            if status == OrderStatus.DISPATCHED:
                accept_order(svc, worker, order_id)
                status = OrderStatus.ACCEPTED
            if status == OrderStatus.ACCEPTED:
                start_order(svc, worker, order_id)
                finish_order(svc, worker, order_id, Finish(signer="本人", minutes=step[3]))
        elif kind == "close" and placed:
            with contextlib.suppress(Refused):
                close_order(svc, actor, placed[step[1] % len(placed)], "提前结单")
        elif kind == "cancel" and placed:
            with contextlib.suppress(Refused):
                cancel_order(svc, actor, placed[step[1] % len(placed)], "取消")
        elif kind == "session" and group_items:
            item = group_items[step[2] % len(group_items)]
            session = create_session(
                svc,
                actor,
                NewSession(
                    item_code=item.code,
                    provider_id=providers[0][0],
                    title="小组活动",
                    area_code=areas[0],
                    starts_at=clock.now - timedelta(hours=2),
                    minutes=90,
                ),
            )
            with contextlib.suppress(Refused):
                check_in(svc, actor, session.id, cases[step[1]].id)
        elif kind == "household":
            person = cases[step[1]].person_id
            if step[2]:
                set_member(svc, actor, home.id, person, RELATIONS[-1])
            else:
                with contextlib.suppress(NotFound):  # not a member
                    remove_member(svc, actor, home.id, person)
        elif kind == "days":
            clock.advance(days=step[1])
        if kind == "household":
            with svc.engine.connect() as conn:
                _counters_recounted(conn)

    years = sorted({2025, clock.now.year})
    windows = [(None, None)] + [(date(y, 1, 1), date(y, 12, 31)) for y in years]
    for area in (None, counties[0], areas[0]):  # the region, a county, one area
        for start, end in windows:
            for by in GROUPS:
                fast, scanned = _figures(svc, actor, group_by=by, area=area, start=start, end=end)
                assert fast == scanned, (by, area, start, end)
    county_actor = actor_for(regions, region_id, area_code=counties[-1])
    fast, scanned = _figures(svc, county_actor, group_by="item")
    assert fast == scanned
    # the migration's backfill rebuilds what the units of work kept
    with svc.engine.begin() as conn:
        _counters_recounted(conn)
        kept = _tables(conn)
        rollups.backfill(conn, regions)
        assert _tables(conn) == kept


def test_concurrent_checkouts_and_moves_keep_the_counters(
    svc: Services, clock: Clock, regions: Regions, caplog: pytest.LogCaptureFixture
) -> None:
    """Check-outs of people of one household in two areas, raced with moves in and out of
    it: no unit waits for another's rollup rows in the opposite order (no deadlock, not
    even one the unit of work's retry would hide), and the counters equal a recount."""
    caplog.set_level(logging.WARNING, logger="jiuzhu.services")
    region = regions.get("changji")
    actor = actor_for(regions, "changji")
    counties = [a.code for a in region.info.areas if a.parent == region.info.code]
    areas = [area_in_county(region, counties[0]), area_in_county(region, counties[-1])]
    people = [eligible_case(svc, actor, region, area=areas[k % 2]) for k in range(6)]
    home = create_household(
        svc,
        actor,
        NewHousehold(area_code=areas[0], address="测试路2号", head_person_id=people[0].person_id),
    )
    provider, worker_id = provider_with_worker(svc, actor, region)
    worker = actor_for(regions, "changji", Role.WORKER, provider_id=provider, worker_id=worker_id)
    item = next(i for i in region.catalogue.items if i.mode != "group")
    for month in (6, 7, 8):  # rounds, each in a month of its own (new reach rows)
        clock.now = datetime(2025, month, 2, 2, 0, tzinfo=UTC)
        started = []
        for c in people:
            for _ in range(2):
                order = place_order(svc, actor, NewOrder(case_id=c.id, item_code=item.code))
                dispatch_order(svc, actor, order.id, provider)
                accept_order(svc, worker, order.id)
                start_order(svc, worker, order.id)
                started.append(order.id)
        joins = [(c.person_id, (k + month) % 2 == 0) for k, c in enumerate(people[1:] * 2)]
        work: list[Any] = [("finish", o) for o in started] + [("move", j) for j in joins]
        go = threading.Barrier(len(work))

        def one(job: tuple[str, Any], go: threading.Barrier = go) -> None:
            kind, what = job
            go.wait()
            if kind == "finish":
                finish_order(svc, worker, what, Finish(signer="本人", minutes=30))
            elif what[1]:
                set_member(svc, actor, home.id, what[0], RELATIONS[-1])
            else:
                with contextlib.suppress(NotFound):  # not a member
                    remove_member(svc, actor, home.id, what[0])

        with ThreadPoolExecutor(len(work)) as pool:
            list(pool.map(one, work))
        with svc.engine.begin() as conn:
            _counters_recounted(conn)
            kept = _tables(conn)
            rollups.backfill(conn, regions)
            assert _tables(conn) == kept, month
    retried = [r.getMessage() for r in caplog.records if r.name == "jiuzhu.services"]
    assert retried == [], "a deadlock or serialization failure happened: " + "; ".join(retried)
    for by in GROUPS:
        fast, scanned = _figures(svc, actor, group_by=by)
        assert fast == scanned, by
