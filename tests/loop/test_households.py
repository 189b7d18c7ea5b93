"""Households (一户一档): members with relations and a head, moves recorded on the members'
cases, the household file shaped for the reader, and households in the statistics."""

from __future__ import annotations

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import case_file
from jiuzhu.core.services.households import (
    NewHousehold,
    create_household,
    household_file,
    remove_member,
    set_member,
)
from jiuzhu.core.services.orders import NewOrder, place_order
from jiuzhu.core.services.people import get_person
from jiuzhu.core.services.stats import statistics

from ..conftest import actor_for
from .helpers import (
    LOOP_ITEM,
    area_in_county,
    deliver,
    eligible_case,
    item_named,
    new_person,
    provider_with_worker,
    some_area,
)

REGION = "changji"


def _events(svc: Services, case_id: int, kind: str) -> list[dict[str, object]]:
    actor = actor_for(svc.regions, REGION)
    return [e.detail for e in case_file(svc, actor, case_id).events if e.kind == kind]


def test_a_household_with_a_head_and_members(svc: Services) -> None:
    region = svc.region(REGION)
    admin = actor_for(svc.regions, REGION)
    head_case = eligible_case(svc, admin, region)
    head = head_case.person_id
    home = create_household(
        svc,
        admin,
        NewHousehold(area_code=some_area(region), address="幸福路1号", head_person_id=head),
    )
    assert home.head_person_id == head and home.size == 1
    assert get_person(svc, admin, head).relation == "户主"
    assert _events(svc, head_case.id, "household.joined")[0]["household_id"] == home.id
    spouse = new_person(svc, admin, region)
    child = new_person(svc, admin, region, household_id=home.id, relation="子女")
    assert set_member(svc, admin, home.id, spouse, "配偶").size == 3
    assert get_person(svc, admin, child).household_id == home.id
    # one head only
    with pytest.raises(Refused) as two_heads:
        set_member(svc, admin, home.id, spouse, "户主")
    assert two_heads.value.rule == "household.head"
    with pytest.raises(Invalid):
        set_member(svc, admin, home.id, spouse, "邻居")
    # the head steps down, the spouse takes over
    set_member(svc, admin, home.id, head, "配偶")
    assert set_member(svc, admin, home.id, spouse, "户主").head_person_id == spouse
    assert _events(svc, head_case.id, "household.relation")
    file = household_file(svc, admin, home.id)
    assert [m.relation for m in file.members] == ["户主", "配偶", "子女"]
    assert file.head == "测试对象" and file.household.size == 3


def test_moving_and_leaving_are_events_on_the_members_cases(svc: Services) -> None:
    region = svc.region(REGION)
    admin = actor_for(svc.regions, REGION)
    case = eligible_case(svc, admin, region)
    area = some_area(region)
    first = create_household(
        svc, admin, NewHousehold(area_code=area, head_person_id=case.person_id)
    )
    second = create_household(svc, admin, NewHousehold(area_code=area))
    moved = set_member(svc, admin, second.id, case.person_id, "子女")
    assert moved.size == 1
    assert household_file(svc, admin, first.id).household.head_person_id is None
    assert household_file(svc, admin, first.id).members == []
    assert _events(svc, case.id, "household.moved")[0]["moved_from"] == first.id
    left = remove_member(svc, admin, second.id, case.person_id)
    assert left.size == 1 and get_person(svc, admin, case.person_id).household_id is None
    assert _events(svc, case.id, "household.left")[0]["household_id"] == second.id
    with pytest.raises(NotFound):
        remove_member(svc, admin, second.id, case.person_id)


def test_the_household_file_holds_the_members_services_and_totals(svc: Services) -> None:
    region = svc.region(REGION)
    admin = actor_for(svc.regions, REGION)
    a = eligible_case(svc, admin, region)
    b = eligible_case(svc, admin, region)
    home = create_household(
        svc, admin, NewHousehold(area_code=some_area(region), head_person_id=a.person_id)
    )
    set_member(svc, admin, home.id, b.person_id, "配偶")
    provider, worker_id = provider_with_worker(svc, admin, region)
    worker = actor_for(svc.regions, REGION, Role.WORKER, provider_id=provider, worker_id=worker_id)
    code = item_named(region, LOOP_ITEM[REGION])
    for case in (a, b):
        order = place_order(svc, admin, NewOrder(case_id=case.id, item_code=code, quantity=2))
        deliver(svc, admin, worker, order.id, provider, minutes=45)
    file = household_file(svc, admin, home.id)
    assert {c.id for c in file.cases} == {a.id, b.id}
    assert len(file.orders) == 2 and len(file.deliveries) == file.totals.person_times
    # an hour item of 2 hours served 45 minutes a visit: 3 visits each, 6 person-times
    assert region.catalogue.item(code).by_time and file.totals.person_times == 6
    assert file.totals.minutes == 45 * file.totals.person_times
    assert file.totals.money_fen == sum(o.amount_fen for o in file.orders)
    assert sum(file.totals.by_source.values()) == file.totals.money_fen
    assert set(file.totals.source_names) == set(file.totals.by_source)
    # statistics count the household once, its two members as persons
    stats = statistics(svc, admin, group_by="region")
    assert (stats.total.households, stats.total.persons) == (1, 2)
    assert stats.total.person_times == file.totals.person_times


def test_the_file_is_shaped_for_the_reader_and_scoped_like_cases(svc: Services) -> None:
    region = svc.region(REGION)
    admin = actor_for(svc.regions, REGION)
    counties = [a.code for a in region.info.areas if a.parent == region.info.code]
    here, there = area_in_county(region, counties[0]), area_in_county(region, counties[1])
    head = new_person(svc, admin, region, area=here)
    away = new_person(svc, admin, region, area=there)
    home = create_household(svc, admin, NewHousehold(area_code=here, head_person_id=head))
    set_member(svc, admin, home.id, away, "子女")
    officer = actor_for(svc.regions, REGION, Role.OFFICER, area_code=counties[0])
    file = household_file(svc, officer, home.id)
    assert [m.person.id for m in file.members] == [head] and file.hidden_members == 1
    supervisor = actor_for(svc.regions, REGION, Role.SUPERVISOR, area_code=counties[0])
    seen = household_file(svc, supervisor, home.id).members[0].person
    assert seen.birth_date is None and seen.id_number is not None and "*" in seen.id_number
    elsewhere = actor_for(svc.regions, REGION, Role.OFFICER, area_code=counties[1])
    with pytest.raises(NotFound):
        household_file(svc, elsewhere, home.id)
    with pytest.raises(NotFound):  # nor may they add their people to it
        set_member(svc, elsewhere, home.id, away, "其他")
    worker = actor_for(svc.regions, REGION, Role.WORKER)
    with pytest.raises(Refused):
        household_file(svc, worker, home.id)
    with pytest.raises(Invalid):  # a relation needs a household
        new_person(svc, admin, region, relation="子女")
