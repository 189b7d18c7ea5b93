"""One-form combined application (一类事一次办): accept once, split by department, decide in
parallel, one combined outcome. Everything region-specific comes from the region's
policies.toml (PolicyList); nothing here names a region.

Steps, each an event on the household's case (case_events):
``application.accepted`` → per department ``application.task_decided`` (plus
``application.policy_approved`` / ``application.policy_rejected``, and
``application.service_opened`` for an approved service policy) → ``application.decided``.

Deadlines are calendar days from acceptance (``Department.deadline_days``,
``PolicyList.verification_days``); holidays are not skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import Connection, Select, case, func, select, text, update
from sqlalchemy.exc import IntegrityError

from jiuzhu.core.access import (
    Actor,
    area_subtree,
    check_scope,
    shown_text,
    shown_values,
    system_actor,
)
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.conditions import describe_criteria
from jiuzhu.core.domain import Person
from jiuzhu.core.facts import Population
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import Eligibility
from jiuzhu.core.services import Services, append_event, fetch_one, plain
from jiuzhu.core.services.cases import insert_case, open_case_of
from jiuzhu.core.services.people import person_facts
from jiuzhu.core.services.scoped import scoped_area_rows
from jiuzhu.core.services.search import DEFAULT_LIMIT, page
from jiuzhu.core.storage.tables import assessments, case_events, cases, entitlements, persons
from jiuzhu.core.times import local_date

from .config import FormField, Policy, PolicyList
from .roles import APPROVER
from .tables import application_policies, application_tasks, applications

VERIFY = "verification"  # the key a verification-visit task is decided under
PENDING, APPROVED, REJECTED, DECIDED = "pending", "approved", "rejected", "decided"
RETURNED = "returned"  # the application, sent back to the window for correction (补正)
KIND_LABELS = {
    "cash": "现金救助",
    "service": "服务类救助",
    "in_kind": "实物救助",
    "other": "其他事项",
}
# one word for one result everywhere: 不批准 (never 未批准)
STATUS_LABELS = {
    PENDING: "办理中",
    APPROVED: "已批准",
    REJECTED: "不批准",
    DECIDED: "已办结",
    RETURNED: "退回补正",
}
APPROVED_REASON = "同意"  # an approval needs no typed reason
# form fields filled from the person's file when the clerk leaves them empty
PERSON_FIELDS = {
    "applicant_name": "name",
    "name": "name",
    "id_number": "id_number",
    "phone": "phone",
    "household_size": "household_size",
    "income_per_capita": "income_per_capita_fen",
    "disability_grade": "disability_grade",
    "major_illness": "major_illness",
}


# --- the form ---------------------------------------------------------------------------
class PolicyView(msgspec.Struct, kw_only=True):
    code: str
    name: str
    department: str
    department_name: str
    kind: str
    kind_label: str
    group: str
    fields: list[str]
    documents: list[str]
    who: str  # the pre-tick rule in words ("" when none)
    opens_items: list[str]
    description: str


class DepartmentView(msgspec.Struct, kw_only=True):
    code: str
    name: str
    deadline_days: int
    policies: list[str]


class FormSchema(msgspec.Struct, kw_only=True):
    region_id: str
    region_name: str
    name: str
    summary: str
    verification_visit: bool
    verification_department: str
    verification_name: str
    departments: list[DepartmentView]
    fields: list[FormField]
    groups: dict[str, list[str]]  # group -> policy codes, in list order
    policies: list[PolicyView]
    # filled when the form is built for one person (front desk)
    person_id: int | None = None
    suggested: list[str] = []
    prefill: dict[str, Any] = {}
    warnings: dict[str, list[str]] = {}


def policy_list(region: Region) -> PolicyList:
    policies = region.section("policies", PolicyList)
    if policies is None:
        raise NotFound("policies", region.id)
    return policies


def form_schema(region: Region) -> FormSchema:
    """The joint form of a region: household fields, then every policy by group."""
    plist = policy_list(region)
    depts = {d.code: d for d in plist.departments}
    groups: dict[str, list[str]] = {}
    for p in plist.policies:
        groups.setdefault(p.group, []).append(p.code)
    return FormSchema(
        region_id=region.id,
        region_name=region.info.name,
        name=plist.name,
        summary=plist.summary.strip(),
        verification_visit=plist.verification_visit,
        verification_department=plist.verification_department,
        verification_name=plist.verification_name,
        departments=[
            DepartmentView(
                code=d.code,
                name=d.name,
                deadline_days=d.deadline_days,
                policies=[p.code for p in plist.policies if p.department == d.code],
            )
            for d in plist.departments
        ],
        fields=list(plist.fields),
        groups=groups,
        policies=[
            PolicyView(
                code=p.code,
                name=p.name,
                department=p.department,
                department_name=depts[p.department].name,
                kind=p.kind,
                kind_label=KIND_LABELS[p.kind],
                group=p.group,
                fields=list(p.fields),
                documents=list(p.documents),
                who=describe_criteria(p.who),
                opens_items=list(p.opens_items),
                description=p.description,
            )
            for p in plist.policies
        ],
    )


class Suggestion(msgspec.Struct, kw_only=True, frozen=True):
    """Whether the front desk pre-ticks a policy (建议) for one person, and why."""

    code: str
    suggested: bool
    reason: str  # in words: the rule that holds, or what fails
    # the region's eligibility for the service loop, for a policy that opens catalogue items
    # (None: the policy opens none, so the rule does not apply)
    eligible: bool | None = None


def opens_loop(p: Policy) -> bool:
    """An approved policy that opens catalogue items grants the service entitlement, which the
    region's eligibility rule decides; such a policy is only suggested when that rule passes."""
    return bool(p.opens_items)


