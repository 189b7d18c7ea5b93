"""Every pair of the money-moving steps — place, cancel, finish (a visit's check-out), close
early, a group session check-in, review visit, re-assessment, exit — raced on one case,
several threads each: no error but a refusal, no deadlock (not even one the unit of work's
retry would have hidden), and the ledger balances afterwards.

On PostgreSQL this is the row-lock order (case → entitlement → order) at work; on SQLite,
the write units' BEGIN IMMEDIATE. Before the one lock order a cancel and an order on one
case deadlocked in 7–13 of 50 tries and an exit racing its orders' cancellation every time.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations_with_replacement, count

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Actor, Role
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import CaseStatus, OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import exit_case, get_case, record_assessment, record_visit
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    accept_order,
    cancel_order,
    close_order,
    dispatch_order,
    finish_order,
    place_order,
    start_order,
)
from jiuzhu.core.services.sessions import NewSession, check_in, create_session
from jiuzhu.core.storage.tables import orders

from ..conftest import actor_for
from .helpers import (
    assert_ledger_balances,
    eligible_case,
    item_named,
    provider_with_worker,
    zero_answers,
)

OPS = ("place", "cancel", "finish", "close", "checkin", "review", "reassess", "exit")
PAIRS = list(combinations_with_replacement(OPS, 2))
PER_OP = 3  # threads per step of the pair
ROUNDS = 3  # fresh case each round (an exit ends it)
_serial = count(1)
# what each step may be refused with when the other got there first
ALLOWED = {
    "place": {"case.not_active"},
    "cancel": {"order.transition"},
    "finish": {"order.transition"},
    "close": {"order.transition"},
    "checkin": {"session.attending", "case.not_active"},
    "review": set(),
    "reassess": {"case.exited"},
    "exit": {"case.exited", "case.busy"},
}


@dataclass
class Scene:
    svc: Services
    actor: Actor
    worker: Actor
    case_id: int
    item: str
    placed: list[int] = field(default_factory=list)  # orders a cancel may take back
    in_service: list[int] = field(default_factory=list)  # orders a finish may complete
    visited: list[int] = field(default_factory=list)  # orders between visits: close early
    session_id: int = 0


def scene(svc: Services, ops: tuple[str, ...]) -> Scene:
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    provider_id, worker_id = provider_with_worker(
        svc, actor, region, name=f"并发机构{next(_serial)}"
    )
    worker = actor_for(
        svc.regions, "changji", Role.WORKER, worker_id=worker_id, provider_id=provider_id
    )
    case = eligible_case(svc, actor, region)  # 2,000 yuan a year, one tier
    item = item_named(region, "流动服务包")  # 150 yuan, no frequency limit
    s = Scene(svc, actor, worker, case.id, item)
    for _ in range(PER_OP):
        s.placed.append(place_order(svc, actor, NewOrder(case_id=case.id, item_code=item)).id)
    if "close" in ops:
        standard = list(region.catalogue.item(item).standard)
        for _ in range(PER_OP):
            order = place_order(svc, actor, NewOrder(case_id=case.id, item_code=item, quantity=2))
            dispatch_order(svc, actor, order.id, provider_id)
            accept_order(svc, worker, order.id)
            start_order(svc, worker, order.id)
            signed = Finish(steps_done=standard, signer="本人", minutes=30)
            assert finish_order(svc, worker, order.id, signed).status == OrderStatus.ACCEPTED
            s.visited.append(order.id)
    if "checkin" in ops:
        s.session_id = create_session(
            svc,
            actor,
            NewSession(
                item_code="jingshen_wenhua",
                title="并发签到",
                starts_at=svc.now(),
                minutes=60,
                area_code=region.info.code,
                provider_id=provider_id,
            ),
        ).id
    if "finish" in ops:
        for _ in range(PER_OP):
            oid = place_order(svc, actor, NewOrder(case_id=case.id, item_code=item)).id
            dispatch_order(svc, actor, oid, provider_id)
            accept_order(svc, worker, oid)
            start_order(svc, worker, oid)
            s.in_service.append(oid)
    return s


def step(s: Scene, op: str, j: int) -> Callable[[], object]:
    svc, actor = s.svc, s.actor
    region = svc.region("changji")
    return {
        "place": lambda: place_order(svc, actor, NewOrder(case_id=s.case_id, item_code=s.item)),
        "cancel": lambda: cancel_order(svc, actor, s.placed[j % PER_OP], "并发取消"),
        "finish": lambda: finish_order(
            svc,
            s.worker,
            s.in_service[j % PER_OP],
            Finish(
                steps_done=list(region.catalogue.item(s.item).standard),
                confirmed_by="本人",
                minutes=30,
            ),
        ),
        "close": lambda: close_order(svc, actor, s.visited[j % PER_OP], "并发提前结单"),
        "checkin": lambda: check_in(svc, actor, s.session_id, s.case_id),
        "review": lambda: record_visit(svc, actor, s.case_id, "review", satisfied=True),
        "reassess": lambda: record_assessment(svc, actor, s.case_id, zero_answers(region)),
        "exit": lambda: exit_case(svc, actor, s.case_id, "并发退出"),
    }[op]


def race(s: Scene, a: str, b: str) -> Counter[str]:
    """PER_OP threads for each step, released at once; outcomes by step and rule."""
    work = [(op, j) for op in (a, b) for j in range(PER_OP)]
    start = threading.Barrier(len(work))

    def one(item: tuple[str, int]) -> str:
        op, j = item
        call = step(s, op, j)
        start.wait()
        try:
            call()
        except Refused as refused:
            assert refused.rule in ALLOWED[op], (op, refused)
            return f"{op}:{refused.rule}"
        return f"{op}:ok"

    with ThreadPoolExecutor(len(work)) as pool:
        return Counter(pool.map(one, work))


def consistent(s: Scene, outcome: Counter[str]) -> None:
    """The case and its orders agree with what the threads were told."""
    case = get_case(s.svc, s.actor, s.case_id)
    with s.svc.engine.connect() as conn:
        statuses = dict(
            conn.execute(
                select(orders.c.id, orders.c.status).where(orders.c.case_id == s.case_id)
            ).all()
        )
    if outcome["exit:ok"]:
        assert outcome["exit:ok"] == 1
        assert case.status == CaseStatus.EXITED
        assert not {OrderStatus.PLACED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED} & set(
            statuses.values()
        ), statuses
    # each order was cancelled at most once, by whoever was told "ok" (or by the exit)
    cancelled = sum(1 for oid in s.placed if statuses[oid] == OrderStatus.CANCELLED)
    assert outcome["cancel:ok"] <= cancelled
    assert outcome["finish:ok"] == sum(
        1 for oid in s.in_service if statuses[oid] == OrderStatus.DELIVERED
    )
    # each visited order was closed once, by a close told "ok" or by the exit
    closed = sum(1 for oid in s.visited if statuses[oid] == OrderStatus.DELIVERED)
    assert outcome["close:ok"] <= closed
    if s.visited and outcome["exit:ok"]:
        assert closed == len(s.visited)  # the exit closed the rest early
    assert outcome["checkin:ok"] <= 1  # one attendance per case and session


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_race_pair_on_one_case(
    svc: Services, regions: Regions, a: str, b: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On the suite's database (SQLite, or PostgreSQL under JIUZHU_TEST_DATABASE_URL)."""
    caplog.set_level(logging.WARNING, logger="jiuzhu.services")
    for _ in range(ROUNDS):
        s = scene(svc, (a, b))
        outcome = race(s, a, b)
        assert sum(outcome.values()) == 2 * PER_OP
        consistent(s, outcome)
        assert_ledger_balances(svc)
    retried = [r.getMessage() for r in caplog.records if r.name == "jiuzhu.services"]
    assert retried == [], "a deadlock or serialization failure happened: " + "; ".join(retried)
