"""The front desk (一表受理) through pages only: find or register the applicant, the joint
form with suggested policies pre-ticked, 检查 warnings, refusals next to the field with
nothing written, the receipt, printing the form."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.storage.tables import audit_log, cases, persons
from jiuzhu.plugins.one_form.tables import application_tasks, applications

from .conftest import DONGSHENG, World, csrf, sign_in

NEW_ID = idcard.make("150602", date(1970, 1, 2), 55)
SERVICE = "service_relief"
# what the ordos form needs for the service policy, beyond what the person's file fills in
NEEDED = {
    "form.phone": "13800000000",
    "form.address": "永兴社区1号楼",
    "form.disability_grade": "四级",
    "form.major_illness": "no",
    "form.service_needs": "助浴、保洁",
}


def count(world: World, table: Any) -> int:
    with world.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def find(client: Any, id_number: str, action: str = "/apply/find", key: str = "id_number") -> Any:
    token = csrf(client.get("/").text)
    return client.post(action, data={key: id_number, "_csrf_token": token}, follow_redirects=False)


def register(client: Any, page: str, **fields: Any) -> Any:
    html = find(client, NEW_ID).text if page == "/apply" else client.get(page).text
    data = {
        "id_number": NEW_ID,
        "name": "赵大",
        "area_code": DONGSHENG,
        "groups": ["低保"],
        "disability_grade": "4",
        "household_size": "2",
        "income_per_capita": "500",
        "_csrf_token": csrf(html),
    }
    data.update(fields)
    return client.post("/persons", data=data, follow_redirects=False)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="err-{re.escape(name)}">([^<]*)<', html)
    assert found, f"no error shown next to {name}"
    return found.group(1)


@pytest.fixture
def clerk(client: Any, world: World) -> Any:
    sign_in(client, "ordos-clerk")
    return client


def test_find_validates_the_id_number(clerk: Any, world: World) -> None:
    r = find(clerk, "150602197001020550")  # wrong check digit
    assert r.status_code == 422
    assert field_error(r.text, "id_number") == "身份证号校验位不正确"
    r = find(clerk, "15060219701302055X")
    assert "出生日期无效" in field_error(r.text, "id_number")
    # a registered person goes straight to the form
    r = find(clerk, world.id_number)
    assert r.status_code == 303 and re.fullmatch(r"/apply/\d+", r.headers["location"])
    # someone not yet registered: the registration form, leading back to the joint form
    r = find(clerk, NEW_ID.lower())
    assert r.status_code == 200 and "尚未登记此人" in r.text
    assert 'name="next" value="/apply/{id}"' in r.text and f'value="{NEW_ID}"' in r.text


def test_registration_errors_next_to_the_field_and_nothing_written(
    clerk: Any, world: World
) -> None:
    before = count(world, persons)
    r = register(clerk, "/persons", name="", income_per_capita="12.345")
    assert r.status_code == 422
    assert "两位小数" in field_error(r.text, "income_per_capita")
    r = register(clerk, "/persons", name=" ")
    assert r.status_code == 422 and field_error(r.text, "name") == "姓名不能为空"
    assert 'value="赵大"' not in r.text and f'value="{NEW_ID}"' in r.text  # kept for the fix
    r = register(clerk, "/persons", id_number=world.id_number)
    assert r.status_code == 409 and "已登记" in field_error(r.text, "id_number")
    r = register(clerk, "/persons", area_code="110101")
    assert r.status_code == 422 and "区划代码" in field_error(r.text, "area_code")
    assert count(world, persons) == before
    r = register(clerk, "/persons", next="https://evil.example/{id}")
    assert r.status_code == 303 and re.fullmatch(r"/persons/\d+", r.headers["location"])
    assert count(world, persons) == before + 1


def test_person_page_and_opening_a_case(clerk: Any, world: World) -> None:
    r = register(clerk, "/persons")
    person_page = r.headers["location"]
    page = clerk.get(person_page).text
    assert "赵大" in page and "尚未立案" in page and NEW_ID in page  # a clerk sees the full id
    pid = int(person_page.rsplit("/", 1)[1])
    r = clerk.post(
        "/cases",
        data={"person_id": str(pid), "reason": "窗口建档", "_csrf_token": csrf(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    case_id = int(re.search(r"/cases/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    assert "一人一档：赵大" in clerk.get(r.headers["location"]).text
    again = clerk.post(
        "/cases", data={"person_id": str(pid), "_csrf_token": csrf(page)}, follow_redirects=False
    )
    assert again.headers["location"] == f"/cases/{case_id}?done=exists"
    with world.svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 3
    # search by name and by ID number, within the area
    assert f'href="/persons/{pid}"' in find(clerk, "赵", "/persons/search", "q").text
    assert f'href="/persons/{pid}"' in find(clerk, NEW_ID, "/persons/search", "q").text
    r = find(clerk, "15060219700102055", "/persons/search", "q")
    assert r.status_code == 422 and "18位" in field_error(r.text, "q")
    sign_in(clerk, "ordos-worker-west")  # a worker reads no person files at all
    assert clerk.get(person_page).status_code == 403
    assert f'href="/persons/{pid}"' not in find(clerk, "赵", "/persons/search", "q").text


def _form(client: Any) -> tuple[str, str]:
    """Register the applicant through the intake and land on the joint form."""
    r = register(client, "/apply", next="/apply/{id}")
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    assert re.fullmatch(r"/apply/\d+", url)
    return url, client.get(url).text


def test_form_groups_policies_by_department_with_suggestions(clerk: Any, world: World) -> None:
    url, html = _form(clerk)
    # the ordos form: six departments, the service policy suggested for a 低保 person with a
    # grade-4 (轻度) disability, fields filled from the file
    assert html.count('class="card dept"') == 6
    assert "东胜区民政局" in html and "东胜区残疾人联合会" in html
    assert re.search(rf'value="{SERVICE}" checked>', html)
    assert not re.search(r'value="tekun" checked>', html)  # not 特困
    assert re.search(r'id="policy-service_relief">.*?建议', html, re.S)
    assert 'name="form.name" value="赵大"' in html
    assert 'name="form.income_per_capita" value="500"' in html  # yuan, from 50000 fen
    # 「残疾人证或重大疾病诊断证明」: each alternative is a box of its own, either satisfies it
    assert 'name="documents" value="残疾人证"' in html
    assert 'name="documents" value="重大疾病诊断证明"' in html
    assert 'name="documents" value="残疾人证或重大疾病诊断证明"' not in html
    # the file's disability grade and major illness fill the form
    assert re.search(r'<option value="四级" selected>', html)
    assert re.search(r'name="form.major_illness" value="no" checked', html)
    assert "打印空白联办表" in html and f"{url}/print" in html


def test_check_shows_warnings_per_policy_and_writes_nothing(clerk: Any, world: World) -> None:
    url, html = _form(clerk)
    r = clerk.post(
        url,
        data={
            "_csrf_token": csrf(html),
            "policies": [SERVICE, "medical_aid"],
            "documents": ["身份证"],
            "action": "check",
            "form.household_size": "两口",
        },
    )
    assert r.status_code == 200 and "检查完成" in r.text
    warn = re.search(r'id="warn-service_relief">(.*?)</div>', r.text, re.S)
    assert warn and "缺少材料「残疾人证或重大疾病诊断证明」" in warn.group(1)
    assert "必填未填，不能提交" in warn.group(1) and "现住址" in warn.group(1)
    assert "缺少材料「身份证」" not in warn.group(1)  # ticked
    assert 'id="warn-medical_aid"' in r.text
    assert "应为不带小数的非负整数" in field_error(r.text, "form-household_size")
    assert re.search(r'value="medical_aid" checked>', r.text)  # the clerk's ticks are kept
    assert count(world, applications) == 0
    # nothing ticked
    r = clerk.post(url, data={"_csrf_token": csrf(html), "action": "check"})
    assert "请至少勾选一项" in field_error(r.text, "policies")


def test_submit_refusals_next_to_the_field_then_the_receipt(clerk: Any, world: World) -> None:
    url, html = _form(clerk)
    token = csrf(html)
    base = {"_csrf_token": token, "policies": [SERVICE], "action": "submit"}
    # a required field missing: 422 next to it, nothing written
    r = clerk.post(url, data={**base, **NEEDED, "form.address": ""})
    assert r.status_code == 422 and "未保存任何内容" in r.text
    assert "须填写「现住址」" in field_error(r.text, "form-address")
    assert 'value="13800000000"' in r.text  # what was typed is kept
    r = clerk.post(url, data={**base, **NEEDED, "form.income_per_capita": "-5"})
    assert r.status_code == 422
    assert "金额" in field_error(r.text, "form-income_per_capita")
    assert (count(world, applications), count(world, application_tasks)) == (0, 0)
    # accepted: the receipt page, with its number and a print button
    r = clerk.post(url, data={**base, **NEEDED, "documents": ["身份证"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert re.fullmatch(r"/applications/ORD-20250303-0001\?new=1", r.headers["location"])
    receipt = clerk.get(r.headers["location"]).text
    assert '<span class="receipt-no" id="receipt-no">ORD-20250303-0001</span>' in receipt
    assert "data-print" in receipt and "已受理" in receipt
    assert "网格员入户核实" in receipt and "东胜区民政局" in receipt
    assert "缺少材料「残疾人证或重大疾病诊断证明」" in receipt  # 容缺受理: listed to bring
    a4 = clerk.get("/applications/ORD-20250303-0001/receipt")
    assert a4.status_code == 200 and "size: A4" in a4.text and "data-print" in a4.text
    # the same policy again while pending: 409 naming the receipt, nothing written
    html = clerk.get(url).text
    assert "已有办理中的申请" in html
    r = clerk.post(url, data={**base, **NEEDED, "_csrf_token": csrf(html)})
    assert r.status_code == 409
    assert re.search(r'id="refusal">未受理：.*ORD-20250303-0001', r.text)
    assert count(world, applications) == 1
    with world.svc.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert "application.accept" in actions and "person.create" in actions


def test_printing_the_blank_and_the_ticked_form(clerk: Any, world: World) -> None:
    url, _ = _form(clerk)
    blank = clerk.get("/apply/print")
    assert blank.status_code == 200 and blank.headers["content-type"].startswith("text/html")
    assert "size: A4" in blank.text and "最低生活保障" in blank.text
    tick = '<span class="box">√</span>'
    assert tick not in blank.text
    ticked = clerk.get(f"{url}/print").text
    assert ticked.count(tick) >= 1


def test_who_may_use_the_front_desk(client: Any, world: World) -> None:
    for role in ("worker", "supervisor", "approver"):
        sign_in(client, f"ordos-{role}")
        assert client.get("/apply").status_code == 403, role
        assert "一表受理" not in client.get("/").text
    sign_in(client, "ordos-officer")
    assert client.get("/apply").status_code == 200
    assert "一表受理" in client.get("/").text
    client.post("/logout", data={"_csrf_token": csrf(client.get("/").text)})
    assert (
        client.get("/apply", follow_redirects=False).headers["location"] == "/login?next=%2Fapply"
    )
