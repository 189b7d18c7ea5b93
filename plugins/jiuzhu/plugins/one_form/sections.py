"""What the one-form adds to core pages: an approver's pending tasks on the home page and
a household's applications in its file (一户一档)."""

from __future__ import annotations

from sqlalchemy import select

from jiuzhu.core.access import Actor, area_subtree
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services
from jiuzhu.core.storage.tables import persons
from jiuzhu.core.web.pages.common import local_time

from .roles import APPROVER
from .tables import application_policies, application_tasks, applications

KINDS = {"decision": "部门审批", "verification": "入户核实"}
STATUS = {"pending": "办理中", "decided": "已办结"}


def pending_tasks(svc: Services, actor: Actor) -> list[PageSection]:
    """An approver's department queue: pending tasks by deadline."""
    if actor.role != APPROVER or not actor.can("task.decide"):
        return []
    region = svc.region(actor.region_id)
    now = svc.now()
    with svc.reading() as conn:
        rows = conn.execute(
            select(application_tasks, applications.c.receipt)
            .join(applications, applications.c.id == application_tasks.c.application_id)
            .where(
                application_tasks.c.region_id == actor.region_id,
                application_tasks.c.department == actor.department,
                application_tasks.c.status == "pending",
                applications.c.area_code.in_(sorted(area_subtree(region.info, actor.area_code))),
            )
            .order_by(application_tasks.c.due_at)
            .limit(100)
        ).mappings()
        out = [
            {
                "receipt": r["receipt"],
                "id": r["id"],
                "kind": KINDS.get(r["kind"], r["kind"]),
                "due": local_time(r["due_at"]) + ("（已超期）" if r["due_at"] < now else ""),
            }
            for r in rows
        ]
    return [
        PageSection(
            key="one_form.tasks",
            title="本部门待审事项",
            columns=[("receipt", "受理编号"), ("kind", "类型"), ("due", "时限")],
            rows=out,
            link="/applications/{receipt}/tasks/{id}",
            empty="暂无待审事项",
            actions=[("/tasks", "打开部门审批")],
        )
    ]


def household_applications(svc: Services, actor: Actor, household_id: int) -> list[PageSection]:
    """The one-form applications of a household's members (一户一档)."""
    if not actor.can("application.read"):
        return []
    with svc.reading() as conn:
        rows = conn.execute(
            select(applications, persons.c.name)
            .join(persons, persons.c.id == applications.c.person_id)
            .where(applications.c.household_id == household_id)
            .order_by(applications.c.id)
        ).mappings()
        out = [
            {
                "receipt": r["receipt"],
                "applicant": r["name"],
                "status": STATUS.get(r["status"], r["status"]),
                "accepted": local_time(r["accepted_at"]),
                "case_id": r["case_id"],
            }
            for r in rows
        ]
    return [
        PageSection(
            key="one_form.applications",
            title="联办申请（一类事一次办）",
            columns=[
                ("receipt", "受理编号"),
                ("applicant", "申请人"),
                ("status", "状态"),
                ("accepted", "受理时间"),
            ],
            rows=out,
            link="/applications/{receipt}",
            empty="暂无联办申请",
        )
    ]


def case_applications(
    svc: Services, actor: Actor, case_id: int, for_recipient: bool = False
) -> list[PageSection]:
    """The one-form applications filed under a case (一人一档), newest first, linked; for
    the recipient's own page with each policy's result and no links to staff pages."""
    if not actor.can("application.read"):
        return []
    if for_recipient:
        return _recipient_applications(svc, case_id)
    with svc.reading() as conn:
        rows = conn.execute(
            select(applications)
            .where(applications.c.case_id == case_id)
            .order_by(applications.c.id.desc())
        ).mappings()
        out = [
            {
                "receipt": r["receipt"],
                "status": STATUS.get(r["status"], r["status"]),
                "accepted": local_time(r["accepted_at"]),
                "decided": local_time(r["decided_at"]) or "—",
            }
            for r in rows
        ]
    return [
        PageSection(
            key="one_form.case_applications",
            title="联办申请（一类事一次办）",
            columns=[
                ("receipt", "受理编号"),
                ("status", "状态"),
                ("accepted", "受理时间"),
                ("decided", "办结时间"),
            ],
            rows=out,
            link="/applications/{receipt}",
            empty="暂无联办申请",
        )
    ]


def _recipient_applications(svc: Services, case_id: int) -> list[PageSection]:
    from .service import STATUS_LABELS, policy_list

    with svc.reading() as conn:
        apps = (
            conn.execute(
                select(applications)
                .where(applications.c.case_id == case_id)
                .order_by(applications.c.id.desc())
            )
            .mappings()
            .all()
        )
        pols = (
            conn.execute(
                select(application_policies).where(
                    application_policies.c.application_id.in_([a["id"] for a in apps])
                )
            )
            .mappings()
            .all()
        )
    names: dict[str, str] = {}
    if apps:
        plist = policy_list(svc.region(str(apps[0]["region_id"])))
        names = {p.code: p.name for p in plist.policies}
    rows = []
    for a in apps:
        for p in pols:
            if p["application_id"] != a["id"]:
                continue
            rows.append(
                {
                    "receipt": a["receipt"],
                    "policy": names.get(p["policy_code"], p["policy_code"]),
                    "status": "退回补正"
                    if a["status"] == "returned" and p["status"] == "pending"
                    else STATUS_LABELS.get(p["status"], p["status"]),
                    "accepted": local_time(a["accepted_at"])[:10],
                }
            )
    return [
        PageSection(
            key="one_form.my_applications",
            title="我的申请办理进度",
            columns=[
                ("receipt", "受理编号"),
                ("policy", "申请事项"),
                ("status", "办理状态"),
                ("accepted", "受理日期"),
            ],
            rows=rows,
            empty="没有联办申请",
        )
    ]
