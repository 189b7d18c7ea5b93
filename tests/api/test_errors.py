"""One error shape for every failure — the framework's own included — with Chinese details
naming the field or the rule; strict types; length limits naming the real field; 201 with
Location for creations and 200 with the resource for transitions."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Busy
from jiuzhu.core.storage.tables import orders, persons

from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import granted_case, person_body, provider

CJK = "\u4e00"


def shape(r: Any, status: int, error: str) -> dict[str, Any]:
    """The one shape: error, detail (Chinese), and field or rule."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert body["error"] == error, body
    assert isinstance(body["detail"], str) and any(c >= CJK for c in body["detail"]), body
    assert ("field" in body) or ("rule" in body), body
    result: dict[str, Any] = body
    return result


def test_the_frameworks_errors_have_the_one_shape(api: Api) -> None:
    admin = api.user("admin", "admin", "changji")
    h = {**api.headers(admin), "Content-Type": "application/json"}
    c = api.client
    assert (
        shape(c.post("/api/orders", content=b"{bad", headers=h), 400, "bad_request")["field"]
        == "body"
    )
    assert shape(c.get("/api/no/such/path", headers=h), 404, "not_found")["rule"] == "http.route"
    r = c.put("/api/orders", json={}, headers=h)
    assert shape(r, 405, "method_not_allowed")["rule"] == "http.method"
    assert "POST" in r.headers["allow"] and "GET" in r.headers["allow"]
    big = b'{"case_id": 1, "item_code": "' + b"x" * 11_000_000 + b'"}'
    assert shape(c.post("/api/orders", content=big, headers=h), 413, "too_large")
    r = c.get("/api/cases/1", headers={"Authorization": "Bearer jz_wrong"})
    assert shape(r, 401, "unauthorized")["rule"] == "auth"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert shape(c.get("/api/cases/999999", headers=h), 404, "not_found")["rule"] == (
        "case.not_found"
    )


def test_a_server_error_has_the_shape_names_the_request_and_is_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from jiuzhu.core.services import cases

    admin = api.user("admin", "admin", "changji")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug, not bad input")

    monkeypatch.setattr(cases, "case_file", broken)
    with caplog.at_level(logging.ERROR, logger="jiuzhu.web"):
        r = api.client.get(
            "/api/cases/1", headers={**api.headers(admin), "X-Request-ID": "trace-42"}
        )
    body = shape(r, 500, "internal")
    assert "trace-42" in body["detail"] and r.headers["x-request-id"] == "trace-42"
    assert "Traceback" not in r.text and "RuntimeError" not in r.text
    [record] = [r for r in caplog.records if r.name == "jiuzhu.web"]
    assert "trace-42" in record.getMessage() and record.exc_info is not None


