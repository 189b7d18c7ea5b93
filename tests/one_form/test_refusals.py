"""Bad input gets a clear error naming the field or the rule, and nothing is half-written."""

from __future__ import annotations

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.plugins.one_form.service import (
    VERIFY,
    decide_task,
    department_tasks,
    get_application,
    submit_application,
)
from tests.conftest import actor_for
from tests.loop.helpers import new_person

from .helpers import approver, clerk, filled_form, row_counts

POLICIES = ["dibao", "assistive_devices"]


@pytest.fixture
def setup(svc, regions):
    region = regions.get("shizuishan")
    pid = new_person(svc, actor_for(regions, "shizuishan"), region, disability_grade=1)
    return region, pid, clerk(regions, "shizuishan")


def refused_cleanly(engine, call, exc_type):
    before = row_counts(engine)
    with pytest.raises(exc_type) as info:
        call()
    assert row_counts(engine) == before
    return info.value


def test_unknown_policy_names_policies(svc, setup):
    _region, pid, desk = setup
    exc = refused_cleanly(
        svc.engine,
        lambda: submit_application(svc, desk, "shizuishan", pid, ["dibao", "flying_car"], {}),
        Invalid,
    )
    assert exc.field == "policies" and "flying_car" in exc.detail
    for bad in ([], ["dibao", "dibao"]):
        assert (
            refused_cleanly(
                svc.engine,
                lambda b=bad: submit_application(svc, desk, "shizuishan", pid, b, {}),
                Invalid,
            ).field
            == "policies"
        )


def test_missing_required_field_names_it(svc, setup):
    region, pid, desk = setup
    form = filled_form(region, POLICIES)
    del form["bank_account"]
    exc = refused_cleanly(
        svc.engine,
        lambda: submit_application(svc, desk, "shizuishan", pid, POLICIES, form),
        Invalid,
    )
    assert exc.field == "form.bank_account" and "社会保障卡或银行账号" in exc.detail
    # a blank value is missing too; a wrong kind or choice or an unknown field is named
    for patch, field in (
        ({"bank_account": "  "}, "form.bank_account"),
        ({"household_size": "five"}, "form.household_size"),
        ({"housing": "城堡"}, "form.housing"),
        ({"favourite_colour": "red"}, "form.favourite_colour"),
    ):
        bad = filled_form(region, POLICIES) | patch
        assert (
            refused_cleanly(
                svc.engine,
                lambda b=bad: submit_application(svc, desk, "shizuishan", pid, POLICIES, b),
                Invalid,
            ).field
            == field
        )


def test_missing_document_is_a_warning_not_a_refusal(svc, setup):
    region, pid, desk = setup
    app = submit_application(
        svc,
        desk,
        "shizuishan",
        pid,
        ["assistive_devices"],
        filled_form(region, ["assistive_devices"]),
        ["身份证"],
    )
    assert app.warnings == {"assistive_devices": ["缺少材料「残疾人证」"]}


def test_second_pending_application_for_the_same_policy_is_409(svc, setup):
    region, pid, desk = setup
    first = submit_application(
        svc, desk, "shizuishan", pid, POLICIES, filled_form(region, POLICIES)
    )
    exc = refused_cleanly(
        svc.engine,
        lambda: submit_application(
            svc,
            desk,
            "shizuishan",
            pid,
            ["linshi", "dibao"],
            filled_form(region, ["linshi", "dibao"]),
        ),
        Refused,
    )
    assert exc.rule == "application.pending" and exc.facts["receipt"] == first.receipt
    # another policy for the same person is fine
    submit_application(svc, desk, "shizuishan", pid, ["linshi"], filled_form(region, ["linshi"]))


def test_decisions_refused(svc, regions, setup):
    region, pid, desk = setup
    app = submit_application(svc, desk, "shizuishan", pid, POLICIES, filled_form(region, POLICIES))
    mz = next(t for t in app.tasks if t.department == "mz")
    grid = next(t for t in app.tasks if t.kind == VERIFY)
    mz_approver = approver(regions, "shizuishan", "mz")

    def decide(actor, task_id, decisions, exc_type):
        return refused_cleanly(
            svc.engine, lambda: decide_task(svc, actor, app.receipt, task_id, decisions), exc_type
        )

    # a policy not in the task
    exc = decide(mz_approver, mz.id, {"assistive_devices": (True, "同意")}, Invalid)
    assert exc.field == "decisions"
    # not before the grid worker's verification visit
    assert decide(mz_approver, mz.id, {"dibao": (True, "同意")}, Refused).rule == "task.unverified"
    # a refusal without a reason
    assert (
        decide(mz_approver, mz.id, {"dibao": (False, " ")}, Invalid).field
        == "decisions.dibao.reason"
    )
    # another department's task
    assert (
        decide(
            approver(regions, "shizuishan", "cl"), mz.id, {"dibao": (True, "同意")}, Refused
        ).rule
        == "access"
    )
    # a clerk cannot decide
    assert decide(desk, mz.id, {"dibao": (True, "同意")}, Refused).rule == "access"
    # unknown task / receipt
    decide(mz_approver, 99999, {"dibao": (True, "同意")}, NotFound)
    with pytest.raises(NotFound):
        decide_task(svc, mz_approver, "SZS-20990101-0001", mz.id, {"dibao": (True, "同意")})
    # a task already decided: 409, and a decided policy of an open task too
    decide_task(
        svc, approver(regions, "shizuishan", "grid"), app.receipt, grid.id, {VERIFY: (True, "属实")}
    )
    assert (
        decide(
            approver(regions, "shizuishan", "grid"), grid.id, {VERIFY: (False, "改口")}, Refused
        ).rule
        == "task.decided"
    )
    decide_task(svc, mz_approver, app.receipt, mz.id, {"dibao": (False, "收入超标")})
    assert decide(mz_approver, mz.id, {"dibao": (True, "复议")}, Refused).rule == "task.decided"
    assert get_application(svc, desk, app.receipt).status == "pending"


def test_scope_and_queues(svc, regions, setup):
    region, pid, desk = setup
    app = submit_application(svc, desk, "shizuishan", pid, POLICIES, filled_form(region, POLICIES))
    other = actor_for(regions, "ordos", Role.OFFICER)
    with pytest.raises(NotFound):
        get_application(svc, other, app.receipt)
    with pytest.raises(NotFound):
        submit_application(
            svc, actor_for(regions, "ordos", Role.CLERK), "shizuishan", pid, ["dibao"], {}
        )
    with pytest.raises(NotFound):
        department_tasks(svc, desk, "nasa")
    with pytest.raises(Refused):
        department_tasks(svc, approver(regions, "shizuishan", "mz"), "cl")
