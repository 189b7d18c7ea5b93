"""Department queues and decisions through pages: overdue first with deadlines, approve or
reject each policy with a reason, the combined outcome on the application page, progress by
receipt number for staff, and the area scope."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Role
from jiuzhu.core.services.cases import get_case
from jiuzhu.core.services.users import add_user
from jiuzhu.core.storage.tables import audit_log
from jiuzhu.plugins.one_form.service import get_application, submit_application
from jiuzhu.plugins.one_form.tables import application_tasks
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form, verify

from .conftest import PASSWORD, World, _case, csrf, sign_in

POLICIES = ["service_relief", "temp_relief", "disability_allowances"]


def _accept(world: World, case_id: int) -> str:
    regions = world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    pid = get_case(world.svc, clerk, case_id).person_id
    region = regions.get("ordos")
    view = submit_application(
        world.svc, clerk, "ordos", pid, POLICIES, filled_form(region, POLICIES), ["身份证"]
    )
    return view.receipt


@pytest.fixture
def apps(world: World, clock: Any) -> dict[str, str]:
    for name, dept, area in (
        ("mz", "mz", "150600"),
        ("cl", "cl", "150600"),
        ("grid", "grid", "150600"),
    ):
        add_user(
            world.svc,
            f"ordos-approver-{name}",
            PASSWORD,
            "approver",
            "ordos",
            area,
            department=dept,
        )
    add_user(world.svc, "ordos-clerk-west", PASSWORD, "clerk", "ordos", "150603")
    first = _accept(world, world.case_east)  # 东胜区
    clock.advance(days=10)
    second = _accept(world, world.case_west)  # 康巴什区
    clock.advance(days=6)  # the first one's 民政 task (15 days) is now overdue
    return {"east": first, "west": second}


def _task_id(world: World, receipt: str, department: str) -> int:
    actor = actor_for(world.svc.regions, "ordos")
    view = get_application(world.svc, actor, receipt)
    return next(t.id for t in view.tasks if t.department == department)


def test_queue_overdue_first_with_deadlines(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    sign_in(client, "ordos-approver-mz")
    html = client.get("/tasks").text
    assert "部门审批：东胜区民政局" in html
    assert re.search(r"共 <strong>2</strong> 件待办理，其中 <strong[^>]*>1</strong> 件已超期", html)
    assert html.index(apps["east"]) < html.index(apps["west"])
    assert re.search(rf"{apps['east']}.*?2025-03-18 09:00（已超期）", html, re.S)
    assert "王秀兰" in html and "李建国" in html
    # the menu and the home page lead there; another department's queue is not theirs
    home = client.get("/").text
    assert 'href="/tasks"' in home and "（已超期）" in home
    assert f'href="/applications/{apps["east"]}/tasks/' in home
    assert "网格员入户核实" not in html


def test_queue_counts_pages_and_filters_by_area(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    from jiuzhu.core.web.pages.lists import PAGE_SIZE

    sign_in(client, "ordos-approver-mz")
    east = world.case_east
    east_code = get_case(world.svc, actor_for(world.svc.regions, "ordos"), east).area_code
    html = client.get("/tasks", params={"area": east_code}).text
    assert "共 <strong>1</strong> 件待办理" in html
    assert apps["east"] in html and apps["west"] not in html  # 康巴什区 filtered out
    assert f'<option value="{east_code}" selected' in html
    # more than a page: counted whole, paged by the deadline, the pager keeps the filter
    for i in range(PAGE_SIZE):  # one application each (a pending policy is not applied twice)
        _accept(world, _case(world.svc, east_code, 600 + i, f"排队{i}")[0])
    html = client.get("/tasks").text
    assert f"共 <strong>{PAGE_SIZE + 2}</strong> 件待办理" in html
    assert html.count('id="task-') == PAGE_SIZE and 'rel="next"' in html
    assert html.index(apps["east"]) < html.index('rel="next"')  # overdue: first page, first
    last = client.get("/tasks", params={"page": 2}).text
    assert last.count('<tr id="task-') == 2 and f"第 {PAGE_SIZE + 1}–{PAGE_SIZE + 2} 件" in last
    assert apps["east"] not in last.split('id="pending"')[1].split("</table>")[0]


def test_decide_with_reasons_errors_next_to_the_policy(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    receipt = apps["east"]
    admin = actor_for(world.svc.regions, "ordos")
    verify(world.svc, world.svc.regions, "ordos", get_application(world.svc, admin, receipt))
    task = _task_id(world, receipt, "mz")
    url = f"/applications/{receipt}/tasks/{task}"
    sign_in(client, "ordos-approver-mz")
    page = client.get(url).text
    assert 'name="d.service_relief"' in page and 'name="d.temp_relief"' in page
    assert "缺少材料" in page  # the form's warnings shown to the approver
    token = csrf(page)
    r = client.post(url, data={"_csrf_token": token})
    assert r.status_code == 422 and "请至少对一项事项作出决定" in r.text
    r = client.post(url, data={"_csrf_token": token, "d.service_relief": "reject"})
    assert r.status_code == 422  # a refusal needs a reason (an approval does not)
    assert re.search(r'id="err-decisions-service_relief-reason">不批准须说明理由', r.text)
    r = client.post(url, data={"_csrf_token": token, "r.temp_relief": "材料不全"})
    assert r.status_code == 422
    assert 'id="err-decisions-temp_relief-approve">请选择批准或不批准' in r.text
    assert 'value="材料不全"' in r.text  # kept
    with world.svc.engine.connect() as conn:
        state = conn.execute(
            select(application_tasks.c.status).where(application_tasks.c.id == task)
        ).scalar_one()
    assert state == "pending"
    # one policy now, the other later: the task stays open
    r = client.post(
        url,
        data={"_csrf_token": token, "d.service_relief": "approve", "r.service_relief": "符合条件"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/applications/{receipt}?decided={task}&ent=exists"
    assert "该对象本年度已有服务额度" in client.get(r.headers["location"]).text
    page = client.get(url).text
    assert 'name="d.service_relief"' not in page and "已批准：符合条件" in page
    assert 'name="d.temp_relief"' in page
    with world.svc.engine.connect() as conn:
        assert "task.decide" in conn.execute(select(audit_log.c.action)).scalars().all()


def test_other_departments_cannot_decide(client: Any, world: World, apps: dict[str, str]) -> None:
    receipt = apps["east"]
    admin = actor_for(world.svc.regions, "ordos")
    verify(world.svc, world.svc.regions, "ordos", get_application(world.svc, admin, receipt))
    task = _task_id(world, receipt, "mz")
    url = f"/applications/{receipt}/tasks/{task}"
    sign_in(client, "ordos-approver-cl")
    page = client.get(url)
    assert page.status_code == 200 and 'name="d.service_relief"' not in page.text
    assert "本任务由东胜区民政局办理" in page.text
    r = client.post(
        url,
        data={
            "_csrf_token": csrf(page.text),
            "d.service_relief": "reject",
            "r.service_relief": "x",
        },
    )
    assert r.status_code == 403 and "只能办理本部门的任务" in r.text
    sign_in(client, "ordos-clerk")  # no task.decide
    assert client.get("/tasks").status_code == 403


def test_combined_outcome_on_the_application_page(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    receipt = apps["east"]

    def decide(user: str, dept: str, **choices: tuple[str, str]) -> None:
        sign_in(client, user)
        url = f"/applications/{receipt}/tasks/{_task_id(world, receipt, dept)}"
        data = {"_csrf_token": csrf(client.get(url).text)}
        for code, (choice, reason) in choices.items():
            data[f"d.{code}"], data[f"r.{code}"] = choice, reason
        assert client.post(url, data=data, follow_redirects=False).status_code == 303

    decide("ordos-approver-grid", "grid", verification=("approve", "入户核实，情况属实"))
    decide(
        "ordos-approver-mz",
        "mz",
        service_relief=("approve", "符合条件"),
        temp_relief=("reject", "无突发性困难"),
    )
    sign_in(client, "ordos-clerk")
    page = client.get(f"/applications/{receipt}").text
    assert "联办结果" not in page and "办理中" in page  # 残联 still deciding
    decide("ordos-approver-cl", "cl", disability_allowances=("approve", "持四级残疾人证"))
    sign_in(client, "ordos-clerk")
    page = client.get(f"/applications/{receipt}").text
    outcome = re.search(r'id="outcome">(.*?)</section>', page, re.S)
    assert outcome, page
    assert "批准 2 项" in outcome.group(1) and "不批准 1 项" in outcome.group(1)
    assert "不批准：临时救助——无突发性困难" in outcome.group(1)
    assert re.search(r'id="app-status">已办结', page)
    assert "入户核实，情况属实" in page  # in the events


def test_progress_by_receipt_number_and_scope(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    east = apps["east"]
    sign_in(client, "ordos-clerk")
    r = client.get(f"/applications?receipt={east.lower()}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/applications/{east}"
    r = client.get("/applications?receipt=ORD-19990101-0001")
    assert r.status_code == 404 and "没有找到受理编号" in r.text
    listing = client.get("/applications").text
    assert east in listing and apps["west"] in listing
    # a clerk of 康巴什区 sees the west application only
    sign_in(client, "ordos-clerk-west")
    assert client.get(f"/applications/{east}").status_code == 404
    assert client.get(f"/applications/{east}/receipt").status_code == 404
    assert client.get(f"/applications?receipt={east}").status_code == 404
    assert client.get(f"/applications/{apps['west']}").status_code == 200
    assert east not in client.get("/applications").text
    task = _task_id(world, east, "mz")
    assert client.get(f"/applications/{east}/tasks/{task}").status_code == 404
    # workers and providers have no business here
    sign_in(client, "ordos-worker")
    assert client.get(f"/applications/{east}").status_code == 403


def test_admin_chooses_the_department(client: Any, world: World, apps: dict[str, str]) -> None:
    sign_in(client, "ordos-admin")
    page = client.get("/tasks").text
    assert 'name="department"' in page and "网格员入户核实" in page
    page = client.get("/tasks?department=grid").text
    assert "部门审批：网格员入户核实" in page and apps["east"] in page
    from jiuzhu.core.storage.tables import users

    with world.svc.engine.begin() as conn:  # a department dropped from the region's data
        conn.execute(
            users.update()
            .where(users.c.username == "ordos-approver")
            .values(department="civil-affairs")
        )
    sign_in(client, "ordos-approver")
    assert "不在本地区联办表的部门中" in client.get("/tasks").text


def test_progress_list_counts_pages_and_filters(
    client: Any, world: World, apps: dict[str, str]
) -> None:
    from jiuzhu.core.web.pages.lists import PAGE_SIZE

    sign_in(client, "ordos-officer")
    html = client.get("/applications").text
    assert "共 <strong>2</strong> 件申请" in html and apps["east"] in html
    east_code = get_case(
        world.svc, actor_for(world.svc.regions, "ordos"), world.case_east
    ).area_code
    only_east = client.get("/applications", params={"area": east_code}).text
    assert apps["east"] in only_east and apps["west"] not in only_east
    assert "共 <strong>1</strong> 件申请（全部" not in only_east  # no "all" figure on this list
    decided = client.get("/applications", params={"status": "decided"}).text
    assert "没有符合条件的申请" in decided and apps["east"] not in decided
    later = client.get("/applications", params={"date_from": "2025-03-10"}).text
    assert apps["west"] in later and apps["east"] not in later  # accepted ten days later
    for i in range(PAGE_SIZE):
        _accept(world, _case(world.svc, east_code, 700 + i, f"进度{i}")[0])
    first = client.get("/applications").text
    assert f"共 <strong>{PAGE_SIZE + 2}</strong> 件申请" in first and 'rel="next"' in first
    second = client.get("/applications", params={"page": 2}).text
    assert apps["east"] in second.split('id="recent"')[1]  # the oldest, on the last page