def assess(
    region: Region, person: Person, on: date, regions: Regions | None = None
) -> dict[str, Suggestion]:
    """Per policy of the form: suggested or not, with the reason. A policy is suggested when
    its ``who`` holds for the person on ``on`` and, for a policy that opens the service loop,
    the region's eligibility rule (``regions.eligibility``) admits the person too — so the
    window never suggests what the officer's grant will refuse. Policies without a rule are
    never pre-ticked; the clerk ticks them."""
    pop = Population.of([person_facts(person, on)])
    decision: Eligibility | None = None
    out: dict[str, Suggestion] = {}
    for p in policy_list(region).policies:
        if p.who is None:
            out[p.code] = Suggestion(
                code=p.code, suggested=False, reason="没有预勾选条件，由窗口核对后勾选"
            )
            continue
        holds = bool(p.who.mask(pop)[0])
        reason = ("档案符合：" if holds else "档案不符合：") + describe_criteria(p.who)
        eligible: bool | None = None
        if opens_loop(p) and regions is not None:
            if decision is None:
                decision = regions.eligibility(region, pop, on)
            eligible = bool(decision.eligible[0])
            reason += "；本地区服务类救助资格：" + (
                "；".join(decision.reasons(0))
                if eligible
                else "不符合（" + "；".join(decision.reasons(0)) + "）"
            )
        out[p.code] = Suggestion(
            code=p.code,
            suggested=holds and eligible is not False,
            reason=reason,
            eligible=eligible,
        )
    return out


def suggest(region: Region, person: Person, on: date, regions: Regions | None = None) -> list[str]:
    """The policies pre-ticked at the front desk (see `assess`); without ``regions`` only the
    policies' own ``who`` rules are applied."""
    return [c for c, s in assess(region, person, on, regions).items() if s.suggested]


GRADE_NUMERALS = "一二三四"


def _fact_value(f: FormField, value: Any) -> Any:
    """A person's fact as the form field's kind holds it, or None when it cannot say.
    A disability grade (1–4) fills an int field as it is and a choice field with the choice
    naming the grade (e.g. 「四级」), grade 0 the choice 「无」; a bool fills a bool field."""
    if isinstance(value, bool):
        return value if f.kind == "bool" else None
    if f.code == "disability_grade" and isinstance(value, int):
        if f.kind == "int":
            return value
        if f.kind == "choice":
            wanted = (
                [c for c in f.choices if c in ("无", "否", "无残疾")]
                if value == 0
                else [c for c in f.choices if 0 < value <= 4 and GRADE_NUMERALS[value - 1] in c]
            )
            return wanted[0] if len(wanted) == 1 else None
        return None
    return value


def prefill(plist: PolicyList, person: Person) -> dict[str, Any]:
    """Form values taken from the person's file: name, ID number, phone, household size and
    income, disability grade and major illness (when the form has such fields)."""
    fields = {f.code: f for f in plist.fields}
    out: dict[str, Any] = {}
    for code, attr in PERSON_FIELDS.items():
        if code not in fields:
            continue
        value = _fact_value(fields[code], getattr(person, attr))
        if value not in ("", None):
            out[code] = value
    return out


def alternatives(document: str) -> list[str]:
    """A document named 「A或B」 is satisfied by either: ["A", "B"] (["A"] for a plain one)."""
    return [d.strip() for d in document.split("或") if d.strip()] or [document]


def form_documents(plist: PolicyList) -> list[str]:
    """The documents a clerk can tick, each alternative of an 「A或B」 document on its own."""
    out: list[str] = []
    for p in plist.policies:
        for d in p.documents:
            out += [a for a in alternatives(d) if a not in out]
    return out


def has_document(document: str, have: set[str]) -> bool:
    return document in have or any(a in have for a in alternatives(document))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_form(
    plist: PolicyList, chosen: Sequence[str], form: Mapping[str, Any], documents: Sequence[str]
) -> dict[str, list[str]]:
    """Per chosen policy, what is missing: fields (any, required or not) and documents."""
    labels = {f.code: f.label for f in plist.fields}
    have = {d.strip() for d in documents}
    out: dict[str, list[str]] = {}
    for code in chosen:
        try:
            p = plist.policy(code)
        except KeyError:
            continue
        notes = [f"缺少填写项「{labels[f]}」" for f in p.fields if _missing(form.get(f))]
        notes += [f"缺少材料「{d}」" for d in p.documents if not has_document(d, have)]
        if notes:
            out[code] = notes
    return out


