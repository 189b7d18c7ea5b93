"""Access through every door: the whole /api route table refuses anonymous callers, and a
user of one area can neither read nor change another area's case — by page or by API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import func, select

from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.storage.tables import (
    assessments,
    audit_log,
    case_events,
    cases,
    entitlements,
    ledger,
    orders,
    visits,
)

from .conftest import PASSWORD, World, csrf, sign_in

# routes that must answer strangers: signing in, and the recipient's signed rating link
PUBLIC = re.compile(r"^/api/(login|logout|sessions?|tokens?|auth)(/|$)|^/api/r/")
PARAM = re.compile(r"\{(\w+):(\w+)\}")


def api_routes(app: Litestar) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api"):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out.append((str(method), route.path))
    return out


def concrete(path: str) -> str:
    return PARAM.sub(lambda m: "1" if m.group(2) == "int" else "x", path)


def test_every_api_route_refuses_anonymous_requests(app: Litestar, client: Any) -> None:
    routes = api_routes(app)
    assert len(routes) >= 30  # the core's and the one-form plugin's
    assert ("POST", "/api/applications") in routes
    checked = []
    for method, path in routes:
        if PUBLIC.match(path):
            continue
        url = concrete(path)
        r = client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        assert r.json()["error"] == "unauthorized"
        checked.append(path)
    assert len(checked) >= 30
    # a forged or revoked token is no better than none
    r = client.get("/api/cases/1", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_a_page_session_does_not_open_the_api(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    assert client.get(f"/cases/{world.case_east}").status_code == 200
    assert client.get(f"/api/cases/{world.case_east}").status_code == 401
    r = client.post(f"/api/cases/{world.case_east}/exit", json={"reason": "x"})
    assert r.status_code == 401


def snapshot(world: World) -> dict[str, Any]:
    """Everything a change to the east case would touch (the audit log aside)."""
    with world.svc.engine.connect() as conn:
        counts: dict[str, Any] = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (assessments, case_events, entitlements, ledger, orders, visits)
        }
        counts["case"] = tuple(
            conn.execute(select(cases.c.status).where(cases.c.id == world.case_east)).one()
        )
        counts["orders"] = sorted(
            tuple(r) for r in conn.execute(select(orders.c.id, orders.c.status))
        )
    return counts


@pytest.fixture
def west(world: World) -> dict[str, str]:
    """An officer and a worker of 康巴什区; tokens for the API."""
    add_user(world.svc, "ordos-officer-west", PASSWORD, "officer", "ordos", "150603")
    return {
        "officer": create_token(world.svc, "ordos-officer-west"),
        "worker": create_token(world.svc, "ordos-worker-west"),
        "east-officer": create_token(world.svc, "ordos-officer"),
    }


def test_another_areas_case_is_not_found_through_pages(
    client: Any, world: World, west: dict[str, str]
) -> None:
    east, order = world.case_east, world.orders[0]
    before = snapshot(world)
    for user in ("ordos-officer-west", "ordos-worker-west"):
        sign_in(client, user)
        token = csrf(client.get("/").text)
        # the officer reads files of their own area; a worker reads no files at all
        expected = 404 if user == "ordos-officer-west" else 403
        own = client.get(f"/cases/{world.case_west}").status_code
        assert own == (200 if user == "ordos-officer-west" else 403)
        for path in (f"/cases/{east}", f"/cases/{east}/assess"):
            r = client.get(path)
            assert r.status_code == expected, (user, path)
            assert "王秀兰" not in r.text
        answers = {
            f"a.{i.code}": "0"
            for d in world.svc.region("ordos").instrument.domains
            for i in d.indicators
        }
        changes: list[tuple[str, dict[str, Any]]] = [(f"/cases/{east}/assess", answers)]
        if user == "ordos-officer-west":  # the officer holds every permission below
            assert client.get(f"/cases/{east}/order").status_code == 404
            changes += [
                (f"/cases/{east}/visit", {"kind": "home", "notes": "x"}),
                (f"/cases/{east}/grant", {}),
                (f"/cases/{east}/order", {"item_code": "deep_clean"}),
                (f"/cases/{east}/exit", {"reason": "x"}),
                (f"/orders/{order}/cancel", {"reason": "x"}),
                (f"/dispatch/{order}", {"provider_id": str(world.provider)}),
            ]
        else:  # the worker: accepting another area's order
            changes.append((f"/work/{order}/accept", {}))
        for path, data in changes:
            r = client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)
            want = 403 if path.endswith("/assess") and user != "ordos-officer-west" else 404
            assert r.status_code == want, (user, path, r.status_code)
    assert snapshot(world) == before
    with world.svc.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.case_id, audit_log.c.action).where(
                audit_log.c.username.like("%west")
            )
        ).all()
        assert east not in {case for case, action in rows if action != "refused"}
        assert (east, "refused") in rows  # the attempts are on record


def test_another_areas_case_is_not_found_through_the_api(
    client: Any, world: World, west: dict[str, str]
) -> None:
    east, order = world.case_east, world.orders[0]
    with world.svc.engine.connect() as conn:
        person = conn.execute(select(cases.c.person_id).where(cases.c.id == east)).scalar_one()
    ok = client.get(
        f"/api/cases/{east}", headers={"Authorization": f"Bearer {west['east-officer']}"}
    )
    assert ok.status_code == 200  # the requests below are well-formed
    before = snapshot(world)
    answers = {
        i.code: 0 for d in world.svc.region("ordos").instrument.domains for i in d.indicators
    }
    for who in ("officer", "worker"):
        auth = {"Authorization": f"Bearer {west[who]}"}
        requests: list[tuple[str, str, Any]] = [
            ("GET", f"/api/cases/{east}", None),
            ("GET", f"/api/cases/{east}/entitlement", None),
            ("GET", f"/api/persons/{person}", None),
            ("GET", f"/api/orders/{order}", None),
            ("POST", f"/api/cases/{east}/assessments", {"answers": answers}),
        ]
        if who == "officer":
            requests += [
                ("POST", f"/api/cases/{east}/visits", {"kind": "home"}),
                ("POST", "/api/cases", {"person_id": person}),
                ("POST", f"/api/cases/{east}/entitlement", {}),
                ("POST", f"/api/cases/{east}/exit", {"reason": "x"}),
                ("POST", "/api/orders", {"case_id": east, "item_code": "deep_clean"}),
                ("POST", f"/api/orders/{order}/cancel", {"reason": "x"}),
                ("POST", f"/api/orders/{order}/dispatch", {"provider_id": world.provider}),
            ]
        else:
            requests.append(("POST", f"/api/orders/{order}/accept", {}))
        for method, path, body in requests:
            r = client.request(method, path, json=body, headers=auth)
            # a worker holds no case.read/assess at all (403); anything else out of scope: 404
            role_refused = who == "worker" and "/orders/" not in path
            want = 403 if role_refused else 404
            assert r.status_code == want, (who, method, path, r.status_code, r.text[:200])
    assert snapshot(world) == before
