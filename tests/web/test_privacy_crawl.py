"""A full ID number must never reach a role without `id.full`, nor a masked one beside the
birth date that completes it (the 8 hidden digits *are* the birth date). For every such
role: crawl every page reachable from its home page (following links, plus every record
URL of the world), and call every API route with every id of the world; no response may
hold a full ID number or a (masked ID, birth date) pair. Free text counts: a note or a
visit record that a clerk typed an ID number into is masked too."""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import select

from jiuzhu.core import idcard
from jiuzhu.core.access import Role, access_registry, system_actor
from jiuzhu.core.services.cases import get_case, record_visit
from jiuzhu.core.services.orders import NewOrder, accept_order, dispatch_order, place_order
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.storage.tables import cases, orders, persons, providers
from jiuzhu.plugins.monitoring.roles import ADVISER, SENTINEL
from jiuzhu.plugins.one_form.roles import APPROVER
from jiuzhu.plugins.one_form.service import submit_application
from jiuzhu.plugins.one_form.tables import application_tasks, applications
from jiuzhu.plugins.resources.roles import UNIT
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form

from .conftest import PASSWORD, World, sign_in

POLICIES = ["service_relief", "temp_relief", "disability_allowances"]
HREF = re.compile(r'href="(/[^"#]*)"')
ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
# every role without id.full, and one signed-in user of it in the world
MASKED_USERS = {
    Role.SUPERVISOR: "ordos-supervisor",
    Role.EVALUATOR: "ordos-evaluator",
    APPROVER: "ordos-approver",
    Role.PROVIDER_ADMIN: "ordos-provider_admin",
    Role.WORKER: "ordos-worker",
    ADVISER: "ordos-adviser",
    SENTINEL: "ordos-sentinel",
    UNIT: "ordos-unit",  # the resources plugin's 爱心单位 (docs/resources.md)
}


def test_every_role_without_id_full_is_crawled(world: World) -> None:
    registry = access_registry(world.svc.regions.pm)
    roles = set(registry.roles) - registry.holders("id.full")
    assert roles == set(MASKED_USERS)


@pytest.fixture
def busy(world: World) -> World:
    """The page world plus what makes each role see something: one-form applications with a
    task for the approver's department, an order dispatched to the provider and accepted
    by the worker, and ID numbers typed into an order's note and a visit record."""
    svc, regions = world.svc, world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    region = regions.get("ordos")
    for case_id in (world.case_east, world.case_west):
        pid = get_case(svc, clerk, case_id).person_id
        submit_application(
            svc, clerk, "ordos", pid, POLICIES, filled_form(region, POLICIES), ["身份证"]
        )
    setup = system_actor("ordos", "150600", "setup")
    dispatch_order(svc, setup, world.orders[0], world.provider)
    accept_order(svc, setup, world.orders[0], world.worker)
    noted = place_order(
        svc,
        setup,
        NewOrder(case_id=world.case_east, item_code="deep_clean", note=f"证件 {world.id_number}"),
    )
    dispatch_order(svc, setup, noted.id, world.provider)
    record_visit(svc, setup, world.case_east, "home", True, f"核对身份证{world.id_number}无误")
    for role in (ADVISER, SENTINEL):  # the monitoring plugin's roles (they report leads)
        add_user(svc, f"ordos-{role}", PASSWORD, role, "ordos", "150602")
    return world


def ids_of(world: World) -> dict[str, list[Any]]:
    with world.svc.engine.connect() as conn:

        def col(c: Any) -> list[Any]:
            return [r[0] for r in conn.execute(select(c))]

        return {
            "person_id": col(persons.c.id),
            "case_id": col(cases.c.id),
            "order_id": col(orders.c.id),
            "provider_id": col(providers.c.id),
            "receipt": col(applications.c.receipt),
            "task_id": col(application_tasks.c.id),
            "department": sorted(set(col(application_tasks.c.department))),
            "region_id": ["ordos"],
        }


def people(world: World) -> list[tuple[str, date]]:
    with world.svc.engine.connect() as conn:
        return [
            (str(r[0]), r[1])
            for r in conn.execute(select(persons.c.id_number, persons.c.birth_date))
        ]


