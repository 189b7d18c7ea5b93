"""The monitoring API and pages: the same services, checks and masking as the CLI."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.web.app import create_app
from tests.loop.helpers import some_area
from tests.web.conftest import PASSWORD, SECRET, csrf, sign_in

from .helpers import csv_bytes, number

pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from jiuzhu.core.services import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(svc, secret_key=SECRET), base_url="https://testserver.local") as c:
        yield c


def user(svc: Services, name: str, role: str, area: str = "371600") -> dict[str, str]:
    add_user(svc, name, PASSWORD, role, "binzhou", area)
    return {"Authorization": f"Bearer {create_token(svc, name)}"}


def b64(filename: str, content: bytes) -> dict[str, str]:
    return {"filename": filename, "content_base64": base64.b64encode(content).decode()}


def medical_rows(who: str, pay: str) -> list[dict[str, str]]:
    return [
        {
            "id_number": who,
            "name": "赵某",
            "discharged_on": "2025-02-10",
            "total_fen": "40000",
            "out_of_pocket_fen": pay,
        }
    ]


def test_api_loads_feeds_lists_warnings_and_records_visits(
    svc: Services, regions: Regions, client: TestClient[Any]
) -> None:
    region = regions.get("binzhou")
    officer = user(svc, "bz-officer", "officer")
    supervisor = user(svc, "bz-supervisor", "supervisor")
    who = number("371621", 31)
    bad = csv_bytes(region, "medical", medical_rows(who, "abc"))
    refused = client.post(
        "/api/regions/binzhou/feeds/medical", json=b64("bad.csv", bad), headers=officer
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["field"] == "file" and body["problems"][0]["row"] == 2
    assert body["problems"][0]["code"] == "out_of_pocket_fen"
    good = csv_bytes(region, "medical", medical_rows(who, "12000"))
    made = client.post(
        "/api/regions/binzhou/feeds/medical", json=b64("m.csv", good), headers=officer
    )
    assert made.status_code == 201, made.text
    assert made.json()["warnings"] == 2
    url = "/api/regions/binzhou/feeds/medical"
    assert client.post(url, json=b64("m.csv", good), headers=officer).status_code == 409
    assert client.post(url, json=b64("n.csv", good), headers=supervisor).status_code == 403
    assert (
        client.post(url, json={"filename": "x", "content_base64": "!!"}, headers=officer).json()[
            "field"
        ]
        == "content_base64"
    )
    listed = client.get("/api/regions/binzhou/warnings?level=red", headers=supervisor).json()
    assert [w["rule"] for w in listed] == ["large_medical_stay"]
    assert listed[0]["id_number"] == who[:6] + "********" + who[-4:]
    assert who not in client.get("/api/regions/binzhou/warnings", headers=supervisor).text
    sid = listed[0]["id"]
    done = client.post(
        f"/api/warnings/{sid}/visit", json={"outcome": "no_hardship"}, headers=officer
    )
    assert done.status_code == 200 and done.json()["signal"]["status"] == "closed"
    again = client.post(f"/api/warnings/{sid}/visit", json={"outcome": "apply"}, headers=officer)
    assert again.status_code == 409
    lead = client.post(
        "/api/leads",
        json={"name": "孙奶奶", "area_code": "371621", "description": "独居", "level": "red"},
        headers=officer,
    )
    assert lead.status_code == 201 and lead.json()["source"] == "hotline"
    assert (
        client.get(f"/api/warnings/{lead.json()['id']}", headers=officer).json()["name"] == "孙奶奶"
    )
    o = client.get("/api/regions/binzhou/warnings/oversight", headers=supervisor).json()
    assert o["visited"] == 1 and o["open"] == 2
    assert {c["key"]: c["count"] for c in o["by_source"]} == {"hotline": 1, "rule": 2}
    loads = client.get("/api/regions/binzhou/feeds", headers=officer).json()
    assert loads[0]["loaded_by"] == "bz-officer" and loads[0]["rows"] == 1


def test_pages_report_a_lead_visit_and_upload(
    svc: Services, regions: Regions, client: TestClient[Any]
) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    user(svc, "bz-adviser", "adviser", area)
    user(svc, "bz-officer", "officer")
    assert sign_in(client, "bz-adviser").status_code == 303
    form = client.get("/monitoring/lead")
    assert form.status_code == 200 and "报告线索" in form.text and "预警核实" not in form.text
    token = csrf(form.text)
    bad = client.post(
        "/monitoring/lead",
        data={"name": "", "area_code": area, "description": "x", "_csrf_token": token},
    )
    assert bad.status_code == 422 and "请填写姓名" in bad.text
    made = client.post(
        "/monitoring/lead",
        data={"name": "刘大爷", "area_code": area, "description": "腿脚不便", "_csrf_token": token},
    )
    assert made.status_code == 201 and "已收到线索" in made.text
    assert client.get("/monitoring").status_code == 403
    client.get("/logout")
    client.cookies.clear()
    assert sign_in(client, "bz-officer").status_code == 303
    queue = client.get("/monitoring")
    assert "刘大爷" in queue.text and "救助顾问" in queue.text
    upload = client.get("/monitoring/feeds")
    who = number("371621", 41)
    sent = client.post(
        "/monitoring/feeds",
        data={"kind": "medical", "_csrf_token": csrf(upload.text)},
        files={"file": ("m.csv", csv_bytes(region, "medical", medical_rows(who, "1.234")))},
    )
    assert sent.status_code == 422 and "第2行「个人自付」列" in sent.text
    sent = client.post(
        "/monitoring/feeds",
        data={"kind": "medical", "_csrf_token": csrf(upload.text)},
        files={"file": ("m.csv", csv_bytes(region, "medical", medical_rows(who, "12000")))},
    )
    assert sent.status_code == 201 and "新增预警 2 条" in sent.text
    listing = client.get("/monitoring").text
    assert "大额医疗支出" in listing
    sid = int(listing.split('id="signal-')[1].split('"')[0])
    page = client.get(f"/monitoring/warnings/{sid}")
    assert page.status_code == 200 and "入户核实结果" in page.text
    sent = client.post(
        f"/monitoring/warnings/{sid}/visit",
        data={"outcome": "apply", "note": "", "_csrf_token": csrf(page.text)},
    )
    assert sent.status_code == 200 and 'action="/apply/find"' in sent.text
    assert f'value="{who}"' in sent.text  # an officer holds id.full: the intake is pre-filled
    over = client.get("/monitoring/oversight")
    assert over.status_code == 200 and "<svg" in over.text and "style=" not in over.text


def test_api_recertification(svc: Services, regions: Regions, client: TestClient[Any]) -> None:
    from jiuzhu.core.access import Role
    from tests.conftest import actor_for
    from tests.loop.helpers import eligible_case

    officer = user(svc, "bz-officer", "officer")
    case = eligible_case(svc, actor_for(regions, "binzhou", Role.OFFICER), regions.get("binzhou"))
    assert client.get("/api/regions/binzhou/recertifications", headers=officer).json() == []
    svc.clock.advance(days=400)  # type: ignore[attr-defined]
    [due] = client.get("/api/regions/binzhou/recertifications", headers=officer).json()
    assert due["case_id"] == case.id
    made = client.post(f"/api/cases/{case.id}/recertify", json={"note": "仍符合"}, headers=officer)
    assert made.status_code == 200 and made.json()["next_due_on"] == "2027-04-07"
    assert client.get("/api/regions/binzhou/recertifications", headers=officer).json() == []
    empty = client.post(f"/api/cases/{case.id}/recertify", json={"note": ""}, headers=officer)
    assert empty.status_code == 422
