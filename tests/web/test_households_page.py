"""The household file (一户一档) through pages: build a household from a person's page, add a
member by ID number, see members, services and totals; linked from the person and case
pages; scoped like cases."""

from __future__ import annotations

import re
from datetime import date

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services.cases import get_case
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.users import add_user

from .conftest import DONGSHENG, PASSWORD, World, csrf, post_form, sign_in


def test_a_household_from_the_person_page(client, world: World) -> None:
    admin = system_actor("ordos", "150600", "setup")
    head = get_case(world.svc, admin, world.case_east).person_id
    number = idcard.make("150602", date(1982, 2, 3), 77)
    create_person(
        world.svc,
        admin,
        NewPerson(region_id="ordos", id_number=number, name="王二", area_code=DONGSHENG),
    )
    assert sign_in(client, "ordos-officer").status_code == 303
    page = client.get(f"/persons/{head}").text
    assert 'id="new-household"' in page
    r = post_form(client, f"/persons/{head}", "/households", person_id=head, address="永兴路8号")
    assert r.status_code == 303, r.text
    path = r.headers["location"].split("?")[0]
    hid = int(path.rsplit("/", 1)[1])
    html = client.get(r.headers["location"]).text
    assert "一户一档：王秀兰" in html and "永兴路8号" in html and "已建户" in html
    r = post_form(client, path, f"{path}/members", id_number=number, relation="配偶")
    assert r.status_code == 303, r.text
    html = client.get(path).text
    members = re.search(r'<table id="members">(.*?)</table>', html, re.S)
    assert members and "王秀兰" in members[1] and "王二" in members[1] and "配偶" in members[1]
    assert 'id="totals"' in html and "服务人次" in html
    # a second head is refused on the page, nothing changes
    r = post_form(client, path, f"{path}/members", id_number=number, relation="户主")
    assert r.status_code == 422 and "户主已是王秀兰" in r.text
    # linked from the person and the case pages
    assert f'href="/households/{hid}"' in client.get(f"/persons/{head}").text
    assert f'href="/households/{hid}"' in client.get(f"/cases/{world.case_east}").text
    # another district's officer does not see it; a worker may not read files
    add_user(world.svc, "ordos-officer-west", PASSWORD, "officer", "ordos", "150603")
    client.cookies.clear()
    assert sign_in(client, "ordos-officer-west").status_code == 303
    assert client.get(path).status_code == 404
    client.cookies.clear()
    assert sign_in(client, "ordos-worker").status_code == 303
    assert client.get(path).status_code == 403


def test_joining_a_household_by_its_number(client, world: World) -> None:
    admin = system_actor("ordos", "150600", "setup")
    head = get_case(world.svc, admin, world.case_east).person_id
    other = get_case(world.svc, admin, world.case_west).person_id
    assert sign_in(client, "ordos-officer").status_code == 303
    r = post_form(client, f"/persons/{head}", "/households", person_id=head)
    path = r.headers["location"].split("?")[0]
    hid = path.rsplit("/", 1)[1]
    r = post_form(
        client,
        f"/persons/{other}",
        "/households/join",
        household_id=hid,
        person_id=other,
        relation="子女",
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}?done=joined"
    html = client.get(f"/persons/{other}").text
    assert "（子女）" in html and 'id="new-household"' not in html
    r = post_form(client, path, f"{path}/members/{other}/remove")
    assert r.status_code == 303
    assert "李建国" not in client.get(path).text
    assert csrf(client.get(f"/persons/{other}").text)


def test_the_joint_form_shows_the_household_and_records_it(client, world: World) -> None:
    from sqlalchemy import select

    from jiuzhu.core.services.households import NewHousehold, create_household, set_member
    from jiuzhu.plugins.one_form.service import submit_application
    from jiuzhu.plugins.one_form.tables import applications

    from ..one_form.helpers import filled_form

    admin = system_actor("ordos", "150600", "setup")
    head = get_case(world.svc, admin, world.case_east).person_id
    other = get_case(world.svc, admin, world.case_west).person_id
    home = create_household(
        world.svc, admin, NewHousehold(area_code=DONGSHENG, head_person_id=head)
    )
    set_member(world.svc, admin, home.id, other, "子女")
    assert sign_in(client, "ordos-clerk").status_code == 303
    html = client.get(f"/apply/{head}").text
    block = re.search(r'<div id="household-members">(.*?)</div>', html, re.S)
    assert block and "王秀兰（户主" in block[1] and "李建国（子女" in block[1]
    assert f'href="/households/{home.id}"' in block[1]
    application = submit_application(
        world.svc,
        admin,
        "ordos",
        head,
        ["service_relief"],
        filled_form(world.svc.region("ordos"), ["service_relief"]),
    )
    with world.svc.engine.connect() as conn:
        recorded = conn.execute(select(applications.c.household_id)).scalars().all()
    assert recorded == [home.id]
    client.cookies.clear()
    assert sign_in(client, "ordos-officer").status_code == 303
    html = client.get(f"/households/{home.id}").text
    section = re.search(r'<section id="section-one_form-applications">(.*?)</section>', html, re.S)
    assert section and application.receipt in section[1] and "王秀兰" in section[1]
