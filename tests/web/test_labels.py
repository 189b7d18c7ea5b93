"""Point 1 of issue 18: no code reaches a person. Every page reachable as every demo role of
every region (the demo data plus decided joint applications), and the error pages, are
read for what is visible; a dotted code (`order.placed`), a snake_case identifier
(`temp_relief`), raw JSON or a Python value fails the test."""

from __future__ import annotations

import re
from collections import deque

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from jiuzhu.core.access import Role
from jiuzhu.core.demo import load_demo
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import set_password
from jiuzhu.core.storage.tables import case_events, cases, persons, users
from jiuzhu.core.web.app import create_app
from jiuzhu.core.web.labels import UNKNOWN, grade, labels_for
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.one_form.service import decide_task, get_application, submit_application
from jiuzhu.plugins.one_form.tables import application_tasks, applications
from tests.conftest import actor_for
from tests.one_form.helpers import approver, filled_form, plist

from .conftest import PASSWORD, SECRET, sign_in
from .untranslated import untranslated

HREF = re.compile(r'href="(/[^"#?]*(?:\?[^"#]*)?)"')
SKIP = ("/static/", "/schema", "/logout", "/r/", "/api")


def _applications(svc: Services) -> None:
    """In each region with a joint form: one application per demo person, every task decided
    (the first policy approved, the others refused), so the case file holds every
    application event and the receipts show decisions."""
    for region in svc.regions:
        if region.section("policies", PolicyList) is None:
            continue
        pl = plist(region)
        codes = [p.code for p in pl.policies[:3]]
        clerk = actor_for(svc.regions, region.id, Role.CLERK, username=f"{region.id}-clerk")
        with svc.engine.connect() as conn:
            pid = conn.execute(
                select(persons.c.id).where(persons.c.region_id == region.id).limit(1)
            ).scalar_one()
        app = submit_application(
            svc, clerk, region.id, pid, codes, filled_form(region, codes), ["身份证"]
        )
        view = get_application(svc, clerk, app.receipt)
        for task in view.tasks:
            who = approver(svc.regions, region.id, task.department)
            if task.kind == "verification":
                decide_task(svc, who, app.receipt, task.id, {"verification": (True, "情况属实")})
            else:
                decisions = {
                    code: (code == codes[0], "符合条件" if code == codes[0] else "收入超过标准")
                    for code in task.decisions
                }
                decide_task(svc, who, app.receipt, task.id, decisions)


@pytest.fixture
def demo(svc: Services) -> Services:
    for _ in load_demo(svc):
        pass
    _applications(svc)
    with svc.engine.connect() as conn:
        names = [str(r[0]) for r in conn.execute(select(users.c.username))]
    for name in names:
        set_password(svc, name, PASSWORD)
    return svc


def record_urls(svc: Services) -> list[str]:
    with svc.engine.connect() as conn:
        case_ids = [r[0] for r in conn.execute(select(cases.c.id))]
        receipts = [r[0] for r in conn.execute(select(applications.c.receipt))]
        tasks = conn.execute(
            select(applications.c.receipt, application_tasks.c.id).join(
                application_tasks, application_tasks.c.application_id == applications.c.id
            )
        ).all()
    urls = ["/", "/persons", "/dispatch", "/work", "/supervision", "/stats", "/config"]
    urls += [f"/cases/{i}" for i in case_ids]
    urls += ["/applications", "/tasks"] + [f"/applications/{r}" for r in receipts]
    urls += [f"/applications/{r}/receipt" for r in receipts]
    urls += [f"/applications/{r}/tasks/{t}" for r, t in tasks]
    return urls


def crawl(client: TestClient[Litestar], start: list[str], limit: int = 120) -> dict[str, str]:
    """Every HTML page reachable from ``start`` (links followed), by URL."""
    pages: dict[str, str] = {}
    seen: set[str] = set()
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP):
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code < 500, f"{url}: {r.status_code}"
        if "html" in r.headers.get("content-type", ""):
            pages[url] = r.text
            queue.extend(u for u in HREF.findall(r.text) if u not in seen)
    return pages


def test_no_page_shows_a_code_to_any_demo_role(demo: Services) -> None:
    app = create_app(demo, secret_key=SECRET)
    with demo.engine.connect() as conn:
        names = sorted(str(r[0]) for r in conn.execute(select(users.c.username)))
    problems: list[str] = []
    crawled = 0
    for region in demo.regions:
        start = record_urls(demo)
        for name in (n for n in names if n.startswith(f"{region.id}-")):
            with TestClient(app, base_url="https://testserver.local") as client:
                assert sign_in(client, name).status_code == 303, name
                pages = crawl(client, start)
                crawled += len(pages)
                for url, html in pages.items():
                    problems += [f"{name} {url}: {p}" for p in untranslated(html)]
    assert crawled > 200
    import os

    if os.environ.get("LABELS_DUMP"):
        with open(os.environ["LABELS_DUMP"], "w") as f:
            f.write("\n".join(problems))
    assert problems == [], "\n".join(sorted(set(problems))[:60])