def _check_value(field: FormField, value: Any) -> Any:
    name = f"form.{field.code}"
    if field.kind in ("int", "money"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(
                name, f"「{field.label}」应为整数" + ("（分）" if field.kind == "money" else "")
            )
        if value < 0:
            raise Invalid(name, f"「{field.label}」不能为负数")
    elif field.kind == "bool":
        if not isinstance(value, bool):
            raise Invalid(name, f"「{field.label}」应为是/否")
    elif field.kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise Invalid(name, f"「{field.label}」应为日期（YYYY-MM-DD）") from None
    elif field.kind == "choice":
        if value not in field.choices:
            raise Invalid(name, f"「{field.label}」应为 {'、'.join(field.choices)} 之一")
    elif not isinstance(value, str):
        raise Invalid(name, f"「{field.label}」应为文字")
    elif len(value) > 500:
        raise Invalid(name, f"「{field.label}」过长（最多500字）")
    return value


def validate_submission(
    plist: PolicyList,
    chosen: Sequence[str],
    form: Mapping[str, Any],
    documents: Sequence[str],
) -> tuple[list[Policy], dict[str, Any], list[str]]:
    """Policies, the cleaned form and documents — or Invalid naming the field."""
    if not chosen:
        raise Invalid("policies", "请至少勾选一项救助事项")
    if len(set(chosen)) != len(chosen):
        raise Invalid("policies", "救助事项重复勾选")
    unknown = [c for c in chosen if c not in {p.code for p in plist.policies}]
    if unknown:
        raise Invalid("policies", f"未知的救助事项 {unknown}（不在「{plist.name}」中）")
    fields = {f.code: f for f in plist.fields}
    clean: dict[str, Any] = {}
    for code, value in form.items():
        if code not in fields:
            raise Invalid(f"form.{code}", f"联办表没有填写项「{code}」")
        if _missing(value):
            continue
        clean[code] = _check_value(fields[code], value)
    policies = [plist.policy(c) for c in chosen]
    for p in policies:
        for f in p.fields:
            if fields[f].required and f not in clean:
                raise Invalid(f"form.{f}", f"「{p.name}」须填写「{fields[f].label}」")
    docs = []
    for d in documents:
        if not isinstance(d, str) or not d.strip():
            raise Invalid("documents", "材料名称不能为空")
        if d.strip() not in docs:
            docs.append(d.strip())
    return policies, clean, docs


# --- views --------------------------------------------------------------------------------
class PolicyOutcome(msgspec.Struct, kw_only=True):
    code: str
    name: str
    department: str
    department_name: str
    kind: str
    status: str  # pending / approved / rejected
    reason: str


class TaskView(msgspec.Struct, kw_only=True):
    id: int
    receipt: str
    department: str
    department_name: str
    kind: Literal["decision", "verification"]
    status: str
    due_at: datetime
    overdue: bool
    decided_by: str
    decided_at: datetime | None
    decisions: dict[str, dict[str, Any]]  # policy -> {status, reason}


class ApplicationView(msgspec.Struct, kw_only=True):
    receipt: str
    region_id: str
    case_id: int
    person_id: int
    applicant: str
    status: str  # pending / decided
    version: int
    accepted_at: datetime
    accepted_by: str
    decided_at: datetime | None
    form: dict[str, Any]
    documents: list[str]
    policies: list[PolicyOutcome]
    tasks: list[TaskView]
    warnings: dict[str, list[str]]
    outcome: dict[str, str]  # policy -> approved / rejected, once decided


def _task_view(
    plist: PolicyList,
    row: Mapping[str, Any],
    receipt: str,
    now: datetime,
    actor: Actor | None = None,
) -> TaskView:
    dept = row["department"]
    if row["kind"] == VERIFY:
        dname = plist.verification_name
    else:
        try:
            dname = plist.department(dept).name
        except KeyError:
            dname = dept
    return TaskView(
        id=row["id"],
        receipt=receipt,
        department=dept,
        department_name=dname,
        kind=row["kind"],
        status=row["status"],
        due_at=row["due_at"],
        overdue=row["status"] == PENDING and row["due_at"] < now,
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decisions=dict(row["decisions"])
        if actor is None
        else shown_values(actor, row["decisions"]),
    )


def _load_view(
    svc: Services, conn: Connection, region: Region, app: dict[str, Any], actor: Actor
) -> ApplicationView:
    """The application as `actor` may see it: ID numbers in the form and the reasons
    masked for roles without id.full (access.shown_values)."""
    plist = policy_list(region)
    now = svc.now()
    prow = conn.execute(
        select(application_policies).where(application_policies.c.application_id == app["id"])
    ).mappings()
    order = {p.code: i for i, p in enumerate(plist.policies)}
    pols = sorted((plain(r) for r in prow), key=lambda r: order.get(r["policy_code"], 1 << 30))
    tasks = conn.execute(
        select(application_tasks)
        .where(application_tasks.c.application_id == app["id"])
        .order_by(application_tasks.c.id)
    ).mappings()
    person_name = conn.execute(
        select(persons.c.name).where(persons.c.id == app["person_id"])
    ).scalar_one()
    outcomes = []
    for r in pols:
        code = r["policy_code"]
        try:
            p: Policy | None = plist.policy(code)
        except KeyError:
            p = None
        outcomes.append(
            PolicyOutcome(
                code=code,
                name=p.name if p else code,
                department=r["department"],
                department_name=_dept_name(plist, r["department"]),
                kind=p.kind if p else "other",
                status=r["status"],
                reason=shown_text(actor, r["reason"]),
            )
        )
    return ApplicationView(
        receipt=app["receipt"],
        region_id=app["region_id"],
        case_id=app["case_id"],
        person_id=app["person_id"],
        applicant=person_name,
        status=app["status"],
        version=app["version"],
        accepted_at=app["accepted_at"],
        accepted_by=app["accepted_by"],
        decided_at=app["decided_at"],
        form=shown_values(actor, app["form"]),
        documents=list(app["documents"]),
        policies=outcomes,
        tasks=[_task_view(plist, plain(t), app["receipt"], now, actor) for t in tasks],
        warnings=check_form(plist, [o.code for o in outcomes], app["form"], app["documents"]),
        outcome={o.code: o.status for o in outcomes} if app["status"] == DECIDED else {},
    )


def _dept_name(plist: PolicyList, code: str) -> str:
    try:
        return plist.department(code).name
    except KeyError:
        return code


# --- accept ---------------------------------------------------------------------------------
def receipt_prefix(region: Region, plist: PolicyList) -> str:
    return plist.receipt_prefix or region.id.upper()[:12]


ATTEMPTS = 8


def _serialise_numbering(conn: Connection, prefix: str, day: date) -> None:
    """One acceptance at a time per receipt series (region and day). SQLite's BEGIN
    IMMEDIATE already serialises writers; on PostgreSQL a transaction-scoped advisory lock
    does, taken before any row lock. The unique receipt column and a retry stay as backstop."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"jiuzhu.one_form.receipt:{prefix}-{day:%Y%m%d}"},
        )


def _next_receipt(conn: Connection, prefix: str, day: date) -> str:
    stem = f"{prefix}-{day:%Y%m%d}-"
    last = conn.execute(
        select(func.max(applications.c.receipt)).where(applications.c.receipt.like(stem + "%"))
    ).scalar()
    n = int(str(last).rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{n:04d}"


def _open_case_in(
    svc: Services, conn: Connection, region: Region, actor: Actor, person: Person
) -> int:
    """The person's open case, or a new one (inside the caller's transaction)."""
    existing = open_case_of(conn, person, lock=True)
    if existing is not None:
        return existing
    return insert_case(svc, conn, region, actor, person, "一类事一次办受理")


def pending_policies(svc: Services, person_id: int) -> dict[str, str]:
    """The person's policies still pending, each with the receipt it is pending under."""
    with svc.reading() as conn:
        return {
            str(code): str(receipt)
            for code, receipt in conn.execute(
                select(application_policies.c.policy_code, applications.c.receipt)
                .join(applications, applications.c.id == application_policies.c.application_id)
                .where(
                    application_policies.c.person_id == person_id,
                    application_policies.c.status == PENDING,
                )
                .order_by(applications.c.id)
            )
        }


