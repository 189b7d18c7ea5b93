"""The one-form HTTP API (mounted under /api by the jiuzhu_web_routes hook)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.web.app import create_app
from tests.conftest import actor_for
from tests.loop.helpers import new_person

from .helpers import filled_form

PASSWORD = "a-long-password"
POLICIES = ["dibao", "assistive_devices", "charity_visit"]


@pytest.fixture
def api(svc, regions):
    def token(
        username: str, role: str, department: str = "", region: str = "shizuishan"
    ) -> dict[str, str]:
        area = svc.region(region).info.code
        add_user(svc, username, PASSWORD, role, region, area, department=department)
        return {"Authorization": f"Bearer {create_token(svc, username)}"}

    heads = {
        "clerk": token("window", "clerk"),
        "officer": token("officer", "officer"),
        "mz": token("mz", "approver", "mz"),
        "cl": token("cl", "approver", "cl"),
        "cs": token("cs", "approver", "cs"),
        "grid": token("grid", "approver", "grid"),
        "ordos": token("ordos", "officer", region="ordos"),
    }
    region = regions.get("shizuishan")
    pid = new_person(svc, actor_for(regions, "shizuishan"), region, disability_grade=1)
    with TestClient(create_app(svc, secret_key=b"k" * 32)) as client:
        yield client, heads, pid, filled_form(region, POLICIES)


def test_form_with_pre_ticks(api):
    client, h, pid, _ = api
    assert client.get("/api/regions/shizuishan/form").status_code == 401
    blank = client.get("/api/regions/shizuishan/form", headers=h["officer"]).json()
    assert len(blank["policies"]) == 43 and blank["suggested"] == []
    mine = client.get(f"/api/regions/shizuishan/form?person_id={pid}", headers=h["clerk"]).json()
    assert "assistive_devices" in mine["suggested"] and "dibao" in mine["suggested"]
    assert mine["prefill"]["applicant_name"] == "测试对象"
    assert "缺少材料「残疾人证」" in mine["warnings"]["assistive_devices"]
    assert client.get("/api/regions/ordos/form", headers=h["clerk"]).status_code == 404
    html = client.get("/api/regions/shizuishan/form.html", headers=h["clerk"])
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "最低生活保障（低保）" in html.text and "size: A4" in html.text
    tick = '<span class="box">√</span>'
    assert tick not in html.text
    ticked = client.get(f"/api/regions/shizuishan/form.html?person_id={pid}", headers=h["clerk"])
    assert ticked.text.count(tick) == len(mine["suggested"])
    check = client.post(
        "/api/regions/shizuishan/form/check",
        json={"policies": ["disability_allowances"], "documents": ["身份证"]},
        headers=h["clerk"],
    )
    assert "缺少材料「残疾人证」" in check.json()["warnings"]["disability_allowances"]


def test_apply_decide_progress_receipt(api, clock):
    client, h, pid, form = api
    body = {
        "region_id": "shizuishan",
        "person_id": pid,
        "policies": POLICIES,
        "form": form,
        "documents": ["身份证", "残疾人证"],
    }
    assert client.post("/api/applications", json=body).status_code == 401
    r = client.post("/api/applications", json=body, headers=h["clerk"])
    assert r.status_code == 201, r.text
    app = r.json()
    receipt = app["receipt"]
    tasks = {t["department"]: t for t in app["tasks"]}
    assert set(tasks) == {"grid", "mz", "cl", "cs"}

    # the department queues
    q = client.get("/api/departments/cl/tasks", headers=h["cl"]).json()
    assert [t["receipt"] for t in q] == [receipt]
    assert client.get("/api/departments/cl/tasks", headers=h["mz"]).status_code == 403
    assert client.get("/api/departments/nope/tasks", headers=h["officer"]).status_code == 404
    assert client.get("/api/departments/cs/tasks?overdue=true", headers=h["cs"]).json() == []
    clock.advance(days=11)
    late = client.get("/api/departments/cs/tasks?overdue=true", headers=h["cs"]).json()
    assert [t["receipt"] for t in late] == [receipt] and late[0]["overdue"] is True

    def decide(who, dept, decisions):
        return client.post(
            f"/api/applications/{receipt}/tasks/{tasks[dept]['id']}/decision",
            json={"decisions": decisions},
            headers=h[who],
        )

    assert (
        decide("mz", "cl", {"assistive_devices": {"approve": True, "reason": "同意"}}).status_code
        == 403
    )
    bad = decide("cl", "cl", {"dibao": {"approve": True, "reason": "同意"}})
    assert bad.status_code == 422 and bad.json()["field"] == "decisions"
    # not before the grid worker's verification visit
    early = decide("cl", "cl", {"assistive_devices": {"approve": True, "reason": "适配电动轮椅"}})
    assert early.status_code == 409 and early.json()["rule"] == "task.unverified"
    assert "网格员入户核实" in early.json()["detail"]
    assert (
        decide("grid", "grid", {"verification": {"approve": True, "reason": "属实"}}).status_code
        == 200
    )
    # a refusal needs a reason, an approval does not
    no_reason = decide("cl", "cl", {"assistive_devices": {"approve": False}})
    assert no_reason.status_code == 422
    assert no_reason.json()["field"] == "decisions.assistive_devices.reason"
    ok = decide("cl", "cl", {"assistive_devices": {"approve": True}})
    assert ok.status_code == 200 and ok.json()["services_opened"] == ["dis_aids"]
    assert {p["code"]: p["reason"] for p in ok.json()["application"]["policies"]}[
        "assistive_devices"
    ] == "同意"
    again = decide("cl", "cl", {"assistive_devices": {"approve": False, "reason": "改判"}})
    assert again.status_code == 409 and again.json()["rule"] == "task.decided"
    assert (
        decide("cs", "cs", {"charity_visit": {"approve": True, "reason": "慰问"}}).status_code
        == 200
    )
    progress = client.get(f"/api/applications/{receipt}", headers=h["clerk"]).json()
    assert progress["status"] == "pending"
    assert {p["code"]: p["status"] for p in progress["policies"]}["dibao"] == "pending"
    last = decide("mz", "mz", {"dibao": {"approve": False, "reason": "家庭收入超过低保标准"}})
    final = last.json()["application"]
    assert final["status"] == "decided"
    assert final["outcome"] == {
        "dibao": "rejected",
        "assistive_devices": "approved",
        "charity_visit": "approved",
    }

    page = client.get(f"/api/applications/{receipt}/receipt.html", headers=h["clerk"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert receipt in page.text and "残疾人辅助器具适配（电动轮椅等）" in page.text
    assert client.get(f"/api/applications/{receipt}", headers=h["ordos"]).status_code == 404
    assert (
        client.get("/api/applications/NOPE-1/receipt.html", headers=h["clerk"]).status_code == 404
    )


def test_bad_submissions(api):
    client, h, pid, form = api
    post = lambda body: client.post("/api/applications", json=body, headers=h["clerk"])  # noqa: E731
    base = {"region_id": "shizuishan", "person_id": pid, "policies": POLICIES, "form": form}
    r = post(base | {"policies": ["dibao", "teleport"]})
    assert r.status_code == 422 and r.json()["field"] == "policies"
    r = post(base | {"form": {k: v for k, v in form.items() if k != "bank_account"}})
    assert r.status_code == 422 and r.json()["field"] == "form.bank_account"
    r = post({k: v for k, v in base.items() if k != "policies"})
    assert r.status_code == 422 and r.json()["field"] == "policies"
    assert post(base | {"person_id": 99999}).status_code == 404
    assert post(base).status_code == 201
    dup = post(base | {"policies": ["dibao"]})
    assert dup.status_code == 409 and dup.json()["rule"] == "application.pending"
    officer_view = client.post("/api/applications", json=base, headers=h["mz"])
    assert officer_view.status_code == 403  # approvers do not accept applications


def test_applications_are_listed_in_scope_by_status_and_department(api, svc, regions):
    client, h, pid, form = api
    region = regions.get("shizuishan")
    other = new_person(svc, actor_for(regions, "shizuishan"), region, disability_grade=1)
    body = {"region_id": "shizuishan", "policies": ["dibao"], "form": form, "documents": ["身份证"]}
    first = client.post("/api/applications", json=body | {"person_id": pid}, headers=h["clerk"])
    assert first.status_code == 201
    assert first.headers["location"] == f"/api/applications/{first.json()['receipt']}"
    second = client.post(
        "/api/applications",
        json=body | {"person_id": other, "policies": ["assistive_devices"]},
        headers=h["clerk"],
    )
    receipts = [first.json()["receipt"], second.json()["receipt"]]
    page = client.get("/api/applications", params={"limit": 1}, headers=h["officer"]).json()
    assert [a["receipt"] for a in page["items"]] == receipts[:1] and page["next"]
    rest = client.get(
        "/api/applications", params={"limit": 1, "cursor": page["next"]}, headers=h["officer"]
    ).json()
    assert [a["receipt"] for a in rest["items"]] == receipts[1:] and rest["next"] is None
    by_dept = client.get("/api/applications", params={"department": "cl"}, headers=h["mz"])
    assert [a["receipt"] for a in by_dept.json()["items"]] == receipts[1:]
    assert by_dept.json()["items"][0]["policies"] == ["assistive_devices"]
    decided = client.get("/api/applications", params={"status": "decided"}, headers=h["mz"])
    assert decided.json() == {"items": [], "next": None}
    bad = client.get("/api/applications", params={"status": "lost"}, headers=h["mz"])
    assert bad.status_code == 422 and bad.json()["field"] == "status"
    # another region sees none of them
    assert client.get("/api/applications", headers=h["ordos"]).json()["items"] == []
