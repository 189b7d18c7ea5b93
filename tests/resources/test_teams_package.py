"""1+1+N case teams with graded review (seed 004: “1名专业社工+1名乡镇(街道)救助专干+N名资源方
代表”，建立分级研判机制) and the household's package (救助大礼包, seed 004: 低保和临时救助及时兑现，
残联适配电动轮椅，慈善联合会送来慰问帮扶，2个孩子的教育救助同步落实)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.storage.tables import case_events
from jiuzhu.plugins.one_form.service import VERIFY, decide_task, get_application, submit_application
from jiuzhu.plugins.resources import charity, package, teams, wishes
from tests.conftest import actor_for
from tests.one_form.helpers import all_documents, approver, clerk, filled_form

from .helpers import library_ready, officer, unit_account, zhang_family


def _holders(svc, regions, codes):
    from jiuzhu.plugins.resources import library

    admin = actor_for(regions, "xingqing")
    return {r.id: "代表" for r in library.search(svc, admin) if r.code in codes}


def test_team_grades_and_reviews(svc, regions, clock) -> None:
    library_ready(svc, regions)
    home = zhang_family(svc, regions)
    o = officer(regions)
    one = _holders(svc, regions, {"nxgycs"})
    with pytest.raises(Invalid) as exc:  # 重点 needs two resource holders (resources.toml)
        teams.form_team(svc, o, home.case_id, "蔡旺红", "李玲", one, "key")
    assert exc.value.field == "holders" and "2" in exc.value.detail
    team = teams.form_team(svc, o, home.case_id, "蔡旺红", "李玲", one, "general")
    assert team.grade_label == "一般" and [h.name for h in team.holders] == [
        "宁夏公益慈善事业促进会"
    ]
    assert team.next_review_by == clock.now + __import__("datetime").timedelta(days=90)
    with pytest.raises(Refused):
        teams.form_team(svc, o, home.case_id, "蔡旺红", "李玲", one)
    with pytest.raises(Invalid):  # regraded to 疑难 with one holder: refused, nothing written
        teams.review(svc, o, home.case_id, ["蔡旺红", "李玲"], "研判", ["升级"], "difficult")
    clock.advance(days=5)
    team = teams.review(
        svc,
        o,
        home.case_id,
        ["蔡旺红", "李玲", "促进会代表"],
        "老人照顾孩子力不从心",
        ["发布学习用品微心愿"],
    )
    assert len(team.reviews) == 1 and team.reviews[0].decisions == ["发布学习用品微心愿"]
    assert team.next_review_by == clock.now + __import__("datetime").timedelta(days=90)
    with svc.engine.connect() as conn:
        kinds = [
            k
            for (k,) in conn.execute(
                select(case_events.c.kind).where(
                    case_events.c.case_id == home.case_id, case_events.c.kind.like("team.%")
                )
            )
        ]
    assert kinds == ["team.formed", "team.reviewed"]
    with pytest.raises(Invalid) as exc:
        teams.review(svc, o, home.case_id, ["一人"], "记录", ["决定"])
    assert exc.value.field == "attendees"
    with pytest.raises(Refused):
        teams.form_team(svc, actor_for(regions, "xingqing", Role.CLERK), home.case_id, "a", "b", {})
    with pytest.raises(NotFound):
        teams.get_team(svc, officer(regions, "640104003"), home.case_id)
    clock.advance(days=91)
    assert teams.get_team(svc, o, home.case_id).review_overdue


def _approved(svc, regions, home, policies):
    region = regions.get("xingqing")
    view = submit_application(
        svc,
        clerk(regions, "xingqing"),
        "xingqing",
        home.child_id,
        policies,
        filled_form(region, policies),
        all_documents(region, policies),
    )
    for task in view.tasks:
        if task.kind == "verification":
            decide_task(
                svc,
                approver(regions, "xingqing", task.department),
                view.receipt,
                task.id,
                {VERIFY: (True, "情况属实")},
            )
    view = get_application(svc, actor_for(regions, "xingqing"), view.receipt)
    for task in view.tasks:
        if task.kind == "decision":
            decide_task(
                svc,
                approver(regions, "xingqing", task.department),
                view.receipt,
                task.id,
                {c: (True, "符合条件") for c in task.decisions},
            )
    return view.receipt


def test_the_package_adds_up_by_source(svc, regions) -> None:
    admin = library_ready(svc, regions)
    home = zhang_family(svc, regions)
    o = officer(regions)
    receipt = _approved(svc, regions, home, ["dibao", "orphan", "linshi"])
    pkg = package.package(svc, o, home.household_id)
    pending = [x for x in pkg.lines if x.kind == "cash"]
    assert {x.description for x in pending} == {
        "最低生活保障（低保）",
        "孤儿基本生活费（孤儿津贴）",
        "临时救助",
    }
    assert all(x.amount_fen == 0 and receipt in x.note for x in pending)
    # amounts recorded under approved policies only
    package.record_benefit(
        svc, o, home.household_id, "cash", "", "低保金 2025年3月", 80_000, "dibao"
    )
    package.record_benefit(svc, o, home.household_id, "cash", "", "临时救助金", 300_000, "linshi")
    with pytest.raises(Refused) as exc:
        package.record_benefit(svc, o, home.household_id, "cash", "", "医疗救助", 1000, "yb_01")
    assert exc.value.rule == "policy_not_approved"
    package.record_benefit(svc, o, home.household_id, "goods", "爱心单位", "学习桌椅两套", 0)
    charity.donate(svc, admin, "xq_charity", 50_000, "爱心企业")
    charity.grant(svc, admin, "xq_charity", 20_000, home.household_id, "节日慰问")
    number = wishes.publish(
        svc, o, home.case_id, "两盏台灯", "孩子写作业需要台灯", 15_000
    ).wall.number
    unit = unit_account(svc, regions)
    wishes.claim(svc, unit, number)
    wishes.fulfil(svc, unit, number, "已送到")
    pkg = package.package(svc, o, home.household_id)
    assert pkg.by_kind == {"cash": 380_000, "goods": 0, "charity": 20_000, "wish": 15_000}
    assert pkg.total_fen == 415_000
    givers = {(t.kind, t.giver): t.amount_fen for t in pkg.totals}
    assert givers[("cash", "兴庆区民政局")] == 380_000
    assert givers[("wish", "宁夏公益慈善事业促进会")] == 15_000
    assert givers[("charity", "“兴系你”慈善资源")] == 20_000
    still = [x for x in pkg.lines if x.kind == "cash" and x.amount_fen == 0]
    assert [x.description for x in still] == ["孤儿基本生活费（孤儿津贴）"]
    with pytest.raises(Refused):  # a unit account never reads a household's package
        package.package(svc, unit, home.household_id)
    with pytest.raises(NotFound):
        package.package(svc, officer(regions, "640104003"), home.household_id)