def _pending_clash(conn: Connection, region_id: str, person_id: int, codes: list[str]) -> None:
    row = conn.execute(
        select(application_policies.c.policy_code, applications.c.receipt)
        .join(applications, applications.c.id == application_policies.c.application_id)
        .where(
            application_policies.c.region_id == region_id,
            application_policies.c.person_id == person_id,
            application_policies.c.policy_code.in_(codes),
            application_policies.c.status == PENDING,
        )
    ).first()
    if row is not None:
        raise Refused(
            "application.pending",
            f"该对象的「{row[0]}」已有办理中的申请（受理编号 {row[1]}），不能重复申请",
            policy=row[0],
            receipt=row[1],
        )


def submit_application(
    svc: Services,
    actor: Actor,
    region_id: str,
    person_id: int,
    policies: Sequence[str],
    form: Mapping[str, Any],
    documents: Sequence[str] = (),
) -> ApplicationView:
    """一表受理: validate, open (or reuse) the case, number the receipt, split into one task
    per department (plus the verification visit), all in one transaction."""
    actor.require("application.accept")
    region = svc.region(region_id)
    plist = policy_list(region)
    if region_id != actor.region_id:
        raise NotFound("region", region_id)
    with svc.reading() as conn:
        prow = fetch_one(conn, persons, "person", person_id, id=person_id)
    person = msgspec.convert(prow, Person)
    if person.region_id != region_id:
        raise NotFound("person", person_id)
    check_scope(actor, region.info, "person", person_id, person.region_id, person.area_code)
    given = {k: v for k, v in form.items() if not _missing(v)}
    merged = {**prefill(plist, person), **given}
    chosen, clean, docs = validate_submission(plist, list(policies), merged, list(documents))
    codes = [p.code for p in chosen]
    for attempt in range(ATTEMPTS):
        try:
            with svc.transaction() as conn:
                _serialise_numbering(conn, receipt_prefix(region, plist), local_date(svc.now()))
                _pending_clash(conn, region_id, person_id, codes)
                receipt = _accept(svc, conn, region, plist, actor, person, chosen, clean, docs)
                app = fetch_one(conn, applications, "application", receipt, receipt=receipt)
                view = _load_view(svc, conn, region, app, actor)
        except IntegrityError as exc:
            if "application_policies" in str(exc.orig):
                raise Refused(
                    "application.pending", "该对象所选事项已有办理中的申请，不能重复申请"
                ) from None
            if attempt == ATTEMPTS - 1:
                raise Refused("application.busy", "受理编号冲突，请重试") from None
            continue  # receipt number or case taken by a concurrent acceptance: retry
        return view
    raise AssertionError("unreachable")


def _accept(
    svc: Services,
    conn: Connection,
    region: Region,
    plist: PolicyList,
    actor: Actor,
    person: Person,
    chosen: list[Policy],
    form: dict[str, Any],
    docs: list[str],
) -> str:
    now = svc.now()
    case_id = _open_case_in(svc, conn, region, actor, person)
    receipt = _next_receipt(conn, receipt_prefix(region, plist), local_date(now))
    aid = conn.execute(
        applications.insert().values(
            receipt=receipt,
            region_id=region.id,
            case_id=case_id,
            person_id=person.id,
            household_id=person.household_id,
            area_code=person.area_code,
            form=form,
            documents=docs,
            status=PENDING,
            version=0,
            accepted_at=now,
            accepted_by=actor.username,
        )
    ).inserted_primary_key
    assert aid is not None
    conn.execute(
        application_policies.insert(),
        [
            {
                "application_id": aid[0],
                "policy_code": p.code,
                "region_id": region.id,
                "person_id": person.id,
                "department": p.department,
                "status": PENDING,
                "reason": "",
            }
            for p in chosen
        ],
    )
    by_dept: dict[str, list[str]] = {}
    for p in chosen:
        by_dept.setdefault(p.department, []).append(p.code)
    rows = [
        {
            "application_id": aid[0],
            "region_id": region.id,
            "department": dept,
            "kind": "decision",
            "status": PENDING,
            "due_at": now + timedelta(days=plist.department(dept).deadline_days),
            "decided_by": "",
            "decided_at": None,
            "decisions": {c: {"status": PENDING, "reason": ""} for c in codes},
        }
        for dept, codes in by_dept.items()
    ]
    if plist.verification_visit:
        rows.insert(
            0,
            {
                "application_id": aid[0],
                "region_id": region.id,
                "department": plist.verification_department,
                "kind": VERIFY,
                "status": PENDING,
                "due_at": now + timedelta(days=plist.verification_days),
                "decided_by": "",
                "decided_at": None,
                "decisions": {VERIFY: {"status": PENDING, "reason": ""}},
            },
        )
    conn.execute(application_tasks.insert(), rows)
    warnings = check_form(plist, [p.code for p in chosen], form, docs)
    append_event(
        svc,
        conn,
        region,
        case_id,
        actor.username,
        "application.accepted",
        f"{plist.name}：一次受理{len(chosen)}项，分转{len(by_dept)}个部门",
        receipt=receipt,
        policies=[p.code for p in chosen],
        departments=list(by_dept),
        verification=plist.verification_visit,
        warnings=warnings,
    )
    return receipt


