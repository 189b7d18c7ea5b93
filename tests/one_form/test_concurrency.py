"""Parallel departments never lose an update; parallel acceptances get distinct receipts.

Runs on SQLite (BEGIN IMMEDIATE) and, under JIUZHU_TEST_DATABASE_URL, on PostgreSQL
(SELECT … FOR UPDATE on the application row)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from jiuzhu.core.base import Refused
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import case_file
from jiuzhu.plugins.one_form.service import VERIFY, decide_task, get_application, submit_application
from jiuzhu.plugins.one_form.tables import applications
from tests.conftest import _truncate, actor_for
from tests.loop.helpers import new_person

from .helpers import approver, clerk, filled_form

POLICIES = [
    "dibao",
    "linshi",
    "medical_aid",
    "assistive_devices",
    "education_aid",
    "charity_visit",
    "employment_assistance",
    "family_doctor",
]


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def parallel_decisions(svc: Services, regions) -> None:
    region = regions.get("shizuishan")
    desk = clerk(regions, "shizuishan")
    pid = new_person(svc, actor_for(regions, "shizuishan"), region, disability_grade=1)
    app = submit_application(svc, desk, "shizuishan", pid, POLICIES, filled_form(region, POLICIES))
    assert len(app.tasks) >= 7  # grid + 6 departments

    def call(t):
        decisions = (
            {VERIFY: (True, "属实")}
            if t.kind == VERIFY
            else {c: (True, f"{t.department}同意") for c in t.decisions}
        )
        return lambda: decide_task(
            svc, approver(regions, "shizuishan", t.department), app.receipt, t.id, decisions
        )

    # the grid worker verifies first (departments decide only after it), then every
    # department at once
    grid = next(t for t in app.tasks if t.kind == VERIFY)
    call(grid)()
    results = in_parallel([call(t) for t in app.tasks if t.kind != VERIFY])
    assert not [r for r in results if isinstance(r, Exception)], results
    final = get_application(svc, desk, app.receipt)
    assert final.status == "decided"
    assert final.version == len(app.tasks)
    assert set(final.outcome) == set(POLICIES) and set(final.outcome.values()) == {"approved"}
    assert all(t.status == "decided" for t in final.tasks)
    kinds = [e.kind for e in case_file(svc, desk, app.case_id).events]
    assert kinds.count("application.decided") == 1
    assert kinds.count("application.task_decided") == len(app.tasks) - 1
    # the same decision twice at once: exactly one wins, the other is told it is decided
    app2 = submit_application(
        svc, desk, "shizuishan", pid, ["linshi"], filled_form(region, ["linshi"])
    )
    mz = next(t for t in app2.tasks if t.department == "mz")
    grid2 = next(t for t in app2.tasks if t.kind == VERIFY)
    decide_task(
        svc,
        approver(regions, "shizuishan", grid2.department),
        app2.receipt,
        grid2.id,
        {VERIFY: (True, "属实")},
    )
    mz_approver = approver(regions, "shizuishan", "mz")
    twice = in_parallel(
        [
            functools.partial(
                decide_task, svc, mz_approver, app2.receipt, mz.id, {"linshi": (ok, "决定")}
            )
            for ok in (True, False)
        ]
    )
    assert sorted(type(r).__name__ for r in twice) == ["DecisionResult", "Refused"]


def parallel_acceptances(svc: Services, regions) -> None:
    region = regions.get("shizuishan")
    desk = clerk(regions, "shizuishan")
    admin = actor_for(regions, "shizuishan")
    people = [new_person(svc, admin, region) for _ in range(6)]
    form = filled_form(region, ["dibao"])
    results = in_parallel(
        [
            functools.partial(submit_application, svc, desk, "shizuishan", p, ["dibao"], form)
            for p in people
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    receipts = sorted(r.receipt for r in results)
    numbers = [int(r.rsplit("-", 1)[1]) for r in receipts]
    assert numbers == list(range(numbers[0], numbers[0] + 6))
    # one person, one policy, six windows at once: one accepted, five refused, no stray rows
    one = new_person(svc, admin, region)
    results = in_parallel(
        [
            lambda: submit_application(svc, desk, "shizuishan", one, ["dibao"], form)
            for _ in range(6)
        ]
    )
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(refused) == 5 and all(r.rule == "application.pending" for r in refused)
    with svc.engine.connect() as conn:
        mine = conn.execute(select(applications.c.id).where(applications.c.person_id == one)).all()
    assert len(mine) == 1


def test_parallel_decisions(svc, regions):
    parallel_decisions(svc, regions)


def test_parallel_acceptances(svc, regions):
    parallel_acceptances(svc, regions)


@pytest.mark.pg
def test_parallel_on_postgresql(pg_engine, regions, clock):
    _truncate(pg_engine)
    svc = Services(engine=pg_engine, regions=regions, clock=clock)
    parallel_decisions(svc, regions)
    parallel_acceptances(svc, regions)
