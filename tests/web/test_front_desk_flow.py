"""Issue 18 point 5, the front desk through pages: the form carries the disability grade and
major illness from the file; a submission reports every missing field at once; 服务需求 is
not required at the window; an 「A或B」 document is satisfied by either; a policy pending
under another receipt is not pre-ticked again (and the receipt is named); 办理进度 finds
by receipt, name or ID number; the case file links its applications."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.access import Role
from jiuzhu.core.services.cases import get_case
from jiuzhu.plugins.one_form.service import check_form, submit_application
from jiuzhu.plugins.one_form.tables import applications
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form, plist

from .conftest import World, csrf, sign_in

SERVICE = "service_relief"


@pytest.fixture
def person_id(world: World) -> int:
    return get_case(world.svc, actor_for(world.svc.regions, "ordos"), world.case_east).person_id


def _apps(world: World) -> int:
    with world.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(applications)).scalar_one())


def _submit(client: Any, person_id: int, **data: Any) -> Any:
    html = client.get(f"/apply/{person_id}").text
    return client.post(
        f"/apply/{person_id}",
        data={"_csrf_token": csrf(html), "action": "submit", **data},
        follow_redirects=False,
    )


def test_every_missing_field_at_once(client: Any, world: World, person_id: int) -> None:
    sign_in(client, "ordos-clerk")
    html = client.get(f"/apply/{person_id}").text
    # from the file: grade 4, no major illness
    assert '<option value="四级" selected>' in html
    assert 'name="form.major_illness" value="no" checked' in html
    assert "窗口可不填" in html
    r = _submit(client, person_id, policies=[SERVICE, "dibao"])
    assert r.status_code == 422
    errors = dict(re.findall(r'id="err-(form-[a-z_]+)">([^<]*)<', r.text))
    # phone (service) and address (both): reported together, not one at a time
    assert set(errors) == {"form-phone", "form-address"}, errors
    assert (
        "「服务类社会救助（每人每年1000元递进式服务）」「最低生活保障」须填写「现住址」"
        in errors["form-address"]
    )
    assert "form-service_needs" not in errors  # recorded at the home visit
    assert _apps(world) == 0
    # filled in: accepted without 服务需求
    r = _submit(
        client,
        person_id,
        policies=[SERVICE],
        **{"form.phone": "13800000000", "form.address": "永兴社区1号楼"},
        documents=["身份证", "重大疾病诊断证明"],
    )
    assert r.status_code == 303, r.text[:300]
    page = client.get(r.headers["location"]).text
    assert "残疾人证或重大疾病诊断证明" not in page  # either alternative satisfies it


def test_either_document_satisfies(world: World) -> None:
    region = world.svc.regions.get("ordos")
    form = filled_form(region, [SERVICE])
    need = "缺少材料「残疾人证或重大疾病诊断证明」"
    for docs, missing in (
        (["身份证"], True),
        (["身份证", "残疾人证"], False),
        (["身份证", "重大疾病诊断证明"], False),
        (["身份证", "残疾人证或重大疾病诊断证明"], False),  # the API's whole name
    ):
        warned = check_form(plist(region), [SERVICE], form, docs).get(SERVICE, [])
        assert (need in warned) is missing, docs


def test_pending_policy_not_pre_ticked_again(client: Any, world: World, person_id: int) -> None:
    regions = world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    region = regions.get("ordos")
    first = submit_application(
        world.svc, clerk, "ordos", person_id, [SERVICE], filled_form(region, [SERVICE]), []
    )
    sign_in(client, "ordos-clerk")
    html = client.get(f"/apply/{person_id}").text
    tag = re.search(rf'<input type="checkbox" name="policies" value="{SERVICE}"[^>]*>', html)
    assert tag and "checked" not in tag.group(0)
    pending = re.search(rf'id="pending-{SERVICE}">([^<]*)<', html)
    assert pending and first.receipt in pending.group(1)


def test_progress_by_receipt_name_or_id(client: Any, world: World, person_id: int) -> None:
    regions = world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    region = regions.get("ordos")
    view = submit_application(
        world.svc, clerk, "ordos", person_id, [SERVICE], filled_form(region, [SERVICE]), []
    )
    sign_in(client, "ordos-clerk")

    def find(q: str) -> Any:
        html = client.get("/applications").text
        return client.post(
            "/applications/find", data={"q": q, "_csrf_token": csrf(html)}, follow_redirects=False
        )

    r = find(view.receipt.lower())
    assert r.status_code == 303 and r.headers["location"] == f"/applications/{view.receipt}"
    r = find("秀兰")
    assert r.status_code == 200 and view.receipt in re.search(
        r'id="found">(.*?)</table>', r.text, re.S
    ).group(1)  # type: ignore[union-attr]
    r = find(world.id_number)
    found = re.search(r'id="found">(.*?)</table>', r.text, re.S)
    assert found and view.receipt in found.group(1) and "王秀兰" in found.group(1)
    assert world.id_number not in r.url.path
    r = find(
        "李建国"
    )  # another district's person: none in the clerk's... region-wide clerk sees it
    assert r.status_code in (200, 404)
    r = find(idcard.make("150602", __import__("datetime").date(1990, 1, 1), 7))
    assert r.status_code == 404 and "没有找到" in r.text
    r = find("15060219900101")
    assert r.status_code == 404 and "身份证号有误" in r.text
    # the case file links the application
    sign_in(client, "ordos-officer")
    page = client.get(f"/cases/{world.case_east}").text
    section = re.search(r'id="section-one_form-case_applications">(.*?)</section>', page, re.S)
    assert section and f'href="/applications/{view.receipt}"' in section.group(1)
