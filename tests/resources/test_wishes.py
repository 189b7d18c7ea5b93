"""Micro-wishes (微心愿 / 许愿池, seed 004: “需求清单”……以“微心愿”形式对外发布；设立“许愿池”;
Shizuishan's 武帮您 alliance of 30 units claimed 137 wishes): published without personal
data, claimed by exactly one unit, fulfilled, confirmed; deadlines; statistics."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.storage.tables import case_events
from jiuzhu.plugins.resources import wishes
from tests.conftest import actor_for

from .helpers import KANGXIN, library_ready, officer, unit_account, zhang_family

DESKS = ("两套学习桌椅和台灯", "家中两名学龄儿童缺少学习桌椅和台灯，希望爱心单位帮助添置。")


def publish(svc, regions, home, value=60_000):
    return wishes.publish(svc, officer(regions), home.case_id, *DESKS, value, "学习用品")


def test_the_whole_journey(svc, regions, clock) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    w = publish(svc, regions, home)
    assert w.wall.status == "published" and w.wall.street == "新华街街道"
    assert w.wall.claim_by == "2025-04-02"  # 30 days (resources.toml, illustrative)
    unit = unit_account(svc, regions)
    got = wishes.claim(svc, unit, w.wall.number)
    assert got.status == "claimed" and got.claimed_by == "宁夏公益慈善事业促进会"
    assert got.fulfil_by == "2025-03-18"
    clock.advance(days=3)
    got = wishes.fulfil(svc, unit, w.wall.number, "已送到两套学习桌椅和两盏台灯")
    assert got.status == "fulfilled"
    got = wishes.confirm(svc, officer(regions), w.wall.number)
    assert got.status == "confirmed"
    view = wishes.get_wish(svc, officer(regions), w.wall.number)
    assert (view.confirmed_as, view.confirmed_by) == ("officer", "officer-xq")
    with svc.engine.connect() as conn:
        kinds = [
            k
            for (k,) in conn.execute(
                select(case_events.c.kind)
                .where(case_events.c.case_id == home.case_id, case_events.c.kind.like("wish.%"))
                .order_by(case_events.c.id)
            )
        ]
    assert kinds == ["wish.published", "wish.claimed", "wish.fulfilled", "wish.confirmed"]
    s = wishes.statistics(svc, officer(regions), "xingqing")
    assert (s.published, s.claimed, s.fulfilled, s.confirmed) == (1, 1, 1, 1)
    assert s.value_fulfilled_fen == 60_000 and s.units == 1


@pytest.mark.parametrize(
    ("title", "description", "field", "why"),
    [
        ("给张小雨买书桌", "学习用品", "title", "对象姓名"),
        ("学习桌椅", "爷爷张建军年纪大了", "description", "家庭成员姓名"),
        ("学习桌椅", "住在百货小区3号楼", "description", "家庭住址"),
        ("学习桌椅", "联系13900001111", "description", "数字串"),
        ("学习桌椅", "身份证640104201406010012", "description", "数字串"),
    ],
)
def test_a_wish_that_identifies_the_household_is_refused(
    svc, regions, title, description, field, why
) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    with pytest.raises(Invalid) as exc:
        wishes.publish(svc, officer(regions), home.case_id, title, description, 100)
    assert exc.value.field == field and why in exc.value.detail
    assert wishes.wall(svc, "xingqing") == []


def test_exactly_one_unit_claims(svc, regions) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    number = publish(svc, regions, home).wall.number
    units = [
        unit_account(svc, regions, c) for c in ("nxgycs", "zbz", "elder_care_co", "volunteer_org")
    ]
    results: list[str] = []

    def go(u) -> None:
        try:
            wishes.claim(svc, u, number)
            results.append("ok")
        except Refused as exc:
            results.append(exc.rule)

    threads = [threading.Thread(target=go, args=(u,)) for u in units]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "wish_state", "wish_state", "wish_state"]
    assert wishes.statistics(svc, None, "xingqing").claimed == 1


def test_deadlines_and_refusals(svc, regions, clock) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    unit = unit_account(svc, regions)
    late = publish(svc, regions, home).wall.number
    clock.advance(days=31)
    assert wishes.wall_wish(svc, "xingqing", late).status == "expired"
    with pytest.raises(Refused) as exc:
        wishes.claim(svc, unit, late)
    assert exc.value.rule == "wish_expired"
    number = publish(svc, regions, home).wall.number
    other = unit_account(svc, regions, "zbz")
    wishes.claim(svc, unit, number)
    with pytest.raises(Refused):  # only the claiming unit fulfils
        wishes.fulfil(svc, other, number, "已送达")
    with pytest.raises(Refused):  # not yet fulfilled: nothing to confirm
        wishes.confirm(svc, officer(regions), number)
    with pytest.raises(Refused):  # claimed: can no longer be withdrawn
        wishes.withdraw(svc, officer(regions), number, "重复发布")
    clock.advance(days=16)
    s = wishes.statistics(svc, None, "xingqing")
    assert (s.expired, s.overdue) == (1, 1)
    assert wishes.wall_wish(svc, "xingqing", number).overdue
    with pytest.raises(Invalid):
        wishes.fulfil(svc, unit, number, "联系电话13900001111")


def test_value_and_case_rules(svc, regions) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    o = officer(regions)
    for value, field in ((0, "value_fen"), (2_000_001, "value_fen")):
        with pytest.raises(Invalid) as exc:
            wishes.publish(svc, o, home.case_id, *DESKS, value)
        assert exc.value.field == field
    with pytest.raises(NotFound):  # out of the officer's street: absent
        wishes.publish(svc, officer(regions, "640104003"), home.case_id, *DESKS, 100)
    with pytest.raises(Refused):  # a unit account cannot publish
        wishes.publish(svc, unit_account(svc, regions), home.case_id, *DESKS, 100)
    unlinked = actor_for(regions, "xingqing", "unit", username="nobody")
    number = publish(svc, regions, home).wall.number
    with pytest.raises(Refused) as refused:
        wishes.claim(svc, unlinked, number)
    assert refused.value.rule == "unit"
    withdrawn = wishes.withdraw(svc, o, number, "家庭已自行解决")
    assert withdrawn.wall.status == "withdrawn"
    assert wishes.wall(svc, "xingqing") == []
    with pytest.raises(NotFound):
        wishes.wall_wish(svc, "xingqing", number)


def test_staff_see_their_area_units_see_the_wall(svc, regions) -> None:
    library_ready(svc, regions)
    xinning = zhang_family(svc, regions)
    kangxin = zhang_family(svc, regions, area=KANGXIN)
    a = publish(svc, regions, xinning).wall.number
    b = publish(svc, regions, kangxin).wall.number
    street = officer(regions, "640104002")
    assert [v.wall.number for v in wishes.staff_list(svc, street)] == [a]
    with pytest.raises(NotFound):
        wishes.get_wish(svc, street, b)
    assert {w.number for w in wishes.wall(svc, "xingqing")} == {a, b}
    assert wishes.wall_wish(svc, "xingqing", b).street == "胜利街街道"
    with pytest.raises(Refused):
        wishes.staff_list(svc, unit_account(svc, regions))
    with pytest.raises(Refused):
        wishes.statistics(svc, actor_for(regions, "xingqing", Role.WORKER), "xingqing")


def test_the_recipient_confirms(svc, regions, clock) -> None:
    from jiuzhu.core.access import system_actor

    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    number = publish(svc, regions, home).wall.number
    unit = unit_account(svc, regions)
    wishes.claim(svc, unit, number)
    wishes.fulfil(svc, unit, number, "已送到")
    clock.advance(hours=2)
    wishes.confirm(svc, system_actor("xingqing", "640104", "recipient"), number, True)
    view = wishes.get_wish(svc, officer(regions), number)
    assert view.wall.status == "confirmed" and view.confirmed_as == "recipient"