# --- read -----------------------------------------------------------------------------------
def _load_application(
    svc: Services, conn: Connection, actor: Actor, receipt: str, lock: bool = False
) -> tuple[Region, dict[str, Any]]:
    app = fetch_one(conn, applications, "application", receipt, lock=lock, receipt=receipt)
    region = svc.region(app["region_id"])
    check_scope(actor, region.info, "application", receipt, app["region_id"], app["area_code"])
    if actor.role == APPROVER and not _has_task(conn, app["id"], actor.department):
        raise NotFound("application", receipt)  # approvers see their department's only
    return region, app


def _has_task(conn: Connection, application_id: int, department: str) -> bool:
    return (
        conn.execute(
            select(application_tasks.c.id).where(
                application_tasks.c.application_id == application_id,
                application_tasks.c.department == department,
            )
        ).first()
        is not None
    )


def get_application(svc: Services, actor: Actor, receipt: str) -> ApplicationView:
    """Progress by receipt number: every policy's status and every department's task."""
    actor.require("application.read")
    with svc.reading() as conn:
        region, app = _load_application(svc, conn, actor, receipt)
        return _load_view(svc, conn, region, app, actor)


def _department_query(
    svc: Services, actor: Actor, department: str
) -> tuple[PolicyList, Select[Any]]:
    """The department's tasks the actor may see (the checks of ``department_tasks``)."""
    actor.require("application.read")
    region = svc.region(actor.region_id)
    plist = policy_list(region)
    known = {d.code for d in plist.departments}
    if plist.verification_visit:
        known.add(plist.verification_department)
    if department not in known:
        raise NotFound("department", department)
    if actor.role == APPROVER and actor.department != department:
        raise Refused("access", f"部门审批员只能查看本部门（{actor.department}）的任务")
    query = (
        select(application_tasks, applications.c.receipt)
        .join(applications, applications.c.id == application_tasks.c.application_id)
        .where(
            application_tasks.c.region_id == region.id,
            application_tasks.c.department == department,
            applications.c.area_code.in_(area_subtree(region.info, actor.area_code)),
        )
    )
    return plist, query


def department_tasks(
    svc: Services, actor: Actor, department: str, overdue: bool = False
) -> list[TaskView]:
    """A department's queue in the actor's region (pending first, by deadline); with
    ``overdue`` only pending tasks past their deadline. Approvers see their own queue only."""
    plist, query = _department_query(svc, actor, department)
    now = svc.now()
    query = query.order_by(application_tasks.c.status.desc(), application_tasks.c.due_at)
    if overdue:
        query = query.where(application_tasks.c.status == PENDING, application_tasks.c.due_at < now)
    with svc.reading() as conn:
        rows = conn.execute(query).mappings().all()
    return [_task_view(plist, plain(r), r["receipt"], now, actor) for r in rows]


class Queue(msgspec.Struct, kw_only=True):
    """One page of a department's pending tasks (by deadline: overdue ones come first),
    with the counts of the whole queue, and the latest decided tasks."""

    pending: int
    overdue: int
    page: list[TaskView]
    done: list[TaskView]