def leaks(text: str, who: list[tuple[str, date]]) -> list[str]:
    found = []
    for match in ID_LIKE.findall(text):
        try:
            idcard.validate(match)
        except ValueError:
            continue
        found.append(f"full ID {match}")
    for number, born in who:
        if idcard.mask(number) in text:
            for shown in (
                born.isoformat(),
                f"{born:%Y%m%d}",
                f"{born.year}年{born.month}月{born.day}日",
            ):
                if shown in text:
                    found.append(f"masked {idcard.mask(number)} beside birth date {shown}")
    return found


PARAM = re.compile(r"\{(\w+):(\w+)\}")


def api_calls(app: Litestar, ids: dict[str, list[Any]]) -> list[tuple[str, str]]:
    calls = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api"):
            continue
        names = PARAM.findall(route.path)
        combos: list[str] = [route.path]
        for name, _kind in names:
            values = ids.get(name, [1])
            combos = [c.replace(f"{{{name}:{_kind}}}", str(v)) for c in combos for v in values]
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            calls += [(str(method), c) for c in combos]
    return calls


def record_pages(ids: dict[str, list[Any]]) -> list[str]:
    urls = ["/", "/persons", "/dispatch", "/work", "/supervision", "/stats", "/config"]
    urls += [f"/cases/{i}" for i in ids["case_id"]]
    urls += [f"/cases/{i}/assess" for i in ids["case_id"]]
    urls += [f"/persons/{i}" for i in ids["person_id"]]
    urls += [f"/apply/{i}" for i in ids["person_id"]] + [
        f"/apply/{i}/print" for i in ids["person_id"]
    ]
    urls += ["/applications", "/tasks"] + [f"/applications/{r}" for r in ids["receipt"]]
    urls += [f"/applications/{r}/receipt" for r in ids["receipt"]]
    urls += [f"/applications/{r}/tasks/{t}" for r in ids["receipt"] for t in ids["task_id"]]
    urls += [f"/tasks?department={d}" for d in ids["department"]]
    return urls


def test_no_full_id_and_no_completable_pair_for_roles_without_id_full(
    app: Litestar, client: Any, busy: World
) -> None:
    world = busy
    ids = ids_of(world)
    who = people(world)
    assert len(who) >= 2 and ids["receipt"] and ids["task_id"]
    problems: list[str] = []
    reached: dict[str, int] = {}
    for role, username in MASKED_USERS.items():
        # pages: every link from home, and every record URL (reachable by typing it)
        sign_in(client, username)
        seen: set[str] = set()
        queue = deque(record_pages(ids))
        ok_pages = 0
        while queue and len(seen) < 400:
            url = queue.popleft()
            if url in seen or url.startswith(("/static/", "/schema", "/logout", "/r/")):
                continue
            seen.add(url)
            r = client.get(url, follow_redirects=False)
            ok_pages += r.status_code == 200
            problems += [f"{role} page {url}: {p}" for p in leaks(r.text, who)]
            if r.status_code == 200 and "html" in r.headers.get("content-type", ""):
                queue.extend(HREF.findall(r.text))
        # the API: every route, every id
        token = create_token(world.svc, username)
        auth = {"Authorization": f"Bearer {token}"}
        ok_api = 0
        for method, path in api_calls(app, ids):
            body: dict[str, object] | None = {} if method == "POST" else None
            r = client.request(method, path, headers=auth, json=body)
            ok_api += r.status_code < 300
            problems += [f"{role} {method} {path}: {p}" for p in leaks(r.text, who)]
        reached[role] = ok_pages + ok_api
    assert problems == []
    # the crawl saw real content for every role, not only refusals
    assert all(n >= 3 for n in reached.values()), reached


def test_the_crawl_would_see_a_leak(busy: World) -> None:
    """The checker itself: a full number, and a masked one beside its birth date, are found."""
    who = people(busy)
    number, born = who[0]
    assert leaks(f"<td>{number}</td>", who)
    assert leaks(f"{idcard.mask(number)} 出生日期 {born.isoformat()}", who)
    assert leaks(f"{idcard.mask(number)} {born.year}年{born.month}月{born.day}日", who)
    assert not leaks(f"{idcard.mask(number)} 年龄 46岁", who)
