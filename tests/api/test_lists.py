"""Lists and searches: scoped exactly like the reads, filtered, paged by an opaque cursor
(stable by id, limit ≤ 200), people shown through the one person-shaping function."""

from __future__ import annotations

from typing import Any

from jiuzhu.core.plugins import Regions

from ..loop.helpers import some_area
from .conftest import Api
from .test_api_loop import granted_case, person_body, provider

HUTUBI = "652323"  # a county of Changji
HUTUBI_AREA = "652323100001"
CITY_AREA = "652301001001"


def all_pages(api: Api, user: str, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = api.get(user, path, params=query)
        assert r.status_code == 200, r.text
        pages += 1
        body = r.json()
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items, pages


def test_cases_and_orders_are_scoped_filtered_and_paged(api: Api, regions: Regions) -> None:
    admin = api.user("admin", "admin", "changji")
    officer = api.user("hutubi", "officer", "changji", HUTUBI)
    county = [granted_case(api, admin, "changji", HUTUBI_AREA)[1] for _ in range(5)]
    city = [granted_case(api, admin, "changji", CITY_AREA)[1] for _ in range(2)]
    # the county officer sees the county's cases only, two at a time, in id order
    items, pages = all_pages(api, officer, "/api/cases", limit=2)
    assert [c["id"] for c in items] == county and pages == 3
    # an admin of the whole region sees them all
    items, _ = all_pages(api, admin, "/api/cases", limit=200)
    assert sorted(c["id"] for c in items) == sorted(county + city)
    # a record added between pages neither repeats nor is skipped
    first = api.get(admin, "/api/cases", params={"limit": 3}).json()
    late = granted_case(api, admin, "changji", CITY_AREA)[1]
    rest, _ = all_pages(api, admin, "/api/cases", limit=3, cursor=first["next"])
    assert [c["id"] for c in first["items"] + rest] == sorted([*county, *city, late])
    # filters
    r = api.post(admin, f"/api/cases/{county[0]}/exit", {"reason": "好转"})
    assert r.status_code == 200
    items, _ = all_pages(api, officer, "/api/cases", status="exited")
    assert [c["id"] for c in items] == [county[0]]
    items, _ = all_pages(api, admin, "/api/cases", area="652301")
    assert sorted(c["id"] for c in items) == sorted([*city, late])
    items, _ = all_pages(api, officer, "/api/cases", area="652301")  # outside its county
    assert items == []
    # orders, by case, status and provider
    provider_id, _wid, _worker = provider(api, admin, "changji", "列表测试中心")
    o1 = api.post(admin, "/api/orders", {"case_id": county[1], "item_code": "zhuxing"}).json()
    o2 = api.post(admin, "/api/orders", {"case_id": county[1], "item_code": "zhuyi"}).json()
    o3 = api.post(admin, "/api/orders", {"case_id": city[0], "item_code": "zhuxing"}).json()
    api.post(admin, f"/api/orders/{o2['id']}/dispatch", {"provider_id": provider_id})
    items, _ = all_pages(api, officer, "/api/orders")
    assert [o["id"] for o in items] == [o1["id"], o2["id"]]  # not the city's
    items, _ = all_pages(api, admin, "/api/orders", case_id=county[1], status="placed")
    assert [o["id"] for o in items] == [o1["id"]]
    items, _ = all_pages(api, admin, "/api/orders", provider_id=provider_id)
    assert [o["id"] for o in items] == [o2["id"]]
    items, _ = all_pages(api, officer, "/api/orders", case_id=city[0])
    assert items == [] and o3["id"]


def test_people_are_found_by_id_number_and_name_and_shown_for_the_role(
    api: Api, regions: Regions
) -> None:
    region = regions.get("changji")
    clerk = api.user("clerk", "clerk", "changji")
    supervisor = api.user("supervisor", "supervisor", "changji")
    officer = api.user("hutubi", "officer", "changji", HUTUBI)
    area = some_area(region)
    zhang = person_body("changji", area, name="张秀英")
    r = api.post(clerk, "/api/persons", zhang)
    zhang_id = r.json()["id"]
    api.post(clerk, "/api/persons", person_body("changji", area, name="张伟"))
    api.post(clerk, "/api/persons", person_body("changji", area, name="李娜"))
    api.post(clerk, "/api/persons", person_body("changji", area, name="50%_张"))
    r = api.get(clerk, "/api/persons", params={"id_number": zhang["id_number"]})
    assert [p["id"] for p in r.json()["items"]] == [zhang_id]
    assert r.json()["items"][0]["id_number"] == zhang["id_number"]
    r = api.get(clerk, "/api/persons", params={"id_number": zhang["id_number"].lower()})
    assert [p["id"] for p in r.json()["items"]] == [zhang_id]  # a lower-case x is the same
    items, _ = all_pages(api, clerk, "/api/persons", name="张")
    assert sorted(p["name"] for p in items) == ["张伟", "张秀英"]
    items, _ = all_pages(api, clerk, "/api/persons", name="50%")  # wildcards are literal
    assert [p["name"] for p in items] == ["50%_张"]
    # roles without id.full see masked numbers, as on the person's own page
    r = api.get(supervisor, "/api/persons", params={"name": "张秀英"})
    [shown] = r.json()["items"]
    assert shown["id_number"] == zhang["id_number"][:6] + "*" * 8 + zhang["id_number"][-4:]
    assert shown == api.get(supervisor, f"/api/persons/{zhang_id}").json()
    # scope: a county officer does not find people of the city
    r = api.get(officer, "/api/persons", params={"id_number": zhang["id_number"]})
    assert r.json() == {"items": [], "next": None}
    # a malformed ID number names the field
    r = api.get(clerk, "/api/persons", params={"id_number": "12345"})
    assert r.status_code == 422 and r.json()["field"] == "id_number"


def test_limits_and_cursors_are_checked(api: Api, regions: Regions) -> None:
    admin = api.user("admin", "admin", "changji")
    for _ in range(3):
        granted_case(api, admin, "changji", CITY_AREA)
    r = api.get(admin, "/api/cases", params={"limit": 201})
    assert r.status_code == 422 and r.json()["field"] == "limit"
    r = api.get(admin, "/api/cases", params={"limit": 0})
    assert r.status_code == 422 and r.json()["field"] == "limit"
    nxt = api.get(admin, "/api/cases", params={"limit": 1}).json()["next"]
    assert nxt and "id" not in nxt  # opaque
    r = api.get(admin, "/api/cases", params={"limit": 1, "cursor": nxt, "status": "exited"})
    assert r.status_code == 422 and r.json()["field"] == "cursor"  # other filters
    r = api.get(admin, "/api/cases", params={"cursor": "not-a-cursor!"})
    assert r.status_code == 422 and r.json()["field"] == "cursor"
    r = api.get(admin, "/api/cases", params={"status": "closed"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    r = api.get(admin, "/api/cases", params={"area": "110101"})
    assert r.status_code == 422 and r.json()["field"] == "area"
    # a role without case.read lists nothing
    approver = api.user("approver", "approver", "changji", department="minzheng")
    assert api.get(approver, "/api/cases").status_code == 403
