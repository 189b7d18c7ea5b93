"""Idempotency-Key: a retry gets the first answer and changes nothing; the same key with
another body is 422; concurrent requests with one key never both run; keys expire."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select, update

from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Busy, idempotency
from jiuzhu.core.storage.tables import audit_log, case_events, idempotency_keys, ledger, orders

from ..conftest import Clock
from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import granted_case


def counts(api: Api) -> dict[str, int]:
    with api.svc.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (orders, ledger, case_events)
        }


def keyed(api: Api, user: str, path: str, body: Any, key: str) -> Any:
    return api.client.post(path, json=body, headers={**api.headers(user), "Idempotency-Key": key})


@pytest.fixture
def scene(api: Api, regions: Regions) -> tuple[str, int]:
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", some_area(regions.get("changji")))
    return admin, cid


def test_a_retry_returns_the_first_answer_and_changes_nothing(
    api: Api, scene: tuple[str, int]
) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing", "quantity": 2}
    first = keyed(api, admin, "/api/orders", body, "order-1")
    assert first.status_code == 201
    after_first = counts(api)
    # the same request again (key order and spacing of the JSON do not matter)
    again = api.client.post(
        "/api/orders",
        content=b'{"quantity":2,   "item_code":"zhuxing","case_id":%d}' % cid,
        headers={
            **api.headers(admin),
            "Idempotency-Key": "order-1",
            "Content-Type": "application/json",
        },
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert counts(api) == after_first
    # a replay is still on record in the audit log
    with api.svc.engine.connect() as conn:
        replays = conn.execute(
            select(func.count()).where(
                audit_log.c.username == admin, audit_log.c.path == "/api/orders"
            )
        ).scalar_one()
    assert replays == 2
    # without the key the same body is a new order
    assert api.post(admin, "/api/orders", body).status_code == 201
    assert counts(api)["orders"] == after_first["orders"] + 1


def test_a_refusal_is_replayed_too(api: Api, scene: tuple[str, int]) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "liudong_fuwubao", "quantity": 14}  # over budget
    first = keyed(api, admin, "/api/orders", body, "too-much")
    assert first.status_code == 409 and first.json()["rule"] == "budget"
    again = keyed(api, admin, "/api/orders", body, "too-much")
    assert (again.status_code, again.json()) == (409, first.json())


def test_same_key_different_request_is_422(api: Api, scene: tuple[str, int]) -> None:
    admin, cid = scene
    assert (
        keyed(api, admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing"}, "k").status_code
        == 201
    )
    before = counts(api)
    r = keyed(api, admin, "/api/orders", {"case_id": cid, "item_code": "zhuyi"}, "k")
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", r.text
    r = keyed(api, admin, f"/api/cases/{cid}/visits", {"kind": "home"}, "k")  # another path
    assert r.status_code == 422
    assert counts(api) == before


def test_keys_belong_to_their_user(api: Api, scene: tuple[str, int]) -> None:
    admin, cid = scene
    other = api.user("officer", "officer", "changji")
    body = {"case_id": cid, "item_code": "zhuxing"}
    a = keyed(api, admin, "/api/orders", body, "shared-key")
    b = keyed(api, other, "/api/orders", body, "shared-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_bad_keys_are_422(api: Api, scene: tuple[str, int]) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    for key in ("x" * 256, "with space"):
        r = keyed(api, admin, "/api/orders", body, key)
        assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", key


def test_keys_expire_after_24_hours(api: Api, scene: tuple[str, int], clock: Clock) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    first = keyed(api, admin, "/api/orders", body, "daily")
    clock.advance(hours=23)
    assert keyed(api, admin, "/api/orders", body, "daily").json()["id"] == first.json()["id"]
    clock.advance(hours=1, seconds=1)
    later = keyed(api, admin, "/api/orders", body, "daily")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


def test_a_5xx_before_anything_committed_frees_the_key(
    api: Api, scene: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jiuzhu.core.services import orders as order_service

    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    real = order_service.place_order

    def busy(*_: object, **__: object) -> None:
        raise Busy()

    monkeypatch.setattr(order_service, "place_order", busy)
    assert keyed(api, admin, "/api/orders", body, "retry-me").status_code == 503
    monkeypatch.setattr(order_service, "place_order", real)
    r = keyed(api, admin, "/api/orders", body, "retry-me")
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert keyed(api, admin, "/api/orders", body, "retry-me").json() == r.json()


def test_a_key_held_by_a_running_request_is_409_then_free_after_its_lease(
    api: Api, scene: tuple[str, int], clock: Clock
) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    user_id = _user_id(api, admin)
    fp = idempotency.fingerprint("POST", "/api/orders", "", _json(body))
    held = idempotency.reserve(api.svc.engine, user_id, "slow", fp, clock())
    assert isinstance(held, idempotency.Claim)
    r = keyed(api, admin, "/api/orders", body, "slow")
    assert r.status_code == 409 and r.json()["rule"] == "idempotency.in_progress"
    assert r.headers["retry-after"] == "1", (r.headers, r.text)
    # the holder went silent (crashed): after the lease the retry takes the key over ...
    clock.advance(seconds=61)
    r = keyed(api, admin, "/api/orders", body, "slow")
    assert r.status_code == 201
    # ... and the old holder can no longer commit anything under it
    token = idempotency.CURRENT.set(held)
    try:
        with pytest.raises(Exception) as lost, api.svc.transaction():
            pass
        assert getattr(lost.value, "rule", "") == "idempotency.in_progress"
    finally:
        idempotency.CURRENT.reset(token)


def test_a_committed_request_that_died_before_answering_is_never_run_again(
    api: Api, scene: tuple[str, int], clock: Clock
) -> None:
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    first = keyed(api, admin, "/api/orders", body, "lost-answer")
    with api.svc.engine.begin() as conn:  # as if the process died after its commit
        conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == "lost-answer")
            .values(state=idempotency.COMMITTED, status=None, body=None)
        )
    clock.advance(minutes=5)
    before = counts(api)
    r = keyed(api, admin, "/api/orders", body, "lost-answer")
    assert r.status_code == 409 and r.json()["rule"] == "idempotency.outcome_unknown"
    assert counts(api) == before
    assert first.status_code == 201


def test_concurrent_requests_with_one_key_run_once(api: Api, scene: tuple[str, int]) -> None:
    """Ten threads send the same keyed order at once: one order, the others see it running
    (409) or get its answer; on PostgreSQL the unique (user, key) row decides."""
    admin, cid = scene
    body = {"case_id": cid, "item_code": "zhuxing"}
    before = counts(api)["orders"]
    start = threading.Barrier(10)

    def send(_: int) -> tuple[int, int | None]:
        start.wait()
        r = keyed(api, admin, "/api/orders", body, "at-once")
        return r.status_code, r.json().get("id")

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(send, range(10)))
    statuses = Counter(s for s, _ in results)
    assert set(statuses) <= {201, 409}, results
    assert len({oid for s, oid in results if s == 201}) == 1, results
    assert counts(api)["orders"] == before + 1


def test_requests_without_a_token_pass_through_to_401(api: Api) -> None:
    r = api.client.post("/api/orders", json={}, headers={"Idempotency-Key": "anon"})
    assert r.status_code == 401


def test_an_oversized_keyed_body_is_413(api: Api, scene: tuple[str, int]) -> None:
    admin, _cid = scene
    r = api.client.post(
        "/api/orders",
        content=b"x" * 11_000_000,
        headers={
            **api.headers(admin),
            "Idempotency-Key": "big",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


def _user_id(api: Api, username: str) -> int:
    from jiuzhu.core.services.users import get_user

    return get_user(api.svc, username).id
