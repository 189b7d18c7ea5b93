"""Group sessions (小组工作 / 主题活动) through pages: a worker plans one on the phone, finds
attendees by name within the session's area, checks each in (one person-time each; a
second check-in is refused on the page), and closes it. Changji's 精神文化培育 is a group
item that spends no individual entitlement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import grant_entitlement, open_case, record_assessment
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.providers import create_provider, create_worker
from jiuzhu.core.services.stats import statistics
from jiuzhu.core.services.users import add_user

from .conftest import PASSWORD, World, csrf, sign_in

CHANGJI_AREA = "652301001001"


@dataclass
class Changji:
    case_id: int
    name: str
    worker: str  # a worker's username
    officer: str


def changji(svc: Services, serial: int = 1) -> Changji:
    """An active Changji case, a provider with a worker, and users for both doors."""
    actor = system_actor("changji", "652300", "setup")
    region = svc.region("changji")
    person = create_person(
        svc,
        actor,
        NewPerson(
            region_id="changji",
            id_number=idcard.make("652301", date(1950, 2, 3), serial),
            name="古丽娜",
            area_code=CHANGJI_AREA,
            groups=["低保"],
        ),
    )
    case = open_case(svc, actor, person.id)
    answers = {i.code: 0 for d in region.instrument.domains for i in d.indicators}
    record_assessment(svc, actor, case.id, answers)
    grant_entitlement(svc, actor, case.id)
    provider = create_provider(svc, actor, "changji", "昌吉活动中心", "652301")
    worker = create_worker(svc, actor, provider.id, "阿依古丽", ["社会工作师"])
    add_user(
        svc,
        "changji-worker",
        PASSWORD,
        "worker",
        "changji",
        "652301",
        provider_id=provider.id,
        worker_id=worker.id,
    )
    add_user(svc, "changji-officer", PASSWORD, "officer", "changji", "652300")
    return Changji(case.id, person.name, "changji-worker", "changji-officer")


def test_a_group_session_on_the_workers_phone(client, world: World) -> None:
    cj = changji(world.svc)
    assert sign_in(client, cj.worker).status_code == 303
    html = client.get("/sessions").text
    assert 'id="new-session"' in html and "精神文化培育" in html
    r = client.post(
        "/sessions",
        data={
            "item_code": "jingshen_wenhua",
            "title": "读书分享会",
            "starts_at": "2025-03-03T10:00",
            "minutes": "90",
            "area_code": "652301",
            "_csrf_token": csrf(html),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    path = r.headers["location"].split("?")[0]
    found = client.get(f"{path}?q=古丽").text
    assert cj.name in found and "签到：古丽娜" in found
    r = client.post(
        f"{path}/attendees",
        data={"case_id": str(cj.case_id), "q": "古丽", "_csrf_token": csrf(found)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=checked")
    page = client.get(path).text
    assert re.search(r'id="attendance">1人次<', page)
    assert "已签到" in client.get(f"{path}?q=古丽").text
    again = client.post(
        f"{path}/attendees",
        data={"case_id": str(cj.case_id), "_csrf_token": csrf(page)},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "已签到本次活动" in again.text
    closed = client.post(f"{path}/close", data={"_csrf_token": csrf(page)}, follow_redirects=False)
    assert closed.status_code == 303
    assert "已结束" in client.get(path).text
    # one person-time, 1.5 hours, in the statistics
    officer = system_actor("changji", "652300")
    total = statistics(world.svc, officer, group_by="item").total
    assert (total.person_times, total.hours) == (1, 1.5)


def test_a_worker_of_another_area_finds_nobody_to_check_in(client, world: World) -> None:
    cj = changji(world.svc)
    add_user(world.svc, "changji-officer-far", PASSWORD, "officer", "changji", "652302")
    assert sign_in(client, cj.officer).status_code == 303
    html = client.get("/sessions").text
    provider = re.search(r'<select id="s-provider" name="provider_id"><option value="(\d+)"', html)
    assert provider
    r = client.post(
        "/sessions",
        data={
            "item_code": "jingshen_wenhua",
            "title": "书法小组",
            "starts_at": "2025-03-03T10:00",
            "minutes": "60",
            "area_code": "652301",
            "provider_id": provider[1],
            "_csrf_token": csrf(html),
        },
        follow_redirects=False,
    )
    path = r.headers["location"].split("?")[0]
    client.cookies.clear()
    assert sign_in(client, "changji-officer-far").status_code == 303
    assert client.get(path).status_code == 404  # the session's area is not theirs
