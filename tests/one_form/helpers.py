"""Builders for the one-form tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from jiuzhu.core.access import Actor, Role
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.one_form.roles import APPROVER
from tests.conftest import actor_for

SAMPLE = {"text": "已填写", "int": 2, "money": 150000, "bool": True, "date": "2025-01-01"}


def plist(region: Region) -> PolicyList:
    found = region.section("policies", PolicyList)
    assert found is not None
    return found


def filled_form(region: Region, policies: list[str]) -> dict[str, Any]:
    """Every field the chosen policies need, with a plausible value of its kind."""
    pl = plist(region)
    fields = {f.code: f for f in pl.fields}
    out: dict[str, Any] = {}
    for code in policies:
        for f in pl.policy(code).fields:
            field = fields[f]
            out[f] = field.choices[-1] if field.kind == "choice" else SAMPLE[field.kind]
    return out


def all_documents(region: Region, policies: list[str]) -> list[str]:
    pl = plist(region)
    return sorted({d for c in policies for d in pl.policy(c).documents})


def approver(regions: Regions, region_id: str, department: str) -> Actor:
    return actor_for(
        regions, region_id, APPROVER, department=department, username=f"审批-{department}"
    )


def clerk(regions: Regions, region_id: str) -> Actor:
    return actor_for(regions, region_id, Role.CLERK, username=f"窗口-{region_id}")


def row_counts(engine: Engine) -> dict[str, int]:
    from jiuzhu.core.storage.tables import case_events, cases
    from jiuzhu.plugins.one_form.tables import (
        application_policies,
        application_tasks,
        applications,
    )

    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (applications, application_policies, application_tasks, case_events, cases)
        }


def verify(svc: Any, regions: Regions, region_id: str, app: Any) -> None:
    """The grid worker's verification visit (departments decide only after it)."""
    from jiuzhu.plugins.one_form.service import VERIFY, decide_task

    for t in app.tasks:
        if t.kind == VERIFY:
            decide_task(
                svc,
                approver(regions, region_id, t.department),
                app.receipt,
                t.id,
                {VERIFY: (True, "入户核实：情况属实")},
            )
