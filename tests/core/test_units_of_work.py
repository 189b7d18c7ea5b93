"""The unit of work: a deadlock or serialization failure is run again (bounded), then 503;
nothing after commit can fail the request; on SQLite only writers take the write lock."""

from __future__ import annotations

import logging
import shutil
import types
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from jiuzhu.core import hookimpl
from jiuzhu.core.plugins import Regions, load_regions, make_plugin_manager
from jiuzhu.core.services import Busy, Services, after_commit
from jiuzhu.core.services.cases import get_case, open_case
from jiuzhu.core.services.orders import NewOrder, place_order
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.storage.engine import make_engine
from jiuzhu.core.storage.tables import case_events, orders
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.core.web.app import create_app

from ..conftest import Clock, actor_for
from ..loop.helpers import eligible_case, item_named, new_person


class FakeDeadlock(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    return OperationalError("UPDATE …", {}, FakeDeadlock("deadlock detected"))


def test_a_deadlock_is_run_again_and_its_first_attempt_leaves_nothing(svc: Services) -> None:
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    case = open_case(svc, actor, new_person(svc, actor, region))
    attempts = 0

    def work(conn: Any) -> int:
        nonlocal attempts
        attempts += 1
        conn.execute(
            case_events.insert().values(
                case_id=case.id, at=svc.now(), actor="t", kind="test.try", reason="", detail={}
            )
        )
        if attempts < 3:
            raise deadlock()  # as the database would, after the insert
        return attempts

    assert svc.run(work) == 3
    with svc.engine.connect() as conn:
        tries = conn.execute(
            select(func.count()).where(case_events.c.kind == "test.try")
        ).scalar_one()
    assert tries == 1  # the two failed attempts rolled back whole


def test_deadlocks_beyond_the_bound_are_busy(svc: Services, caplog: pytest.LogCaptureFixture):
    calls = 0

    def work(conn: Any) -> None:
        nonlocal calls
        calls += 1
        raise deadlock()

    with caplog.at_level(logging.WARNING, logger="jiuzhu.services"), pytest.raises(Busy):
        svc.run(work)
    assert calls == svc.attempts == 5
    assert sum("retried" in r.getMessage() for r in caplog.records) == 4


def test_other_errors_are_not_retried(svc: Services) -> None:
    calls = 0

    def work(conn: Any) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        svc.run(work)
    assert calls == 1


def manager_with(**hooks: object) -> Any:
    mod = types.ModuleType("observers")
    for name, fn in hooks.items():
        setattr(mod, name, fn)
    return make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("observers", mod)]
    )


def test_a_failing_observer_is_logged_and_never_fails_the_committed_request(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    @hookimpl
    def jiuzhu_case_event(region: Any, event: Any) -> None:
        raise RuntimeError("the notification service is down")

    class Second:
        @hookimpl
        def jiuzhu_case_event(self, region: Any, event: Any) -> None:
            seen.append(event.kind)

    pm = manager_with(jiuzhu_case_event=jiuzhu_case_event)
    pm.register(Second(), name="second")
    regions = load_regions(pm)
    svc = Services(engine=engine, regions=regions)
    region = regions.get("changji")
    actor = actor_for(regions, "changji")
    case = eligible_case(svc, actor, region)
    add_user(svc, "observer-admin", "a-long-password", "admin", "changji")
    token = create_token(svc, "observer-admin")
    body = {"case_id": case.id, "item_code": item_named(region, "上门照护")}
    with (
        caplog.at_level(logging.ERROR, logger="jiuzhu.services"),
        TestClient(create_app(svc, secret_key=b"o" * 32)) as client,
    ):
        r = client.post("/api/orders", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text  # the spend is committed and said so
    assert "order.placed" in seen  # the other observer still heard of it
    failures = [rec for rec in caplog.records if "observer" in rec.getMessage()]
    assert failures and "order.placed" in failures[-1].getMessage()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 1


def test_after_commit_work_is_isolated(svc: Services, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def boom() -> None:
        raise RuntimeError("light refresh failed")

    def work(conn: Any) -> str:
        after_commit(conn, boom)
        after_commit(conn, lambda: ran.append("second"))
        return "done"

    with caplog.at_level(logging.ERROR, logger="jiuzhu.services"):
        assert svc.run(work) == "done"
    assert ran == ["second"]
    assert any("after-commit" in r.getMessage() for r in caplog.records)


def test_after_commit_work_is_dropped_when_the_unit_rolls_back(svc: Services) -> None:
    ran: list[str] = []

    def work(conn: Any) -> None:
        after_commit(conn, lambda: ran.append("never"))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        svc.run(work)
    assert ran == []


def test_sqlite_reads_do_not_take_the_write_lock(
    sqlite_template: Path, tmp_path: Path, regions: Regions
) -> None:
    """A write unit begins IMMEDIATE, a read plain; a read is answered while a writer holds
    the database's write lock (before, it waited for the lock like a writer). SQLite's own
    behaviour, so on SQLite whichever database the suite runs on."""
    path = tmp_path / "reads.db"
    shutil.copy(sqlite_template, path)
    svc = Services(engine=make_engine(f"sqlite:///{path}"), regions=regions, clock=Clock())
    statements: list[str] = []

    @event.listens_for(svc.engine, "before_cursor_execute")
    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    case = eligible_case(svc, actor, region)
    statements.clear()
    get_case(svc, actor, case.id)
    assert statements == ["BEGIN"]
    statements.clear()
    place_order(svc, actor, NewOrder(case_id=case.id, item_code=item_named(region, "上门照护")))
    assert statements == ["BEGIN IMMEDIATE"]
    with svc.transaction() as conn:  # a writer holds the write lock ...
        conn.execute(
            text("UPDATE cases SET exit_reason = 'writing' WHERE id = :id"), {"id": case.id}
        )
        # ... and a read on another connection is answered at once, from the last commit
        assert get_case(svc, actor, case.id).exit_reason == ""
    assert get_case(svc, actor, case.id).exit_reason == "writing"
    svc.engine.dispose()
