"""Issue 18 point 6, the department reviewer through pages: no decision before the grid
worker's verification; 补正/退回 with a note, seen at the window, corrected and resubmitted;
an approval needs no typed reason (a refusal does); 不批准 is the one word for a refusal."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.services.cases import get_case
from jiuzhu.core.services.users import add_user
from jiuzhu.plugins.one_form.service import get_application, submit_application
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form

from .conftest import PASSWORD, World, csrf, sign_in

POLICIES = ["service_relief", "temp_relief"]


@pytest.fixture
def receipt(world: World) -> str:
    regions = world.svc.regions
    for dept in ("mz", "grid"):
        add_user(world.svc, f"rev-{dept}", PASSWORD, "approver", "ordos", "150600", department=dept)
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    pid = get_case(world.svc, clerk, world.case_east).person_id
    form = filled_form(regions.get("ordos"), POLICIES)
    return submit_application(world.svc, clerk, "ordos", pid, POLICIES, form, ["身份证"]).receipt


def _task(world: World, receipt: str, dept: str) -> str:
    view = get_application(world.svc, actor_for(world.svc.regions, "ordos"), receipt)
    return f"/applications/{receipt}/tasks/" + str(
        next(t.id for t in view.tasks if t.department == dept)
    )


def _post(client: Any, page: str, action: str, **data: Any) -> Any:
    token = csrf(client.get(page).text)
    return client.post(action, data={"_csrf_token": token, **data}, follow_redirects=False)


def _status(world: World, receipt: str) -> str:
    return get_application(world.svc, actor_for(world.svc.regions, "ordos"), receipt).status


def test_verification_first_then_decide_without_typed_reason(
    client: Any, world: World, receipt: str
) -> None:
    mz = _task(world, receipt, "mz")
    sign_in(client, "rev-mz")
    page = client.get(mz).text
    assert 'id="unverified"' in page and "须待网格员入户核实完成后再审批" in page
    assert 'name="d.service_relief"' not in page  # nothing to decide yet
    r = _post(client, mz, mz, **{"d.service_relief": "approve"})
    assert r.status_code == 409 and "须待网格员入户核实完成后再审批" in r.text
    assert _status(world, receipt) == "pending"
    # the grid worker verifies
    sign_in(client, "rev-grid")
    grid = _task(world, receipt, "grid")
    r = _post(client, grid, grid, **{"d.verification": "approve", "r.verification": "情况属实"})
    assert r.status_code == 303
    # an approval without a reason; a refusal needs one
    sign_in(client, "rev-mz")
    page = client.get(mz).text
    assert "理由（不批准时必填；批准可不填）" in page
    r = _post(client, mz, mz, **{"d.service_relief": "approve", "d.temp_relief": "reject"})
    assert r.status_code == 422 and "不批准须说明理由" in r.text
    r = _post(
        client,
        mz,
        mz,
        **{"d.service_relief": "approve", "d.temp_relief": "reject", "r.temp_relief": "无突发困难"},
    )
    assert r.status_code == 303
    sign_in(client, "ordos-clerk")
    page = client.get(f"/applications/{receipt}").text
    row = re.search(r'id="p-service_relief">(.*?)</tr>', page, re.S)
    assert row and "已批准" in row.group(1) and "同意" in row.group(1)
    row = re.search(r'id="p-temp_relief">(.*?)</tr>', page, re.S)
    assert row and "不批准" in row.group(1)
    assert "未批准" not in page  # one word for the same result


def test_return_for_correction_and_resubmit(client: Any, world: World, receipt: str) -> None:
    before = get_application(world.svc, actor_for(world.svc.regions, "ordos"), receipt).form
    mz = _task(world, receipt, "mz")
    sign_in(client, "rev-mz")
    page = client.get(mz).text
    assert 'id="return"' in page and "data-confirm=" in page
    r = _post(client, mz, mz + "/return", note="")
    assert r.status_code == 422 and "请写明需要补正的内容" in r.text
    r = _post(client, mz, mz + "/return", note="请补交相关支出票据，现住址写到门牌号")
    assert r.status_code == 303
    assert _status(world, receipt) == "returned"
    page = client.get(mz).text
    assert 'id="returned"' in page and 'name="d.service_relief"' not in page
    # the window sees the note and corrects
    sign_in(client, "ordos-clerk")
    page = client.get(f"/applications/{receipt}").text
    note = re.search(r'id="returned"[^>]*>(.*?)</div>', page, re.S)
    assert note and "请补交相关支出票据" in note.group(1) and "民政局" in note.group(1)
    assert re.search(r'id="app-status">退回补正', page)
    assert 'id="resubmit"' in page and 'name="form.id_number"' not in page
    app_url = f"/applications/{receipt}"
    r = _post(
        client,
        app_url,
        app_url + "/resubmit",
        **{"form.address": "永兴社区3号楼2单元101"},
        documents=["身份证", "相关支出票据"],
        note="已补交票据",
    )
    assert r.status_code == 303, r.text[:300]
    view = get_application(world.svc, actor_for(world.svc.regions, "ordos"), receipt)
    assert view.status == "pending"
    assert view.form["address"] == "永兴社区3号楼2单元101"
    assert "相关支出票据" in view.documents
    assert view.form["id_number"] == before["id_number"]  # identity untouched
    page = client.get(app_url).text
    assert 'id="returned"' not in page and 'id="resubmit"' not in page
    # resubmitting twice is refused in words
    r = _post(client, app_url, app_url + "/resubmit", note="x")
    assert r.status_code == 409 and "该申请没有被退回补正" in r.text