def department_queue(
    svc: Services,
    actor: Actor,
    department: str,
    areas: Collection[str] | None = None,
    page: int = 1,
    size: int = 50,
    done: int = 30,
) -> Queue:
    """The department's queue as a page lists it: counted, narrowed to ``areas``, page
    ``page`` of ``size`` (a page past the end: the last one)."""
    plist, query = _department_query(svc, actor, department)
    if areas is not None:
        query = query.where(applications.c.area_code.in_(sorted(areas)))
    now = svc.now()
    waiting = query.where(application_tasks.c.status == PENDING)
    sub = waiting.subquery()
    with svc.reading() as conn:
        pending, overdue = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((sub.c.due_at < now, 1), else_=0)), 0),
            ).select_from(sub)
        ).one()
        last = max(1, -(-int(pending) // size))
        rows = conn.execute(
            waiting.order_by(application_tasks.c.due_at, application_tasks.c.id)
            .offset((min(page, last) - 1) * size)
            .limit(size)
        ).mappings()
        shown = [_task_view(plist, plain(r), r["receipt"], now, actor) for r in rows]
        decided = conn.execute(
            query.where(application_tasks.c.status != PENDING)
            .order_by(application_tasks.c.decided_at.desc(), application_tasks.c.id.desc())
            .limit(done)
        ).mappings()
        recent = [_task_view(plist, plain(r), r["receipt"], now, actor) for r in decided]
    return Queue(pending=int(pending), overdue=int(overdue), page=shown, done=recent)


class ApplicationSummary(msgspec.Struct, kw_only=True):
    """One application in a list (the full view, with tasks and form, is read by receipt)."""

    receipt: str
    region_id: str
    case_id: int
    person_id: int
    area_code: str
    status: str  # pending / decided
    accepted_at: datetime
    accepted_by: str
    decided_at: datetime | None
    policies: list[str]
    departments: list[str]  # departments with a task on it (verification included)


def list_applications(
    svc: Services,
    actor: Actor,
    *,
    status: str | None = None,
    department: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[ApplicationSummary], str | None]:
    """Applications in the actor's scope (the core's scoped query), oldest first, one page;
    ``department`` keeps those with a task for that department."""
    query = scoped_area_rows(svc, actor, applications, "application.read")
    if status is not None:
        if status not in (PENDING, DECIDED):
            raise Invalid("status", f"应为 {PENDING}、{DECIDED} 之一")
        query = query.where(applications.c.status == status)
    if department is not None:
        query = query.where(
            select(application_tasks.c.id)
            .where(
                application_tasks.c.application_id == applications.c.id,
                application_tasks.c.department == department,
            )
            .exists()
        )
    filters = {"status": status, "department": department}
    rows, nxt = page(svc, query, applications.c.id, filters, limit, cursor)
    ids = [int(r["id"]) for r in rows]
    policies: dict[int, list[str]] = {i: [] for i in ids}
    departments: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        with svc.reading() as conn:
            for aid, code in conn.execute(
                select(application_policies.c.application_id, application_policies.c.policy_code)
                .where(application_policies.c.application_id.in_(ids))
                .order_by(application_policies.c.application_id, application_policies.c.policy_code)
            ):
                policies[int(aid)].append(str(code))
            for aid, dept in conn.execute(
                select(application_tasks.c.application_id, application_tasks.c.department)
                .where(application_tasks.c.application_id.in_(ids))
                .order_by(application_tasks.c.application_id, application_tasks.c.id)
            ):
                departments[int(aid)].append(str(dept))
    items = [
        ApplicationSummary(
            receipt=r["receipt"],
            region_id=r["region_id"],
            case_id=r["case_id"],
            person_id=r["person_id"],
            area_code=r["area_code"],
            status=r["status"],
            accepted_at=r["accepted_at"],
            accepted_by=r["accepted_by"],
            decided_at=r["decided_at"],
            policies=policies[int(r["id"])],
            departments=departments[int(r["id"])],
        )
        for r in rows
    ]
    return items, nxt


# --- decide ---------------------------------------------------------------------------------
class DecisionResult(msgspec.Struct, kw_only=True):
    application: ApplicationView
    task: TaskView
    services_opened: list[str]  # catalogue items opened by approved service policies
    entitlement: str  # granted / exists / needs_assessment / refused: … / "" (none to open)


def decide_task(
    svc: Services,
    actor: Actor,
    receipt: str,
    task_id: int,
    decisions: Mapping[str, tuple[bool, str]],
) -> DecisionResult:
    """A department approves or rejects policies of its task, each with a reason.

    Holds the application's row lock (SELECT … FOR UPDATE; BEGIN IMMEDIATE on SQLite) for the
    whole decision, so parallel departments never lose an update and exactly one of them
    completes the application. The verification-visit task is decided under the key
    ``"verification"``: (True, "情况属实") or (False, why)."""
    actor.require("task.decide")
    if not decisions:
        raise Invalid("decisions", "请至少对一项事项作出决定")
    for code, (approve, reason) in decisions.items():
        if not isinstance(approve, bool):
            raise Invalid(f"decisions.{code}.approve", "应为 true（批准）或 false（不批准）")
        if not approve and not reason.strip():
            raise Invalid(f"decisions.{code}.reason", "不批准须说明理由")
    decisions = {
        c: (a, r.strip() or (APPROVED_REASON if a else r)) for c, (a, r) in decisions.items()
    }
    with svc.transaction() as conn:
        region, app = _load_application(svc, conn, actor, receipt, lock=True)
        result = _decide(svc, conn, region, actor, app, task_id, decisions)
    entitlement = ""
    if result.entitlement == "open":
        entitlement = _open_service_loop(svc, actor, region, result.application.case_id)
    return msgspec.structs.replace(result, entitlement=entitlement)


def _decide(
    svc: Services,
    conn: Connection,
    region: Region,
    actor: Actor,
    app: dict[str, Any],
    task_id: int,
    decisions: Mapping[str, tuple[bool, str]],
) -> DecisionResult:
    plist = policy_list(region)
    found = (
        conn.execute(
            select(application_tasks)
            .where(
                application_tasks.c.id == task_id, application_tasks.c.application_id == app["id"]
            )
            .with_for_update()
        )
        .mappings()
        .first()
    )
    if found is None:
        raise NotFound("task", f"{app['receipt']}/{task_id}")
    task = plain(found)
    if actor.department != task["department"] and (actor.role == APPROVER or actor.department):
        owner = _task_view(plist, task, app["receipt"], svc.now()).department_name
        raise Refused("access", f"只能办理本部门的任务：任务属「{owner}」")
    if task["status"] != PENDING:
        raise Refused(
            "task.decided",
            f"任务 #{task_id} 已于 {local_date(task['decided_at'])} 由 {task['decided_by']} 办结",
            task_id=task_id,
        )
    if app["status"] == RETURNED:
        raise Refused(
            "application.returned",
            "申请已退回窗口补正，待窗口补正后重新提交再办理",
            receipt=app["receipt"],
        )
    state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in task["decisions"].items()}
    foreign = [c for c in decisions if c not in state]
    if foreign:
        raise Invalid("decisions", f"事项 {foreign} 不在本任务中；本任务事项：{list(state)}")
    done = [c for c in decisions if state[c]["status"] != PENDING]
    if done:
        raise Refused("task.decided", f"事项 {done} 已作出决定", policies=done)
    if task["kind"] != VERIFY:
        _require_verification(conn, plist, app, decisions)
    now = svc.now()
    for code, (approve, reason) in decisions.items():
        state[code] = {"status": APPROVED if approve else REJECTED, "reason": reason.strip()}
    complete = all(v["status"] != PENDING for v in state.values())
    conn.execute(
        update(application_tasks)
        .where(application_tasks.c.id == task_id)
        .values(
            decisions=state,
            status=DECIDED if complete else PENDING,
            decided_by=actor.username if complete else "",
            decided_at=now if complete else None,
        )
    )
    case_id = app["case_id"]
    opened: list[str] = []
    service_approved = False
    if task["kind"] == VERIFY:
        ok, why = decisions[VERIFY]
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "application.verified",
            why,
            receipt=app["receipt"],
            task_id=task_id,
            confirmed=ok,
        )
    else:
        for code, (approve, reason) in decisions.items():
            conn.execute(
                update(application_policies)
                .where(
                    application_policies.c.application_id == app["id"],
                    application_policies.c.policy_code == code,
                )
                .values(status=APPROVED if approve else REJECTED, reason=reason.strip())
            )
            p = plist.policy(code)
            append_event(
                svc,
                conn,
                region,
                case_id,
                actor.username,
                "application.policy_approved" if approve else "application.policy_rejected",
                reason.strip(),
                receipt=app["receipt"],
                policy=code,
                name=p.name,
                policy_kind=p.kind,
                department=p.department,
            )
            if approve and opens_loop(p):
                service_approved = True
                opened += [i for i in p.opens_items if i not in opened]
                append_event(
                    svc,
                    conn,
                    region,
                    case_id,
                    actor.username,
                    "application.service_opened",
                    f"「{p.name}」获批，开通服务清单事项",
                    receipt=app["receipt"],
                    policy=code,
                    items=list(p.opens_items),
                )
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "application.task_decided",
            "；".join(
                f"{plist.policy(c).name}：{'批准' if a else '不批准'}（{r.strip()}）"
                for c, (a, r) in decisions.items()
            ),
            receipt=app["receipt"],
            task_id=task_id,
            department=task["department"],
            complete=complete,
        )
    # the version counts decisions; the row lock already serialises them
    values: dict[str, Any] = {"version": applications.c.version + 1}
    open_tasks = conn.execute(
        select(func.count())
        .select_from(application_tasks)
        .where(
            application_tasks.c.application_id == app["id"], application_tasks.c.status == PENDING
        )
    ).scalar_one()
    finished = open_tasks == 0 and app["status"] == PENDING
    if finished:
        values.update(status=DECIDED, decided_at=now)
    n = conn.execute(
        update(applications)
        .where(applications.c.id == app["id"], applications.c.version == app["version"])
        .values(**values)
    ).rowcount
    if n != 1:  # cannot happen under the row lock; refuse rather than lose an update
        raise Refused("application.conflict", "申请已被并发修改，请重试")
    if finished:
        outcome = dict(
            conn.execute(
                select(application_policies.c.policy_code, application_policies.c.status).where(
                    application_policies.c.application_id == app["id"]
                )
            ).all()
        )
        approved = [c for c, s in outcome.items() if s == APPROVED]
        append_event(
            svc,
            conn,
            region,
            case_id,
            actor.username,
            "application.decided",
            f"联办结果：批准{len(approved)}项，不批准{len(outcome) - len(approved)}项",
            receipt=app["receipt"],
            outcome=outcome,
        )
    fresh = fetch_one(conn, applications, "application", app["receipt"], receipt=app["receipt"])
    view = _load_view(svc, conn, region, fresh, actor)
    task_view = next(t for t in view.tasks if t.id == task_id)
    return DecisionResult(
        application=view,
        task=task_view,
        services_opened=opened,
        entitlement="open" if service_approved else "",
    )