def test_busy_is_503_with_retry_after(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from jiuzhu.core.services import orders as order_service

    admin = api.user("admin", "admin", "changji")

    def busy(*_: object, **__: object) -> None:
        raise Busy()

    monkeypatch.setattr(order_service, "place_order", busy)
    r = api.post(admin, "/api/orders", {"case_id": 1, "item_code": "zhuxing"})
    assert shape(r, 503, "busy")["rule"] == "database.busy"
    assert r.headers["retry-after"] == "1"


def test_an_unknown_page_is_a_chinese_page_for_a_browser(api: Api) -> None:
    r = api.client.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text


def test_strict_types_and_chinese_messages(api: Api, regions: Regions) -> None:
    region = regions.get("changji")
    admin = api.user("admin", "admin", "changji")
    _pid, cid = granted_case(api, admin, "changji", some_area(region))
    before = _count(api, orders)
    for body, field in (
        ({"case_id": cid, "item_code": "zhuxing", "quantity": "2"}, "quantity"),
        ({"case_id": str(cid), "item_code": "zhuxing"}, "case_id"),
        ({"case_id": cid, "item_code": "zhuxing", "urgent": 1}, "urgent"),
        ({"case_id": cid, "item_code": "zhuxing", "quantity": 2.5}, "quantity"),
    ):
        r = api.post(admin, "/api/orders", body)
        assert shape(r, 422, "invalid")["field"] == field, (body, r.text)
        assert "应为" in r.json()["detail"]
    r = api.post(admin, f"/api/cases/{cid}/entitlement", {"year": "2026"})
    assert shape(r, 422, "invalid")["field"] == "year"
    r = api.post(admin, "/api/orders", {"case_id": cid})
    assert shape(r, 422, "invalid")["field"] == "item_code"
    assert r.json()["detail"] == "缺少必填字段"
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing", "nickname": 1})
    assert shape(r, 422, "invalid")["field"] == "nickname"
    r = api.post(admin, "/api/orders", [1, 2])
    assert shape(r, 422, "invalid")["field"] == "body"
    r = api.client.post("/api/orders", headers=api.headers(admin))
    assert shape(r, 422, "invalid")["field"] == "body"
    r = api.get(admin, "/api/orders", params={"limit": "many"})
    assert shape(r, 422, "invalid")["field"] == "limit"
    assert _count(api, orders) == before


def test_length_limits_name_the_real_field(api: Api, regions: Regions) -> None:
    region = regions.get("changji")
    admin = api.user("admin", "admin", "changji")
    area = some_area(region)
    before = _count(api, persons)
    for field, value, words in (
        ("name", "张" * 61, "不能超过60"),
        ("name", "", "不能为空"),
        ("phone", "1" * 21, "不能超过20"),
        ("area_code", "6" * 13, "不能超过12"),
        ("groups", ["低保"] * 21, "不能超过20"),
        ("disability_grade", 5, "不大于4"),
    ):
        extra: dict[str, Any] = {field: value}
        r = api.post(admin, "/api/persons", person_body("changji", area, **extra))
        body = shape(r, 422, "invalid")
        assert body["field"] == field and words in body["detail"], (field, body)
    r = api.post(admin, "/api/persons", person_body("changji", area, name="   "))
    assert shape(r, 422, "invalid")["field"] == "name"
    assert _count(api, persons) == before
    _pid, cid = granted_case(api, admin, "changji", area)
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing", "note": "字" * 501})
    assert shape(r, 422, "invalid")["field"] == "note"
    r = api.post(admin, f"/api/cases/{cid}/visits", {"kind": "home", "notes": "字" * 2001})
    assert shape(r, 422, "invalid")["field"] == "notes"
    r = api.post(admin, f"/api/cases/{cid}/visits", {"kind": "lunch"})
    assert shape(r, 422, "invalid")["field"] == "kind"
    r = api.post(admin, "/api/providers", {"name": "", "area_code": "652301"})
    assert shape(r, 422, "invalid")["field"] == "name"
    provider_id, _wid, _worker = provider(api, admin, "changji", "长度测试中心")
    for name in ("", "  "):
        r = api.post(admin, f"/api/providers/{provider_id}/workers", {"name": name})
        assert shape(r, 422, "invalid")["field"] == "name", r.text


def test_creations_are_201_with_location_and_transitions_200(api: Api, regions: Regions) -> None:
    region = regions.get("changji")
    admin = api.user("admin", "admin", "changji")
    area = some_area(region)
    created: list[str] = []
    r = api.post(admin, "/api/persons", person_body("changji", area))
    created.append(r.headers["location"])
    pid = r.json()["id"]
    r = api.post(admin, "/api/cases", {"person_id": pid})
    created.append(r.headers["location"])
    cid = r.json()["id"]
    from ..loop.helpers import zero_answers

    r = api.post(admin, f"/api/cases/{cid}/assessments", {"answers": zero_answers(region)})
    created.append(r.headers["location"])
    r = api.post(admin, f"/api/cases/{cid}/entitlement", {})
    created.append(r.headers["location"])
    r = api.post(admin, f"/api/cases/{cid}/visits", {"kind": "home"})
    created.append(r.headers["location"])
    r = api.post(admin, "/api/orders", {"case_id": cid, "item_code": "zhuxing"})
    created.append(r.headers["location"])
    oid = r.json()["id"]
    r = api.post(admin, "/api/providers", {"name": "地址测试中心", "area_code": "652301"})
    created.append(r.headers["location"])
    r = api.post(admin, f"/api/providers/{r.json()['id']}/workers", {"name": "王社工"})
    created.append(r.headers["location"])
    for location in created:
        assert location.startswith("/api/"), location
        got = api.get(admin, location)
        assert got.status_code == 200, (location, got.text)
    r = api.post(admin, f"/api/orders/{oid}/cancel", {"reason": "重复"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = api.post(admin, f"/api/cases/{cid}/exit", {"reason": "好转"})
    assert r.status_code == 200 and r.json()["status"] == "exited"


def _count(api: Api, table: Any) -> int:
    with api.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
