"""One request, one connection (services.pinning): the token check, the audit row, the
reads and the unit of work of an API call share one checkout on PostgreSQL; reads run in
autocommit; a token this process knows is checked in the handler's thread, and still
refused at once when revoked elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from jiuzhu.core.services import Services
from jiuzhu.core.services.pinning import pin_scope
from jiuzhu.core.services.users import revoke_tokens
from jiuzhu.core.storage.tables import audit_log, orders

from ..dbsafety import PG_SKIP
from ..loop.helpers import LOOP_ITEM, item_named
from .conftest import Api
from .test_api_loop import granted_case

REGION = "changji"


def _item(api: Api) -> str:
    return item_named(api.svc.region(REGION), LOOP_ITEM[REGION])


class Checkouts:
    """Connections checked out of the engine's pool, and the statements run."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


@pytest.fixture
def checkouts(api: Api) -> Iterator[Checkouts]:
    seen = Checkouts()
    engine = api.svc.engine

    def on_checkout(*_: Any) -> None:
        seen.count += 1

    def on_execute(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "before_cursor_execute", on_execute)
    yield seen
    event.remove(engine, "checkout", on_checkout)
    event.remove(engine, "before_cursor_execute", on_execute)


def _audited(api: Api, path: str) -> int:
    with api.svc.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.path == path)
            ).scalar_one()
        )


def test_a_known_token_revoked_elsewhere_is_refused_at_once(api: Api):
    admin = api.user("admin-pin", "admin", REGION)
    _, cid = granted_case(api, admin, REGION, api.svc.region(REGION).info.areas[0].code)
    path = f"/api/cases/{cid}"
    assert api.get(admin, path).status_code == 200  # now known to this process
    before = _audited(api, path)
    revoke_tokens(api.svc, admin)  # as another process would: only the database changes
    r = api.get(admin, path)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert _audited(api, path) == before  # no row for a refused token


def test_a_call_checks_out_one_connection_on_postgresql(api: Api, checkouts: Checkouts):
    if api.svc.engine.dialect.name != "postgresql":
        pytest.skip(f"{PG_SKIP}: SQLite pins nothing (one process, its own locking)")
    admin = api.user("admin-pin", "admin", REGION)
    _, cid = granted_case(api, admin, REGION, api.svc.region(REGION).info.areas[0].code)
    assert api.get(admin, f"/api/cases/{cid}").status_code == 200

    checkouts.reset()
    assert api.get(admin, f"/api/cases/{cid}").status_code == 200
    assert checkouts.count == 1
    # autocommit reads: no BEGIN/COMMIT/ROLLBACK round trips around them
    assert not {"BEGIN", "COMMIT", "ROLLBACK"} & set(checkouts.statements)
    assert checkouts.statements[0] == "INSERT"  # the token check and its audit row

    checkouts.reset()
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": _item(api)})
    assert r.status_code == 201, r.text
    assert checkouts.count == 1  # token, audit row and the unit of work: one connection
    order_id = r.json()["id"]

    checkouts.reset()
    r = api.post(admin, f"/api/orders/{order_id}/cancel", {"reason": "测试"})
    assert r.status_code == 200, r.text
    assert checkouts.count == 1


def test_a_refused_unit_leaves_the_pinned_connection_clean(api: Api):
    """A unit of work that fails on the request's connection rolls back whole, and the
    next request on a connection from the same pool reads in autocommit again."""
    admin = api.user("admin-pin", "admin", REGION)
    _, cid = granted_case(api, admin, REGION, api.svc.region(REGION).info.areas[0].code)
    with api.svc.engine.connect() as conn:
        placed = int(conn.execute(select(func.count()).select_from(orders)).scalar_one())
    refused = 0
    for _ in range(200):  # until the entitlement runs out
        r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": _item(api)})
        if r.status_code != 201:
            assert r.status_code == 409, r.text
            assert r.json()["rule"], r.text  # refused by the entitlement, not the input
            refused += 1
            break
        placed += 1
    assert refused, "the entitlement never ran out"
    with api.svc.engine.connect() as conn:
        assert int(conn.execute(select(func.count()).select_from(orders)).scalar_one()) == placed
    r = api.get(admin, f"/api/cases/{cid}")
    assert r.status_code == 200
    assert len(r.json()["orders"]) == placed


def _mark(conn: Connection, svc: Services, name: str) -> None:
    """An audit row named ``name``: a write to find afterwards (or not)."""
    conn.execute(
        audit_log.insert().values(
            at=svc.now(), user_id=None, username=name, action="t", path="/", detail={}, client_ip=""
        )
    )


def test_units_on_the_pinned_connection(svc: Services):
    """Inside a pin scope a unit runs on the pinned connection and leaves it in autocommit;
    a unit begun while another holds it gets a connection and a transaction of its own."""
    if svc.engine.dialect.name != "postgresql":
        pytest.skip(f"{PG_SKIP}: SQLite pins nothing")
    with pin_scope():
        with svc.reading() as first:
            pass
        with svc.transaction() as conn:
            assert conn is first
            with svc.transaction() as inner:
                assert inner is not conn  # nested: its own connection, its own commit
                _mark(inner, svc, "nested")
            _mark(conn, svc, "outer")
        with svc.reading() as again:
            assert again is first
            assert again.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        with pytest.raises(RuntimeError), svc.transaction() as conn:
            _mark(conn, svc, "rolled-back")
            raise RuntimeError("refused half-way")
    with svc.engine.connect() as conn:
        names = set(conn.execute(select(audit_log.c.username)).scalars())
    assert {"nested", "outer"} <= names and "rolled-back" not in names