def verification_pending(conn: Connection, application_id: int) -> Mapping[str, Any] | None:
    """The application's verification task while it is still pending (else None)."""
    row = (
        conn.execute(
            select(application_tasks).where(
                application_tasks.c.application_id == application_id,
                application_tasks.c.kind == VERIFY,
                application_tasks.c.status == PENDING,
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else plain(row)


def _require_verification(
    conn: Connection, plist: PolicyList, app: Mapping[str, Any], decisions: Mapping[str, Any]
) -> None:
    """A policy that needs the grid worker's verification is decided only after it."""
    waiting = verification_pending(conn, app["id"])
    if waiting is None:
        return
    needs = []
    for code in decisions:
        try:
            if plist.policy(code).verified_first:
                needs.append(code)
        except KeyError:
            continue
    if needs:
        due = local_date(waiting["due_at"])
        raise Refused(
            "task.unverified",
            f"须待{plist.verification_name}完成后再审批（核实时限 {due}）",
            receipt=app["receipt"],
            policies=needs,
        )


def return_for_correction(
    svc: Services, actor: Actor, receipt: str, task_id: int, note: str
) -> ApplicationView:
    """补正/退回: a department sends the application back to the window with a note (what
    to correct or bring). Nothing is decided; the application waits for the window's
    correction (`resubmit`), and no department may decide it in between."""
    actor.require("task.decide")
    note = note.strip()
    if not note:
        raise Invalid("note", "请写明需要补正的内容")
    if len(note) > 500:
        raise Invalid("note", "补正说明最多500字")
    with svc.transaction() as conn:
        region, app = _load_application(svc, conn, actor, receipt, lock=True)
        plist = policy_list(region)
        task = (
            conn.execute(
                select(application_tasks).where(
                    application_tasks.c.id == task_id,
                    application_tasks.c.application_id == app["id"],
                )
            )
            .mappings()
            .first()
        )
        if task is None:
            raise NotFound("task", f"{receipt}/{task_id}")
        if actor.department != task["department"] and (actor.role == APPROVER or actor.department):
            raise Refused("access", "只能办理本部门的任务")
        if task["status"] != PENDING:
            raise Refused("task.decided", f"任务 #{task_id} 已办结，不能退回")
        if app["status"] != PENDING:
            raise Refused("application.returned", "申请已退回补正或已办结")
        n = conn.execute(
            update(applications)
            .where(applications.c.id == app["id"], applications.c.version == app["version"])
            .values(status=RETURNED, version=applications.c.version + 1)
        ).rowcount
        if n != 1:
            raise Refused("application.conflict", "申请已被并发修改，请重试")
        dept = _task_view(plist, plain(task), receipt, svc.now()).department_name
        append_event(
            svc,
            conn,
            region,
            app["case_id"],
            actor.username,
            "application.returned",
            note,
            receipt=receipt,
            task_id=task_id,
            department=task["department"],
            department_name=dept,
        )
        fresh = fetch_one(conn, applications, "application", receipt, receipt=receipt)
        return _load_view(svc, conn, region, fresh, actor)


def resubmit(
    svc: Services,
    actor: Actor,
    receipt: str,
    form: Mapping[str, Any],
    documents: Sequence[str],
    note: str = "",
) -> ApplicationView:
    """The window's correction of a returned application: the form's values given replace
    the old ones, the documents handed in are added, and the application is pending again
    with the same receipt and tasks."""
    actor.require("application.accept")
    with svc.transaction() as conn:
        region, app = _load_application(svc, conn, actor, receipt, lock=True)
        if app["status"] != RETURNED:
            raise Refused("application.not_returned", "该申请没有被退回补正，无需重新提交")
        plist = policy_list(region)
        codes = [
            str(c)
            for c in conn.execute(
                select(application_policies.c.policy_code).where(
                    application_policies.c.application_id == app["id"]
                )
            ).scalars()
        ]
        merged = {**app["form"], **{k: v for k, v in form.items() if not _missing(v)}}
        docs = list(app["documents"]) + [d for d in documents if d not in app["documents"]]
        _policies, clean, docs = validate_submission(plist, codes, merged, docs)
        n = conn.execute(
            update(applications)
            .where(applications.c.id == app["id"], applications.c.version == app["version"])
            .values(status=PENDING, form=clean, documents=docs, version=applications.c.version + 1)
        ).rowcount
        if n != 1:
            raise Refused("application.conflict", "申请已被并发修改，请重试")
        append_event(
            svc,
            conn,
            region,
            app["case_id"],
            actor.username,
            "application.resubmitted",
            note.strip()[:500] or "窗口已补正，重新提交",
            receipt=receipt,
        )
        fresh = fetch_one(conn, applications, "application", receipt, receipt=receipt)
        return _load_view(svc, conn, region, fresh, actor)


def returned_note(svc: Services, actor: Actor, receipt: str) -> dict[str, Any] | None:
    """The latest 补正 note of a returned application (None when it is not returned)."""
    view = get_application(svc, actor, receipt)
    if view.status != RETURNED:
        return None
    events = [
        e for e in application_events(svc, actor, receipt) if e["kind"] == "application.returned"
    ]
    return events[-1] if events else None


def _open_service_loop(svc: Services, actor: Actor, region: Region, case_id: int) -> str:
    """After an approved service policy: grant the case's entitlement for the year when it
    has none and an assessment exists (the region's eligibility rule still decides)."""
    from jiuzhu.core.services.cases import grant_entitlement

    year = local_date(svc.now()).year
    with svc.reading() as conn:
        has_ent = conn.execute(
            select(entitlements.c.id).where(
                entitlements.c.case_id == case_id, entitlements.c.year == year
            )
        ).first()
        if has_ent is not None:
            return "exists"
        assessed = conn.execute(
            select(func.count()).select_from(assessments).where(assessments.c.case_id == case_id)
        ).scalar_one()
        area = conn.execute(select(cases.c.area_code).where(cases.c.id == case_id)).scalar_one()
    if not assessed:
        return "needs_assessment"
    granter = system_actor(region.id, area, username=f"one_form:{actor.username}"[:60])
    try:
        grant_entitlement(svc, granter, case_id, reason="联办事项获批，开通服务类救助")
    except Refused as exc:
        if exc.rule == "entitlement.unique":
            return "exists"
        return f"refused: {exc.detail}"
    return "granted"


def application_events(svc: Services, actor: Actor, receipt: str) -> list[dict[str, Any]]:
    """The case events that belong to one application (for progress pages)."""
    actor.require("application.read")
    with svc.reading() as conn:
        _region, app = _load_application(svc, conn, actor, receipt)
        rows = conn.execute(
            select(case_events)
            .where(case_events.c.case_id == app["case_id"])
            .order_by(case_events.c.id)
        ).mappings()
        return [
            {**plain(r), "reason": shown_text(actor, r["reason"])}
            for r in rows
            if r["detail"].get("receipt") == receipt
        ]
