"""The core model through the API: deliveries and early close, group sessions, shortfalls
and households."""

from __future__ import annotations

from jiuzhu.core.plugins import Regions

from ..loop.helpers import item_named
from .test_api_loop import granted_case, provider


def test_deliveries_through_the_api(api, regions: Regions):
    region = regions.get("ordos")
    admin = api.user("admin-d", "admin", "ordos")
    _pid, cid = granted_case(api, admin, "ordos", "150602004001")
    provider_id, _wid, worker = provider(api, admin, "ordos", "上门中心")
    code = item_named(region, "全屋清洁")
    oid = api.post(admin, "/api/orders", {"case_id": cid, "item_code": code, "quantity": 2})
    oid = oid.json()["id"]
    api.post(admin, f"/api/orders/{oid}/dispatch", {"provider_id": provider_id})
    api.post(worker, f"/api/orders/{oid}/accept")
    api.post(worker, f"/api/orders/{oid}/start")
    r = api.post(worker, f"/api/orders/{oid}/finish", {"signer": "家属王某", "minutes": 70})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    r = api.post(admin, f"/api/orders/{oid}/close", {"reason": "服务对象外出务工"})
    assert r.status_code == 200 and r.json()["status"] == "delivered", r.text
    visits = api.get(admin, f"/api/orders/{oid}/deliveries").json()
    assert [(v["signer"], v["minutes"]) for v in visits] == [("家属王某", 70)]
    file = api.get(admin, f"/api/cases/{cid}").json()
    assert [d["id"] for d in file["deliveries"]] == [v["id"] for v in visits]
    other = api.user("admin-other", "admin", "changji")
    assert api.get(other, f"/api/orders/{oid}/deliveries").status_code == 404


def test_a_group_session_through_the_api(api, regions: Regions, clock):
    admin = api.user("admin-s", "admin", "changji")
    region = regions.get("changji")
    _pid, cid = granted_case(api, admin, "changji", "652301001001")
    provider_id, _wid, worker = provider(api, admin, "changji", "活动中心")
    r = api.post(
        worker,
        "/api/sessions",
        {
            "item_code": "jingshen_wenhua",
            "title": "读书会",
            "starts_at": clock.now.isoformat(),
            "minutes": 90,
            "area_code": region.info.code,
        },
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.headers["Location"] == f"/api/sessions/{sid}"
    assert r.json()["provider_id"] == provider_id
    found = api.get(worker, f"/api/sessions/{sid}/candidates", params={"q": "接口"}).json()
    assert [c["case_id"] for c in found] == [cid] and "id_number" not in found[0]
    r = api.post(worker, f"/api/sessions/{sid}/attendees", {"case_id": cid})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/api/orders/{r.json()['order_id']}"
    r = api.post(worker, f"/api/sessions/{sid}/attendees", {"case_id": cid})
    assert r.status_code == 409 and r.json()["rule"] == "session.attending"
    assert api.post(worker, f"/api/sessions/{sid}/close").json()["status"] == "closed"
    view = api.get(admin, f"/api/sessions/{sid}").json()
    assert [a["case_id"] for a in view["attendees"]] == [cid]
    assert [s["id"] for s in api.get(admin, "/api/sessions").json()] == [sid]
    stats = api.get(admin, "/api/stats", params={"group_by": "item"}).json()
    assert stats["total"]["person_times"] == 1 and stats["total"]["hours"] == 1.5


def test_a_household_through_the_api(api, regions: Regions):
    admin = api.user("admin-h", "admin", "changji")
    area = "652301001001"
    head, cid = granted_case(api, admin, "changji", area)
    r = api.post(
        admin,
        "/api/households",
        {"area_code": area, "address": "幸福路1号", "head_person_id": head},
    )
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    assert r.headers["Location"] == f"/api/households/{hid}" and r.json()["head_person_id"] == head
    spouse, _ = granted_case(api, admin, "changji", area)
    r = api.post(admin, f"/api/households/{hid}/members", {"person_id": spouse, "relation": "配偶"})
    assert r.status_code == 200 and r.json()["size"] == 2, r.text
    r = api.post(admin, f"/api/households/{hid}/members", {"person_id": spouse, "relation": "户主"})
    assert r.status_code == 409 and r.json()["rule"] == "household.head"
    r = api.post(admin, f"/api/households/{hid}/members", {"person_id": spouse, "relation": "x"})
    assert r.status_code == 422 and r.json()["field"] == "relation"
    file = api.get(admin, f"/api/households/{hid}").json()
    assert [(m["person"]["id"], m["relation"]) for m in file["members"]] == [
        (head, "户主"),
        (spouse, "配偶"),
    ]
    assert file["members"][0]["case"]["id"] == cid and file["totals"]["person_times"] == 0
    assert [s["key"] for s in file["sections"]] == ["one_form.applications"]
    assert api.get(admin, f"/api/persons/{spouse}").json()["household_id"] == hid
    r = api.post(admin, f"/api/households/{hid}/members/{spouse}/remove")
    assert r.status_code == 200 and r.json()["size"] == 1
    other = api.user("officer-h", "officer", "changji", "652302")
    assert api.get(other, f"/api/households/{hid}").status_code == 404
    assert api.get(admin, "/api/households/999").status_code == 404
