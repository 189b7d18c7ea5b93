"""Issue 10 through the API: least privilege on case files (2), escalation in scope (3),
not-found and duplicates that do not leak (10)."""

from __future__ import annotations

from typing import Any

from jiuzhu.core import idcard
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services.people import UNAVAILABLE

from .conftest import Api
from .test_api_loop import granted_case, person_body, provider

CITY = "652301001001"  # 昌吉市
HUTUBI = "652323"  # 呼图壁县


def dispatched(api: Api, admin: str, cid: int, provider_id: int) -> int:
    oid = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuyi"}).json()["id"]
    r = api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": provider_id})
    assert r.status_code == 200, r.text
    return int(oid)


def test_provider_staff_and_evaluators_read_no_case_files(api: Api, regions: Regions) -> None:
    admin = api.user("admin", "admin", "changji")
    pid, cid = granted_case(api, admin, "changji", CITY)
    _other_pid, other_cid = granted_case(api, admin, "changji", CITY)
    mine, worker_id, _ = provider(api, admin, "changji", "甲中心")
    theirs, _w2, _ = provider(api, admin, "changji", "乙中心")
    ours = dispatched(api, admin, cid, mine)
    foreign = dispatched(api, admin, other_cid, theirs)
    worker = api.user("w", "worker", "changji", provider_id=mine, worker_id=worker_id)
    boss = api.user("boss", "provider_admin", "changji", provider_id=mine)
    evaluator = api.user("eva", "evaluator", "changji")
    for who in (worker, boss, evaluator):
        for path in (
            f"/api/cases/{cid}",
            f"/api/cases/{cid}/entitlement",
            f"/api/persons/{pid}",
        ):
            r = api.get(who, path)
            assert r.status_code == 403, (who, path, r.status_code)
    for who in (worker, boss):
        assert api.get(who, f"/api/orders/{ours}").status_code == 200  # their work
        r = api.get(who, f"/api/orders/{foreign}")  # another provider's: as if absent
        assert (
            r.status_code == 404
            and r.json()["detail"] == f"工单 {foreign} 不存在，或不在您的管辖范围内"
        )
        assert api.get(who, f"/api/providers/{theirs}").status_code == 404
    assert api.get(boss, f"/api/providers/{mine}").json()["workers"]  # their own staff
    assert api.get(evaluator, f"/api/providers/{mine}").json()["workers"] == []
    assert api.get(evaluator, "/api/orders/1").status_code == 403
    assert api.get(evaluator, "/api/stats").status_code == 200  # statistics, yes


def test_a_worker_sees_only_orders_they_accepted_or_may_accept(api: Api) -> None:
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", CITY)
    mine, w1, _ = provider(api, admin, "changji", "甲中心")
    r = api.post(admin, f"/api/providers/{mine}/workers", {"name": "李社工"})
    w2 = r.json()["id"]
    first = api.user("w1", "worker", "changji", provider_id=mine, worker_id=w1)
    second = api.user("w2", "worker", "changji", provider_id=mine, worker_id=w2)
    boss = api.user("boss", "provider_admin", "changji", provider_id=mine)
    oid = dispatched(api, admin, cid, mine)
    assert api.get(second, f"/api/orders/{oid}").status_code == 200  # open to take
    assert api.post(first, f"/api/orders/{oid}/accept").status_code == 200
    assert api.get(second, f"/api/orders/{oid}").status_code == 404  # taken by a colleague
    assert api.get(boss, f"/api/orders/{oid}").status_code == 200
    assert api.post(first, f"/api/orders/{oid}/start").status_code == 200
    r = api.post(boss, f"/api/orders/{oid}/finish", {"confirmed_by": "本人"})
    assert r.status_code == 409 and r.json()["rule"] == "order.worker"  # not the boss's to sign


def test_escalation_stays_in_the_officers_area(api: Api, regions: Regions, clock: Any) -> None:
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", CITY)
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuyi", "urgent": True})
    oid = r.json()["id"]
    clock.advance(hours=25)
    hutubi = api.user("hutubi", "officer", "changji", HUTUBI)
    r = api.post(hutubi, "/api/orders/escalate")
    assert r.status_code == 200 and r.json() == []  # another county's order: untouched, unread
    assert api.get(admin, f"/api/orders/{oid}").json()["escalation_level"] == 0
    city = api.user("city", "officer", "changji", "652301")
    assert [o["id"] for o in api.post(city, "/api/orders/escalate").json()] == [oid]


def test_not_found_says_the_same_for_absent_and_out_of_scope(api: Api) -> None:
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", CITY)
    oid = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuyi"}).json()["id"]
    hutubi = api.user("hutubi", "officer", "changji", HUTUBI)
    for method, path, body in (
        ("GET", "/api/orders/{}", None),
        ("POST", "/api/orders/{}/cancel", {"reason": "x"}),
        ("POST", "/api/orders/{}/dispatch", {"provider_id": 1}),
    ):
        theirs = api.client.request(
            method, path.format(oid), headers=api.headers(hutubi), json=body
        )
        absent = api.client.request(
            method, path.format(99999), headers=api.headers(hutubi), json=body
        )
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json()["detail"].replace(str(oid), "N") == absent.json()["detail"].replace(
            "99999", "N"
        )
        assert f"case {cid}" not in theirs.text and "case" not in theirs.json()["detail"]


def test_a_duplicate_id_outside_the_area_names_nothing(api: Api) -> None:
    admin = api.user("admin", "admin", "changji")
    body = person_body("changji", CITY)
    first = api.post(admin, "/api/persons", body).json()
    city_clerk = api.user("city-clerk", "clerk", "changji", "652301")
    r = api.post(city_clerk, "/api/persons", body)  # in scope: told which person it is
    assert r.status_code == 409 and r.json()["rule"] == "person.unique"
    assert r.json()["person_id"] == first["id"]
    hutubi = api.user("hutubi-clerk", "clerk", "changji", HUTUBI)
    r = api.post(hutubi, "/api/persons", {**body, "area_code": HUTUBI})
    assert r.status_code == 409
    answer = r.json()
    assert answer == {"error": "refused", "rule": "person.unavailable", "detail": UNAVAILABLE}
    for leak in (str(first["id"]), CITY[:6], "昌吉市", idcard.mask(body["id_number"])):
        assert leak not in r.text


def test_roles_without_id_full_see_an_age_not_the_birth_date(api: Api) -> None:
    admin = api.user("admin", "admin", "changji")
    pid, cid = granted_case(api, admin, "changji", CITY)
    full = api.get(admin, f"/api/persons/{pid}").json()
    assert full["birth_date"] == "1980-05-01" and idcard.validate(full["id_number"])
    supervisor = api.user("sup", "supervisor", "changji")
    for shown in (
        api.get(supervisor, f"/api/persons/{pid}").json(),
        api.get(supervisor, f"/api/cases/{cid}").json()["person"],
    ):
        assert "birth_date" not in shown and shown["age"] == 44  # on 2025-03-03
        assert shown["id_number"] == idcard.mask(full["id_number"])
        assert shown["income_per_capita_fen"] == full["income_per_capita_fen"]