def test_the_case_file_reads_in_chinese(demo: Services) -> None:
    """What the issue saw: events, decisions naming policies, grades, who did it."""
    app = create_app(demo, secret_key=SECRET)
    with demo.engine.connect() as conn:
        case_id = conn.execute(
            select(case_events.c.case_id)
            .join(cases, cases.c.id == case_events.c.case_id)
            .where(case_events.c.kind == "application.task_decided", cases.c.region_id == "ordos")
        ).scalar()
        assert case_id is not None
    with TestClient(app, base_url="https://testserver.local") as client:
        sign_in(client, "ordos-officer")
        html = client.get(f"/cases/{case_id}").text
    region = demo.regions.get("ordos")
    labels = labels_for(demo.regions.pm, region)
    assert labels.event("application.task_decided") in html
    assert "部门审批" in html and "order.placed" not in html
    assert "临时救助" in labels.policy("temp_relief")
    assert "temp_relief" not in html
    assert grade(3) == "三级" and grade(None) == "无" and grade(0) == "无"


def test_every_event_kind_the_demo_appends_has_a_label(demo: Services) -> None:
    with demo.engine.connect() as conn:
        kinds = sorted({str(r[0]) for r in conn.execute(select(case_events.c.kind))})
    for region in demo.regions:
        labels = labels_for(demo.regions.pm, region)
        assert [k for k in kinds if labels.event(k) == UNKNOWN] == [], region.id


@pytest.mark.parametrize(
    ("method", "url", "status", "says"),
    [
        ("GET", "/no/such/page", 404, "没有这个页面"),
        ("GET", "/logout", 405, "只接受表单提交"),
        ("POST", "/persons", 403, "页面已过期"),  # no CSRF token
        ("GET", "/cases/999999", 404, "不存在"),
    ],
)
def test_error_pages_are_in_the_layout_with_the_menu(
    client: TestClient[Litestar], method: str, url: str, status: int, says: str
) -> None:
    sign_in(client, "ordos-officer")
    # no Accept header at all (a crawler, curl): still a page outside /api
    r = client.request(method, url, headers={"accept": "*/*"})
    assert r.status_code == status
    assert "text/html" in r.headers["content-type"]
    assert says in r.text
    assert "<nav>" in r.text and "退出登录" in r.text  # the menu of the signed-in user
    assert untranslated(r.text) == []
    # the API keeps its JSON shape
    api = client.request(method, "/api" + url, headers={"accept": "*/*"})
    assert api.headers["content-type"].startswith("application/json")
    assert set(api.json()) >= {"error", "detail"}


def test_a_refusal_names_the_permission_in_chinese(client: TestClient[Litestar]) -> None:
    sign_in(client, "ordos-clerk")
    r = client.get("/dispatch")
    assert r.status_code == 403
    assert "「派单」" in r.text and "order.dispatch" not in r.text
    assert "<nav>" in r.text


def test_the_checker_finds_codes() -> None:
    assert untranslated("<td>order.placed</td>")
    assert untranslated("<p>temp_relief：不批准</p>")
    assert untranslated('<pre>{"status_code":404}</pre>')
    assert untranslated("<td>illustrative False</td>")
    assert not untranslated('<a href="/a_b.c">点单</a><script>var a_b = 1;</script>')
    assert not untranslated("<td>policies.toml</td><td>2025-01-01</td>")


def _dump(demo: Services) -> None:  # pragma: no cover - a debugging aid
    pass


def test_the_receipt_names_the_person_who_accepted(demo: Services) -> None:
    with demo.engine.connect() as conn:
        receipt = conn.execute(
            select(applications.c.receipt).where(applications.c.region_id == "ordos")
        ).scalar_one()
        login = conn.execute(
            select(applications.c.accepted_by).where(applications.c.receipt == receipt)
        ).scalar_one()
    with demo.engine.begin() as conn:  # the demo's clerk, given a person's name
        conn.execute(users.update().where(users.c.username == login).values(display_name="李桂芳"))
    app = create_app(demo, secret_key=SECRET)
    with TestClient(app, base_url="https://testserver.local") as client:
        sign_in(client, "ordos-officer")
        html = client.get(f"/applications/{receipt}/receipt").text
    assert "<td>李桂芳</td>" in html and f"<td>{login}</td>" not in html


def test_a_refusal_naming_codes_reads_in_chinese(demo: Services) -> None:
    labels = labels_for(demo.regions.pm, demo.regions.get("ordos"))
    assert labels.prose("事项 temp_relief 已作出决定") == "事项 「临时救助」 已作出决定"
    assert "「派单」" in labels.prose("无权执行此操作（order.dispatch）")
    assert labels.prose("见 policies.toml 与 unknown_code") == "见 policies.toml 与 unknown_code"
