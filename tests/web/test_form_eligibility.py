"""Issue 18 point 2: the joint form runs the region's eligibility at the window and on the
reviewer's page. 建议 (a pre-tick) only when the rule passes, with the reason shown; a
61-year-old 低保 applicant is not suggested 服务类社会救助 in Ordos, whose rule excludes
低保 over 60 (they have 居家养老上门服务 instead)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jiuzhu.core import idcard
from jiuzhu.core.access import Role, system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.users import add_user
from jiuzhu.core.times import local_date
from jiuzhu.plugins.one_form.service import assess, get_application, submit_application
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form

from .conftest import DONGSHENG, PASSWORD, World, sign_in

SERVICE = "service_relief"


def _person(world: World, born: date, serial: int, name: str) -> int:
    actor = system_actor("ordos", "150600", "setup")
    return create_person(
        world.svc,
        actor,
        NewPerson(
            region_id="ordos",
            id_number=idcard.make("150602", born, serial),
            name=name,
            area_code=DONGSHENG,
            groups=["低保"],
            disability_grade=4,
        ),
    ).id


def _ticked(html: str, code: str) -> bool:
    tag = re.search(rf'<input type="checkbox" name="policies" value="{code}"[^>]*>', html)
    assert tag, f"no checkbox for {code}"
    return "checked" in tag.group(0)


def test_window_suggests_only_what_the_region_rule_admits(
    client: Any, world: World, clock: Any
) -> None:
    today = local_date(clock.now)
    old = _person(world, date(today.year - 61, 1, 5), 31, "高秀英")
    young = _person(world, date(today.year - 45, 1, 5), 32, "马春生")
    sign_in(client, "ordos-clerk")

    html = client.get(f"/apply/{old}").text
    # the policy's own pre-tick rule holds (低保, grade 4), the region's rule does not
    assert not _ticked(html, SERVICE)
    why = re.search(rf'id="why-{SERVICE}">([^<]*)<', html)
    assert why and why.group(1).startswith("不建议：")
    assert "60周岁以上低保对象已享受居家养老上门服务" in why.group(1)
    # the programme meant for them is suggested, with its reason
    assert _ticked(html, "home_elderly_care")
    assert "建议理由：档案符合" in html

    html = client.get(f"/apply/{young}").text
    assert _ticked(html, SERVICE)
    why = re.search(rf'id="why-{SERVICE}">([^<]*)<', html)
    assert why and why.group(1).startswith("建议理由：")
    assert "符合：60周岁以下、轻度残疾（残疾人证四级）的低保对象" in why.group(1)
    assert not _ticked(html, "home_elderly_care")

    # the API's form and the printed form agree with the page
    region = world.svc.regions.get("ordos")
    from jiuzhu.core.services.people import get_person

    officer = actor_for(world.svc.regions, "ordos")
    person = get_person(world.svc, officer, old)
    found = assess(region, person, today, world.svc.regions)[SERVICE]
    assert found.eligible is False and not found.suggested
    # without the region's rules only the policy's own rule decides (the old behaviour)
    assert assess(region, person, today)[SERVICE].suggested


def test_reviewer_sees_the_eligibility_check(client: Any, world: World, clock: Any) -> None:
    today = local_date(clock.now)
    old = _person(world, date(today.year - 61, 1, 5), 33, "高秀英")
    regions = world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    region = regions.get("ordos")
    # the clerk ticks it anyway (the applicant insists): the reviewer must see the rule
    view = submit_application(
        world.svc, clerk, "ordos", old, [SERVICE], filled_form(region, [SERVICE]), ["身份证"]
    )
    add_user(world.svc, "ordos-mz", PASSWORD, "approver", "ordos", "150600", department="mz")
    task = next(t.id for t in view.tasks if t.department == "mz")
    sign_in(client, "ordos-mz")
    html = client.get(f"/applications/{view.receipt}/tasks/{task}").text
    box = re.search(rf'id="eligibility-{SERVICE}">(.*?)</div>', html, re.S)
    assert box, "no eligibility check on the reviewer's page"
    assert "不符合" in box.group(1) and "批准后将无法授予服务额度" in box.group(1)
    assert 'class="error" id="eligibility-' in html
    assert get_application(world.svc, clerk, view.receipt).status == "pending"
