"""一类事一次办: the Shizuishan household, a second region, and the plugin's contract."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from jiuzhu.core import idcard
from jiuzhu.core.access import Role
from jiuzhu.core.services.cases import case_file, record_assessment
from jiuzhu.plugins.one_form.render import render_form, render_receipt
from jiuzhu.plugins.one_form.service import (
    VERIFY,
    application_events,
    check_form,
    decide_task,
    department_tasks,
    form_schema,
    get_application,
    receipt_prefix,
    submit_application,
    suggest,
)
from tests.conftest import actor_for
from tests.loop.helpers import new_person, zero_answers

from .helpers import all_documents, approver, clerk, filled_form, plist, verify

# 李大伟 (seed 004, a pseudonym): 37, kidney failure, paralysed, wife gave up work to care,
# two young daughters; his mother applied at the 朝阳街 window; the same day the form was
# accepted, the grid worker verified that night; 低保 + 临时救助, an electric wheelchair from
# 残联, a charity visit, education aid for the two children.
LI_POLICIES = ["dibao", "linshi", "assistive_devices", "education_aid", "charity_visit"]
LI_FORM = {
    "address": "大武口区朝阳街某小区",
    "household_income": 0,
    "assets": "积蓄已花光，另有治病欠款",
    "housing": "自有住房",
    "employment": "丧失劳动能力",
    "support_persons": "母亲王红玉，妻子为照顾家庭辞去护士工作",
    "bank_account": "6228********1234",
    "hardship_cause": "2024年确诊肾衰竭，双腿瘫痪，丧失劳动能力",
    "medical_out_of_pocket": 4_000_000,
    "disability_cert_no": "64020219870101123X11",
    "disability_grade": "一级",
    "care_needs": "下肢瘫痪，出行需轮椅，定期透析",
    "has_student": True,
    "student_count": 2,
    "school_stage": "义务教育",
}
LI_DOCS = [
    "身份证",
    "户口簿",
    "家庭经济状况核对授权书",
    "收入证明",
    "致困情况说明",
    "医疗费用票据",
    "残疾人证",
    "学生证或在校证明",
]


def li_dawei(svc, regions):
    region = regions.get("shizuishan")
    admin = actor_for(regions, "shizuishan")
    pid = new_person(
        svc,
        admin,
        region,
        born=date(1987, 1, 1),
        groups=(),
        disability_grade=1,
        major_illness=True,
        household_size=5,
        income_per_capita_fen=0,
        phone="13800000000",
    )
    return region, pid


def test_form_schema_has_every_policy_and_department(regions):
    region = regions.get("shizuishan")
    form = form_schema(region)
    assert len(form.policies) == 43 and len(form.departments) == 14
    assert sorted(c for codes in form.groups.values() for c in codes) == sorted(
        p.code for p in form.policies
    )
    li = {p.code: p for p in form.policies}
    assert li["assistive_devices"].department_name == "残疾人联合会"
    assert "残疾人证" in li["disability_allowances"].documents
    assert li["dibao"].who  # the pre-tick rule in words
    assert li["mental_rehab"].who == ""  # no rule: never pre-ticked


def test_front_desk_pre_ticks_and_warns(svc, regions):
    region, pid = li_dawei(svc, regions)
    from jiuzhu.core.services.people import get_person

    person = get_person(svc, actor_for(regions, "shizuishan"), pid)
    ticks = suggest(region, person, date(2025, 3, 3))
    for code in ("dibao", "linshi", "assistive_devices", "charity_visit", "disability_allowances"):
        assert code in ticks
    assert "education_aid" not in ticks  # he is not a student; the clerk ticks it
    assert "tekun" not in ticks
    warnings = check_form(plist(region), ["disability_allowances", "dibao"], {}, ["身份证"])
    assert "缺少材料「残疾人证」" in warnings["disability_allowances"]
    assert any("银行" in w or "社会保障卡" in w for w in warnings["dibao"])
    assert (
        check_form(
            plist(region),
            ["disability_allowances"],
            LI_FORM
            | {
                "applicant_name": "李大伟",
                "id_number": "x",
                "income_per_capita": 0,
            },
            ["身份证", "残疾人证"],
        )
        == {}
    )


def test_shizuishan_flow_parallel_decisions_and_combined_outcome(svc, regions, clock):
    region, pid = li_dawei(svc, regions)
    desk = clerk(regions, "shizuishan")
    app = submit_application(svc, desk, "shizuishan", pid, LI_POLICIES, LI_FORM, LI_DOCS)
    prefix = receipt_prefix(region, plist(region))
    assert app.receipt == f"{prefix}-20250303-0001"
    assert app.status == "pending" and app.warnings == {}
    assert app.form["applicant_name"] == "测试对象"  # filled from the person's file
    # accepted the same day: one task per department plus the grid worker's visit
    depts = {t.department: t for t in app.tasks}
    assert set(depts) == {"grid", "mz", "cl", "jy", "cs"}
    assert depts["grid"].kind == VERIFY
    assert sorted(depts["mz"].decisions) == ["dibao", "linshi"]
    assert str(depts["cl"].due_at.date()) == "2025-03-18"  # 15 calendar days
    assert str(depts["cs"].due_at.date()) == "2025-03-13"
    second = submit_application(
        svc,
        desk,
        "shizuishan",
        new_person(svc, desk, region),
        ["dibao"],
        filled_form(region, ["dibao"]),
    )
    assert second.receipt == f"{prefix}-20250303-0002"

    # the grid worker verifies that night; departments decide in parallel, in any order
    clock.advance(hours=10)
    decide_task(
        svc,
        approver(regions, "shizuishan", "grid"),
        app.receipt,
        depts["grid"].id,
        {VERIFY: (True, "入户核实：情况属实")},
    )
    clock.advance(days=5)
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "cs"),
        app.receipt,
        depts["cs"].id,
        {"charity_visit": (True, "慈善联合会联动社会资源慰问")},
    )
    assert r.services_opened == ["link_charity"] and r.entitlement == "needs_assessment"
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "cl"),
        app.receipt,
        depts["cl"].id,
        {"assistive_devices": (True, "适配电动轮椅")},
    )
    assert r.services_opened == ["dis_aids"]
    # 民政 decides one policy now and the other later; the task stays open in between
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "mz"),
        app.receipt,
        depts["mz"].id,
        {"linshi": (True, "因病致困，给予临时救助")},
    )
    assert r.task.status == "pending" and r.application.status == "pending"
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "mz"),
        app.receipt,
        depts["mz"].id,
        {"dibao": (True, "家庭人均收入低于低保标准")},
    )
    assert r.task.status == "decided" and r.application.status == "pending"
    clock.advance(days=20)
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "jy"),
        app.receipt,
        depts["jy"].id,
        {"education_aid": (False, "子女学籍不在本市，转学籍地办理")},
    )
    done = r.application
    assert done.status == "decided"
    assert done.outcome == {
        "dibao": "approved",
        "linshi": "approved",
        "assistive_devices": "approved",
        "education_aid": "rejected",
        "charity_visit": "approved",
    }
    assert done.version == 6  # one per decision
    assert {p.code: p.reason for p in done.policies}["education_aid"].startswith("子女学籍")
    # the approver's view (masked) is the one the decision returned; the desk sees it whole
    assert get_application(svc, approver(regions, "shizuishan", "jy"), app.receipt) == done
    whole = get_application(svc, desk, app.receipt)
    assert whole.form["id_number"] == idcard.validate(whole.form["id_number"])
    assert done.form["id_number"] == idcard.mask(whole.form["id_number"])
    assert msgspec.structs.replace(whole, form=done.form) == done

    # every step is an event on the household's case
    kinds = [e.kind for e in case_file(svc, desk, app.case_id).events]
    assert kinds[:2] == ["case.opened", "application.accepted"]
    assert kinds.count("application.task_decided") == 5
    assert kinds.count("application.policy_approved") == 4
    assert kinds.count("application.policy_rejected") == 1
    assert kinds.count("application.service_opened") == 2
    assert kinds.count("application.verified") == 1
    assert kinds[-1] == "application.decided" and kinds.count("application.decided") == 1
    assert len(application_events(svc, desk, app.receipt)) == len(kinds) - 1

    html = render_receipt(svc, desk, app.receipt)
    assert app.receipt in html and "@page" in html and "size: A4" in html
    for name in ("最低生活保障（低保）", "临时救助", "残疾人辅助器具适配（电动轮椅等）"):
        assert name in html
    assert "不批准" in html and "未批准" not in html and "http" not in html

    # the pending slot is free again once decided: a new 低保 application is accepted
    again = submit_application(svc, desk, "shizuishan", pid, ["dibao"], LI_FORM, LI_DOCS)
    assert again.case_id == app.case_id  # the same open case


def test_reuses_open_case(svc, regions):
    from jiuzhu.core.services.cases import open_case

    _region, pid = li_dawei(svc, regions)
    admin = actor_for(regions, "shizuishan")
    case = open_case(svc, admin, pid, "政策找人")
    app = submit_application(
        svc, clerk(regions, "shizuishan"), "shizuishan", pid, ["linshi"], LI_FORM
    )
    assert app.case_id == case.id


def test_approved_service_policy_grants_entitlement_when_assessed(svc, regions):
    region = regions.get("shizuishan")
    admin = actor_for(regions, "shizuishan")
    pid = new_person(
        svc, admin, region, born=date(1950, 1, 1), groups=("低保",), disability_grade=0
    )
    desk = clerk(regions, "shizuishan")
    app = submit_application(
        svc, desk, "shizuishan", pid, ["home_eldercare"], filled_form(region, ["home_eldercare"])
    )
    record_assessment(svc, admin, app.case_id, zero_answers(region))
    verify(svc, regions, "shizuishan", app)
    task = next(t for t in app.tasks if t.department == "mz")
    r = decide_task(
        svc,
        approver(regions, "shizuishan", "mz"),
        app.receipt,
        task.id,
        {"home_eldercare": (True, "符合困难老年人居家养老服务条件")},
    )
    assert r.entitlement == "granted"
    assert r.services_opened == ["elder_clean", "elder_bath", "elder_meal"]
    file = case_file(svc, admin, app.case_id)
    assert len(file.entitlements) == 1 and file.case.status == "active"
    assert file.events[-1].kind == "entitlement.granted"


@pytest.mark.parametrize("region_id", ["changji", "binzhou"])
def test_the_same_plugin_serves_another_region(svc, regions, region_id):
    region = regions.get(region_id)
    pl = plist(region)
    form = form_schema(region)
    assert form.name == pl.name and len(form.policies) == len(pl.policies)
    html = render_form(region)
    assert pl.name in html and "size: A4" in html and "http" not in html
    assert all(p.name in html for p in pl.policies)
    # one policy from each of the first three departments
    chosen = [
        next(p.code for p in pl.policies if p.department == d.code) for d in pl.departments[:3]
    ]
    desk = clerk(regions, region_id)
    pid = new_person(svc, actor_for(regions, region_id), region)
    app = submit_application(
        svc,
        desk,
        region_id,
        pid,
        chosen,
        filled_form(region, chosen),
        all_documents(region, chosen),
    )
    assert app.receipt.startswith(receipt_prefix(region, pl) + "-20250303-")
    assert app.warnings == {}
    for t in sorted(app.tasks, key=lambda t: t.kind != VERIFY):  # the visit first
        key = VERIFY if t.kind == VERIFY else None
        decisions: dict[str, tuple[bool, str]] = (
            {key: (True, "属实")} if key else {c: (True, "符合条件") for c in t.decisions}
        )
        decide_task(svc, approver(regions, region_id, t.department), app.receipt, t.id, decisions)
    final = get_application(svc, desk, app.receipt)
    assert final.status == "decided" and set(final.outcome.values()) == {"approved"}
    assert len(final.tasks) == 3 + (1 if pl.verification_visit else 0)


def test_overdue_tasks_per_department(svc, regions, clock):
    _region, pid = li_dawei(svc, regions)
    desk = clerk(regions, "shizuishan")
    app = submit_application(
        svc, desk, "shizuishan", pid, ["dibao", "charity_visit"], LI_FORM, LI_DOCS
    )
    officer = actor_for(regions, "shizuishan", Role.OFFICER)
    assert department_tasks(svc, officer, "cs", overdue=True) == []
    clock.advance(days=11)  # 慈善 10 days, grid 3 days, 民政 15 days
    assert [t.receipt for t in department_tasks(svc, officer, "cs", overdue=True)] == [app.receipt]
    assert len(department_tasks(svc, officer, "grid", overdue=True)) == 1
    assert department_tasks(svc, officer, "mz", overdue=True) == []
    assert [t.department for t in department_tasks(svc, officer, "mz")] == ["mz"]
    cs = approver(regions, "shizuishan", "cs")
    task = department_tasks(svc, cs, "cs")[0]
    assert task.overdue
    verify(svc, regions, "shizuishan", app)
    decide_task(svc, cs, app.receipt, task.id, {"charity_visit": (True, "已慰问")})
    assert department_tasks(svc, cs, "cs", overdue=True) == []
