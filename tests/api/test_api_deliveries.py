"""Deliveries (visits) and early close through the API."""

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
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
    r = api.post(admin, f"/api/orders/{oid}/close", {"reason": "服务对象外出务工"})
    assert r.status_code == 201 and r.json()["status"] == "delivered", r.text
    visits = api.get(admin, f"/api/orders/{oid}/deliveries").json()
    assert [(v["signer"], v["minutes"]) for v in visits] == [("家属王某", 70)]
    file = api.get(admin, f"/api/cases/{cid}").json()
    assert [d["id"] for d in file["deliveries"]] == [v["id"] for v in visits]
    other = api.user("admin-other", "admin", "changji")
    assert api.get(other, f"/api/orders/{oid}/deliveries").status_code == 404
