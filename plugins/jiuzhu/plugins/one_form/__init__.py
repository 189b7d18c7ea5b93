"""One-form combined application (一类事一次办): one form, many policies, many departments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.access import Actor, Permission, Role, RoleDef, View
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services

from . import tables  # noqa: F401  (the plugin's tables join the core MetaData)
from .config import PolicyList
from .roles import APPROVER, departments


@hookimpl
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    register(RoleDef(name=APPROVER, label="部门审批员", departments=departments))


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    staff = (Role.ADMIN, Role.OFFICER, Role.CLERK)
    register(
        Permission(
            name="application.accept",
            description="一表受理: accept a joint application at the front desk",
            roles=staff,
        )
    )
    register(
        Permission(
            name="application.read",
            description="applications: approvers only those with a task of their department",
            roles=(*staff, APPROVER, Role.SUPERVISOR),
            person_view=View.MASKED,
        )
    )
    register(
        Permission(
            name="task.decide",
            description="decide a department's task (approvers: their department's only)",
            roles=(APPROVER, Role.ADMIN),
        )
    )


EVENTS = {
    "application.accepted": "一表受理",
    "application.verified": "网格员入户核实",
    "application.policy_approved": "事项批准",
    "application.policy_rejected": "事项不批准",
    "application.service_opened": "开通服务清单事项",
    "application.task_decided": "部门审批",
    "application.decided": "联办办结",
}


@hookimpl
def jiuzhu_register_labels(region: Region | None, register: Callable[[str, Any], None]) -> None:
    register("event", EVENTS)
    register(
        "permission",
        {
            "application.accept": "一表受理",
            "application.read": "查看联办申请",
            "task.decide": "部门审批",
        },
    )
    register("field", {"form": "联办表", "approve": "批准与否", "receipt": "受理编号"})
    register(
        "rule",
        {
            "application.pending": "已有办理中的申请",
            "application.busy": "受理编号冲突",
            "application.conflict": "并发修改",
            "task.decided": "事项已决定",
        },
    )
    policies = region.section("policies", PolicyList) if region is not None else None
    if policies is not None:
        register("policy", {p.code: p.name for p in policies.policies})
        register("field", {f.code: f.label for f in policies.fields})
        register("field", {d.code: d.name for d in policies.departments})


@hookimpl
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
    register(Path(__file__).parent / "migrations", "one_form")


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("policies", PolicyList)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    policies = region.section("policies", PolicyList)
    if policies is None:
        return None
    items = {i.code for i in region.catalogue.items}
    path = region.data_dir / "policies.toml"
    return [
        f"{path}: policies[{i}].opens_items: {code!r} is not a catalogue item"
        for i, p in enumerate(policies.policies)
        for code in p.opens_items
        if code not in items
    ]


@hookimpl
def jiuzhu_web_routes(register: Callable[[Any], None]) -> None:
    from .web import ROUTES

    for route in ROUTES:
        register(route)


@hookimpl
def jiuzhu_web_pages(register: Callable[[Any], None]) -> None:
    from .pages import PAGES

    for handler in PAGES:
        register(handler)


@hookimpl
def jiuzhu_page_sections(
    page: str, svc: Services, actor: Actor, key: int | None
) -> list[PageSection] | None:
    from .sections import case_applications, household_applications, pending_tasks

    if page == "home":
        return pending_tasks(svc, actor)
    if page == "household" and key is not None:
        return household_applications(svc, actor, key)
    if page == "case" and key is not None:
        return case_applications(svc, actor, key)
    if page == "recipient" and key is not None:  # the recipient's own page: no staff links
        return case_applications(svc, actor, key, for_recipient=True)
    return None
