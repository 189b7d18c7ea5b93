"""The service loop through the HTTP API under /api: status codes, scoping and masking."""

from __future__ import annotations

import re
from datetime import date
from itertools import count
from typing import Any

import pytest

from jiuzhu.core import idcard
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services.providers import refresh_light
from jiuzhu.plugins.tiered_budget import BudgetScheme

from ..loop.helpers import ELIGIBLE, LOOP_ITEM, REGION_IDS, item_named, some_area, zero_answers
from .conftest import Api

_serial = count(1)


def person_body(
    region_id: str, area: str, born: date = date(1980, 5, 1), **kw: Any
) -> dict[str, Any]:
    code = area[:6]
    body: dict[str, Any] = {
        "region_id": region_id,
        "id_number": idcard.make(code, born, next(_serial)),
        "name": "接口测试对象",
        "area_code": area,
        "groups": list(ELIGIBLE[region_id]["groups"]),  # type: ignore[call-overload]
        "disability_grade": ELIGIBLE[region_id]["disability_grade"],
    }
    body.update(kw)
    return body


def granted_case(api: Api, user: str, region_id: str, area: str) -> tuple[int, int]:
    region = api.svc.region(region_id)
    r = api.post(user, "/api/persons", person_body(region_id, area))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = api.post(user, "/api/cases", {"person_id": pid, "reason": "窗口申请"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = api.post(user, f"/api/cases/{cid}/assessments", {"answers": zero_answers(region)})
    assert r.status_code == 201, r.text
    r = api.post(user, f"/api/cases/{cid}/entitlement", {"reason": "符合条件"})
    assert r.status_code == 201, r.text
    return pid, cid


def provider(api: Api, admin: str, region_id: str, name: str) -> tuple[int, int, str]:
    region = api.svc.region(region_id)
    r = api.post(admin, "/api/providers", {"name": name, "area_code": region.info.areas[0].code})
    assert r.status_code == 201, r.text
    provider_id = r.json()["id"]
    r = api.post(
        admin,
        f"/api/providers/{provider_id}/workers",
        {"name": "张社工", "qualifications": ["助理社会工作师"]},
    )
    assert r.status_code == 201, r.text
    worker_id = r.json()["id"]
    user = api.user(
        f"worker-{region_id}-{provider_id}",
        "worker",
        region_id,
        provider_id=provider_id,
        worker_id=worker_id,
    )
    return provider_id, worker_id, user


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_walk_the_loop_through_the_api(api: Api, regions: Regions, region_id: str):
    region = regions.get(region_id)
    admin = api.user(f"admin-{region_id}", "admin", region_id)
    pid, cid = granted_case(api, admin, region_id, some_area(region))
    view = api.get(admin, f"/api/cases/{cid}/entitlement").json()
    budget = region.section("budget", BudgetScheme)
    assert budget is not None
    assert view["entitlement"]["amount"] == budget.versions[-1].total
    assert view["entitlement"]["unit"] == "fen" and view["entitlement"]["kind"] == "cap"
    provider_id, _worker_id, worker = provider(api, admin, region_id, "接口社工中心")

    code = item_named(region, LOOP_ITEM[region_id])
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": code, "quantity": 1})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    # transitions answer 200 with the order
    assert (
        api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": provider_id}).status_code
        == 200
    )
    r = api.post(worker, f"/api/orders/{oid}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    assert api.post(worker, f"/api/orders/{oid}/start").json()["status"] == "in_service"
    steps = list(region.catalogue.item(code).standard)
    # an hour item is delivered when its hour is served; a visit item with the visit
    minutes = 60 if region.catalogue.item(code).by_time else 45
    r = api.post(
        worker,
        f"/api/orders/{oid}/finish",
        {"steps_done": steps, "confirmed_by": "本人", "minutes": minutes},
    )
    assert r.status_code == 200 and r.json()["status"] == "delivered", r.text
    r = api.post(
        admin, f"/api/orders/{oid}/rate", {"score": 5, "satisfied": True, "comment": "很好"}
    )
    assert r.status_code == 200 and r.json()["status"] == "rated", r.text
    r = api.post(
        admin,
        f"/api/cases/{cid}/visits",
        {"kind": "return", "satisfied": True, "notes": "回访", "order_id": oid},
    )
    assert r.status_code == 201, r.text
    stats = api.get(admin, f"/api/providers/{provider_id}").json()["stats"]
    assert (stats["ratings"], stats["visits"]) == (1, 1)
    r = api.get(admin, "/api/stats", params={"group_by": "item"})
    assert r.status_code == 200
    assert r.json()["total"]["person_times"] == 1 and r.json()["total"]["hours"] == minutes / 60
    assert r.json()["total"]["households"] == 1
    assert sum(r.json()["funding"].values()) == region.catalogue.item(code).unit_price_fen
    r = api.post(admin, f"/api/cases/{cid}/exit", {"reason": "情况好转，动态退出"})
    assert r.status_code == 200 and r.json()["status"] == "exited", r.text

    file = api.get(admin, f"/api/cases/{cid}").json()
    assert file["person"]["id"] == pid and file["case"]["status"] == "exited"
    assert [e["kind"] for e in file["events"]][-3:] == [
        "order.rated",
        "visit.return",
        "case.exited",
    ]
    assert all(e["actor"] == admin or e["actor"] == worker for e in file["events"])


def test_status_codes(api: Api, regions: Regions):
    region = regions.get("changji")
    clerk = api.user("clerk", "clerk", "changji")
    admin = api.user("admin", "admin", "changji")
    area = some_area(region)
    # 422 names the field
    body = person_body("changji", area)
    r = api.post(clerk, "/api/persons", {**body, "nickname": "x"})
    assert r.status_code == 422 and r.json()["field"] == "nickname", r.text
    r = api.post(clerk, "/api/persons", {**body, "disability_grade": "三级"})
    assert r.status_code == 422 and r.json()["field"] == "disability_grade", r.text
    bad = body["id_number"][:17] + ("0" if body["id_number"][17] != "0" else "1")
    r = api.post(clerk, "/api/persons", {**body, "id_number": bad})
    assert r.status_code == 422 and r.json()["field"] == "id_number", r.text
    assert "校验位" in r.json()["detail"]
    r = api.post(clerk, "/api/persons", {**body, "area_code": "110101"})
    assert r.status_code == 422 and r.json()["field"] == "area_code"
    r = api.post(clerk, "/api/persons", {k: v for k, v in body.items() if k != "name"})
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    r = api.post(clerk, "/api/persons", body)
    assert r.status_code == 201
    r = api.post(clerk, "/api/persons", body)  # the same ID number again
    assert r.status_code == 409 and r.json()["rule"] == "person.unique"

    _pid, cid = granted_case(api, admin, "changji", area)
    r = api.post(clerk, "/api/orders", {"case_id": cid, "item_code": "no_such_item"})
    assert r.status_code == 422 and r.json()["field"] == "item_code"
    r = api.post(clerk, "/api/orders", {"case_id": cid, "item_code": "zhuxing", "quantity": 0})
    assert r.status_code == 422 and r.json()["field"] == "quantity"
    r = api.post(clerk, "/api/orders", {"case_id": cid, "item_code": "zhuxing", "quantity": "two"})
    assert r.status_code == 422 and r.json()["field"] == "quantity"
    # 409: a refused rule, with its reason
    r = api.post(
        clerk, "/api/orders", {"case_id": cid, "item_code": "liudong_fuwubao", "quantity": 14}
    )
    assert r.status_code == 409 and r.json()["rule"] == "budget", r.text
    assert "剩余2,000.00元" in r.json()["detail"] or "剩余2000.00元" in r.json()["detail"]
    r = api.post(clerk, "/api/orders", {"case_id": cid, "item_code": "zhuxue"})
    assert r.status_code == 409 and r.json()["rule"] == "item.who"
    r = api.post(clerk, "/api/orders", {"case_id": cid, "item_code": "zhuxing"})
    oid = r.json()["id"]
    r = api.post(admin, f"/api/orders/{oid}/rate", {"score": 5})
    assert r.status_code == 409 and r.json()["rule"] == "order.transition"
    r = api.post(admin, f"/api/orders/{oid}/rate", {"score": 9})
    assert r.status_code == 422 and r.json()["field"] == "score"
    # 404 for unknown ids
    for path in (
        "/api/cases/999999",
        "/api/orders/999999",
        "/api/persons/999999",
        "/api/cases/999999/entitlement",
        "/api/providers/999999",
    ):
        assert api.get(admin, path).status_code == 404, path
    r = api.post(clerk, "/api/orders", {"case_id": 999999, "item_code": "zhuxing"})
    assert r.status_code == 404
    assert api.post(admin, "/api/orders/999999/cancel").status_code == 404
    # 403: a role without the permission
    supervisor = api.user("supervisor", "supervisor", "changji")
    r = api.post(supervisor, "/api/orders", {"case_id": cid, "item_code": "zhuxing"})
    assert r.status_code == 403


def test_red_provider_and_wrong_worker_are_refused_with_409(api: Api, regions: Regions):
    admin = api.user("admin", "admin", "changji")
    region = regions.get("changji")
    _pid, cid = granted_case(api, admin, "changji", some_area(region))
    red, _, _ = provider(api, admin, "changji", "红灯中心")
    green, _, green_worker = provider(api, admin, "changji", "绿灯中心")
    with api.svc.engine.begin() as conn:
        from jiuzhu.core.storage.tables import providers

        conn.execute(
            providers.update()
            .where(providers.c.id == red)
            .values(light="red", light_label="红灯", light_reason="测试", blocks_dispatch=True)
        )
    oid = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing"}).json()["id"]
    r = api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": red})
    assert r.status_code == 409 and r.json()["rule"] == "provider.red"
    r = api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": 424242})
    assert r.status_code == 422 and r.json()["field"] == "provider_id"
    # dispatched to the red one's rival; the red one's worker may not accept it
    _red_worker = api.post(admin, f"/api/providers/{red}/workers", {"name": "李社工"}).json()
    assert api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": green}).status_code == 200
    red_user = api.user(
        "red-worker", "worker", "changji", provider_id=red, worker_id=_red_worker["id"]
    )
    r = api.post(red_user, f"/api/orders/{oid}/accept")  # not theirs: as if absent
    assert r.status_code == 404 and r.json()["detail"] == f"工单 {oid} 不存在，或不在您的管辖范围内"
    assert api.post(admin, f"/api/orders/{oid}/cancel", {"reason": "取消"}).status_code == 200
    r = api.post(green_worker, f"/api/orders/{oid}/accept")
    assert r.status_code == 409 and r.json()["rule"] == "order.transition"
    assert refresh_light(api.svc, green).code == "green"


def test_overdue_orders_listed_and_escalated(api: Api, regions: Regions, clock):
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", "652301001001")
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuyi", "urgent": True})
    oid = r.json()["id"]
    assert api.get(admin, "/api/orders/overdue").json() == []
    clock.advance(hours=25)
    assert [o["id"] for o in api.get(admin, "/api/orders/overdue").json()] == [oid]
    r = api.post(admin, "/api/orders/escalate")
    assert r.status_code == 200, r.text
    assert [(o["id"], o["escalated_to"]) for o in r.json()] == [(oid, "652301001")]
    clock.advance(hours=24)
    assert [o["escalated_to"] for o in api.post(admin, "/api/orders/escalate").json()] == ["652301"]
    # a county officer elsewhere does not see it
    other = api.user("hutubi", "officer", "changji", "652323")
    assert api.get(other, "/api/orders/overdue").json() == []


def test_anonymous_requests_get_401_on_every_api_route(api: Api):
    app = api.client.app
    seen = 0
    for route in app.routes:
        if not route.path.startswith("/api"):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            for headers in ({}, {"Authorization": "Bearer jz_not-a-token"}):
                r = api.client.request(method, path, headers=headers, json={})
                assert r.status_code == 401, (method, path, r.status_code, r.text)
            seen += 1
    assert seen >= 20


def test_county_scope_hides_other_counties(api: Api, regions: Regions):
    region = regions.get("changji")
    admin = api.user("admin", "admin", "changji")
    _p, in_hutubi = granted_case(api, admin, "changji", "652323100001")
    pid, in_city = granted_case(api, admin, "changji", "652301001001")
    officer = api.user("hutubi", "officer", "changji", "652323")
    assert api.get(officer, f"/api/cases/{in_hutubi}").status_code == 200
    assert api.get(officer, f"/api/cases/{in_city}").status_code == 404
    assert api.get(officer, f"/api/cases/{in_city}/entitlement").status_code == 404
    assert api.get(officer, f"/api/persons/{pid}").status_code == 404
    r = api.post(officer, "/api/orders", {"case_id": in_city, "item_code": "zhuxing"})
    assert r.status_code == 404
    assert api.post(officer, f"/api/cases/{in_city}/exit", {"reason": "x"}).status_code == 404
    assert api.post(officer, f"/api/cases/{in_city}/visits", {"kind": "home"}).status_code == 404
    r = api.post(officer, "/api/persons", person_body("changji", "652301001001"))
    assert r.status_code == 404  # cannot register someone outside the county either
    oid = api.post(admin, "/api/orders", {"case_id": in_city, "item_code": "zhuxing"}).json()["id"]
    assert api.get(officer, f"/api/orders/{oid}").status_code == 404
    assert api.post(officer, f"/api/orders/{oid}/cancel").status_code == 404
    # nothing changed in the other county
    file = api.get(admin, f"/api/cases/{in_city}").json()
    assert file["case"]["status"] == "active"
    assert [o["status"] for o in file["orders"]] == ["placed"]
    assert region.info.area("652323") is not None


def test_id_numbers_masked_for_roles_without_id_full(api: Api, regions: Regions):
    region = regions.get("changji")
    clerk = api.user("clerk", "clerk", "changji")
    admin = api.user("admin", "admin", "changji")
    supervisor = api.user("supervisor", "supervisor", "changji")
    pid, cid = granted_case(api, admin, "changji", some_area(region))
    full = api.get(clerk, f"/api/persons/{pid}").json()["id_number"]
    assert re.fullmatch(r"\d{17}[\dX]", full)
    masked = api.get(supervisor, f"/api/persons/{pid}").json()["id_number"]
    assert masked == full[:6] + "*" * 8 + full[-4:]
    assert api.get(supervisor, f"/api/cases/{cid}").json()["person"]["id_number"] == masked
    assert api.get(clerk, f"/api/cases/{cid}").json()["person"]["id_number"] == full
    created = api.post(clerk, "/api/persons", person_body("changji", some_area(region)))
    assert "*" not in created.json()["id_number"]


def test_api_views_and_changes_are_in_the_audit_log(api: Api, regions: Regions):
    from sqlalchemy import select

    from jiuzhu.core.storage.tables import audit_log

    region = regions.get("changji")
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", some_area(region))
    supervisor = api.user("supervisor", "supervisor", "changji")
    assert api.get(supervisor, f"/api/cases/{cid}").status_code == 200
    refused = api.post(supervisor, f"/api/cases/{cid}/exit", {"reason": "试图退出"})
    assert refused.status_code == 403  # the attempt is refused, and still on record
    assert api.get(None, f"/api/cases/{cid}").status_code == 401  # anonymous: no actor, no row
    with api.svc.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.username, audit_log.c.action, audit_log.c.case_id).where(
                audit_log.c.username == "supervisor"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("supervisor", "api.GET", cid),
        ("supervisor", "api.POST", cid),
        ("supervisor", "refused", cid),  # what was refused, and why
    ]
