"""The one-form pages (mounted through jiuzhu_web_pages): the front desk's joint form, the
receipt and progress by receipt number, and each department's queue of tasks.

Every page goes through the same services as the API (service.py), so permissions, the
area scope and "nothing half-written" hold here as there. Templates live in
templates/pages/ and extend the core's base.html.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from functools import partial
from typing import Any

import litestar
import msgspec
from litestar import Request, Response
from litestar.response import Redirect, Template
from sqlalchemy import ColumnElement, Select, func, select

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor, area_subtree, shown_id, shown_person, shown_values
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.domain import Person
from jiuzhu.core.money import yuan
from jiuzhu.core.services import Services, fetch_one, plain
from jiuzhu.core.services.households import MemberView, household_members
from jiuzhu.core.services.people import get_person
from jiuzhu.core.storage.tables import case_events, persons
from jiuzhu.core.times import local_date
from jiuzhu.core.web.auth import audit_request
from jiuzhu.core.web.pages import forms
from jiuzhu.core.web.pages.common import page, scope_of
from jiuzhu.core.web.pages.lists import ListFilters, Paged, area_choices
from jiuzhu.core.web.pages.people import lookup, person_form_context
from jiuzhu.core.web.pages.secret import derive

from . import service
from .config import FormField, PolicyList
from .render import printable, render_form, render_receipt
from .roles import APPROVER
from .tables import application_policies, application_tasks, applications

get = partial(litestar.get, sync_to_thread=True)
post = partial(litestar.post, sync_to_thread=True)

T = "jiuzhu.plugins.one_form:templates/pages/"
IDENTITY = ("id_number", "name", "applicant_name")  # not corrected on a returned application
ENTITLEMENT_NOTES = {
    "granted": "服务类救助已获批，本年度服务额度已自动授予，可以点单。",
    "exists": "服务类救助已获批；该对象本年度已有服务额度。",
    "needs_assessment": "服务类救助已获批；请民政干部完成需求评估后授予服务额度。",
    "refused": "服务类救助已获批，但按本地区资格规则未能授予服务额度，详见档案办理记录。",
}
PRINT_BAR = (
    '<div class="print-bar no-print"><button type="button" data-print>打印</button> '
    '<a href="{back}">返回</a></div><script src="/static/print.js"></script>'
)


def _plist(svc: Services, actor: Actor) -> PolicyList:
    return service.policy_list(svc.region(actor.region_id))


def _printable(html: str, back: str) -> Response[str]:
    """A printable A4 page from render.py, with a print button that does not print."""
    html = html.replace("<body>", "<body>\n" + PRINT_BAR.format(back=back), 1)
    return printable(html)


# --- the front desk: find or register, then the joint form ---------------------------------
@get("/apply", nav="一表受理", permission="application.accept", main_for=("clerk",))
def apply_start(
    request: Request[Any, Any, Any], svc: Services, actor: Actor
) -> Template | Redirect:
    """Step 1: the applicant's ID number."""
    return _find(request, svc, actor, "")


@post("/apply/find")
def apply_find(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    """Known here: on to the form; unknown: register first. A POST, so that ID numbers stay
    out of URLs (access logs, browser history)."""
    return _find(request, svc, actor, forms.text(data, "id_number"))


def _find(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, id_number: str
) -> Template | Redirect:
    actor.require("application.accept")
    plist = _plist(svc, actor)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    offer = False
    if id_number.strip():
        try:
            number = idcard.validate(id_number[:40])
        except ValueError as exc:
            errors["id_number"] = str(exc)
        else:
            found = lookup(svc, actor, number)
            if found is not None:
                return Redirect(path=f"/apply/{found.id}", status_code=303)
            values, offer = {"id_number": number}, True
    return page(
        request,
        actor,
        T + "start.html",
        422 if errors else 200,
        form_name=plist.name,
        id_number=id_number.strip()[:40],
        errors=errors,
        values=values,
        offer=offer,
        next="/apply/{id}",
        **person_form_context(svc, actor),
    )


def shown_value(f: FormField, value: Any) -> str:
    """A stored form value as the input shows it (money in yuan, bools as yes/no)."""
    if value is None:
        return ""
    if f.kind == "money" and isinstance(value, int):
        return f"{value / 100:.2f}".removesuffix(".00")
    if f.kind == "bool":
        return "yes" if value else "no"
    return str(value)


def read_fields(
    plist: PolicyList, data: dict[str, Any], errors: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed form values (empty ones left out) and the texts to show again."""
    typed: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for f in plist.fields:
        key = f"form.{f.code}"
        raw = forms.text(data, key)
        texts[f.code] = raw
        if not raw:
            continue
        local_errors: dict[str, str] = {}
        value: Any = raw
        if f.kind == "int":
            value = forms.integer(data, key, local_errors)
        elif f.kind == "money":
            value = forms.fen(data, key, local_errors)
        elif f.kind == "bool":
            if raw not in ("yes", "no"):
                local_errors[key] = "请选择“是”或“否”"
            value = raw == "yes"
        elif f.kind == "date":
            try:
                value = date.fromisoformat(raw).isoformat()
            except ValueError:
                local_errors[key] = "应为日期（年-月-日）"
        elif f.kind == "choice" and raw not in f.choices:
            local_errors[key] = f"应为 {'、'.join(f.choices)} 之一"
        elif f.kind == "text" and len(raw) > 500:
            local_errors[key] = "最多500字"
        if local_errors:
            errors.update({k: f"「{f.label}」{v}" for k, v in local_errors.items()})
        else:
            typed[f.code] = value
    return typed, texts


def blocking(plist: PolicyList, chosen: list[str], form: dict[str, Any]) -> dict[str, list[str]]:
    """Per chosen policy, the required fields still empty: these stop the submission."""
    labels = {f.code: f for f in plist.fields}
    out: dict[str, list[str]] = {}
    for code in chosen:
        try:
            p = plist.policy(code)
        except KeyError:
            continue
        missing = [labels[f].label for f in p.fields if labels[f].required and f not in form]
        if missing:
            out[code] = missing
    return out


def blocking_errors(plist: PolicyList, chosen: list[str], form: dict[str, Any]) -> dict[str, str]:
    """Every required field still empty for the chosen policies, each once, naming the
    policies that need it: all reported at once, next to their fields."""
    labels = {f.code: f for f in plist.fields}
    needed: dict[str, list[str]] = {}
    for code in chosen:
        try:
            p = plist.policy(code)
        except KeyError:
            continue
        for f in p.fields:
            if labels[f].required and f not in form:
                needed.setdefault(f, []).append(p.name)
    return {
        f"form.{f}": f"「{'」「'.join(names)}」须填写「{labels[f].label}」"
        for f, names in needed.items()
    }


def _pending_receipts(svc: Services, person_id: int) -> list[str]:
    with svc.reading() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                select(applications.c.receipt)
                .where(
                    applications.c.person_id == person_id,
                    applications.c.status == service.PENDING,
                )
                .order_by(applications.c.id)
            )
        ]


def _form_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    person: Person,
    status: int = 200,
    *,
    chosen: list[str],
    texts: dict[str, str],
    documents: list[str],
    errors: dict[str, str],
    warnings: dict[str, list[str]] | None = None,
    blocked: dict[str, list[str]] | None = None,
    refusal: str = "",
    checked: bool = False,
) -> Template:
    region = svc.region(person.region_id)
    schema = service.form_schema(region)
    assessed = service.assess(region, person, local_date(svc.now()), svc.regions)
    suggested = [c for c, a in assessed.items() if a.suggested]
    by_code = {p.code: p for p in schema.policies}
    all_docs = service.form_documents(service.policy_list(region))
    pending_codes = service.pending_policies(svc, person.id)
    suggested = [c for c in suggested if c not in pending_codes]
    members: list[MemberView] = []
    hidden = 0
    if person.household_id is not None and actor.can("case.read"):
        try:
            _home, members, hidden = household_members(svc, actor, person.household_id)
        except NotFound:  # the household is registered outside the actor's area
            members, hidden = [], 0
    return page(
        request,
        actor,
        T + "form.html",
        status,
        schema=schema,
        person=shown_person(actor, person, local_date(svc.now())),
        shown_id=shown_id(actor, person.id_number),
        area_name=region.info.area_name(person.area_code),
        by_code=by_code,
        suggested=suggested,
        assessed=assessed,
        chosen=set(chosen),
        texts=texts,
        all_docs=all_docs,
        documents=set(documents),
        errors=errors,
        warnings=warnings or {},
        blocked=blocked or {},
        refusal=refusal,
        checked=checked,
        pending=_pending_receipts(svc, person.id),
        pending_codes=pending_codes,
        members=members,
        hidden_members=hidden,
    )


@get("/apply/{person_id:int}")
def apply_form(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, person_id: int
) -> Template:
    """The joint form for one person: suggested policies pre-ticked, fields from the file."""
    actor.require("application.accept")
    person = get_person(svc, actor, person_id)  # the area scope
    region = svc.region(person.region_id)
    plist = service.policy_list(region)
    fields = {f.code: f for f in plist.fields}
    texts = {
        code: shown_value(fields[code], value)
        for code, value in shown_values(actor, service.prefill(plist, person)).items()
    }
    pending = service.pending_policies(svc, person.id)
    chosen = [
        c
        for c in service.suggest(region, person, local_date(svc.now()), svc.regions)
        if c not in pending  # already pending under another receipt: not pre-ticked again
    ]
    audit_request(request, svc, actor, "apply.view", person_id=person_id)
    return _form_page(
        request, svc, actor, person, chosen=chosen, texts=texts, documents=[], errors={}
    )


@post("/apply/{person_id:int}")
def apply_submit(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    person_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """检查 (action=check): warnings per policy, nothing written. 提交 (action=submit): the
    application is accepted in one transaction, or nothing is written and the error is shown
    next to its field."""
    actor.require("application.accept")
    person = get_person(svc, actor, person_id)
    region = svc.region(person.region_id)
    plist = service.policy_list(region)
    errors: dict[str, str] = {}
    form, texts = read_fields(plist, data, errors)
    chosen = forms.many(data, "policies")
    documents = forms.many(data, "documents")
    merged = {**service.prefill(plist, person), **form}
    ctx: dict[str, Any] = {
        "chosen": chosen,
        "texts": texts,
        "documents": documents,
        "errors": errors,
        "warnings": service.check_form(plist, chosen, merged, documents),
        "blocked": blocking(plist, chosen, merged),
    }
    if forms.text(data, "action") != "submit":
        audit_request(request, svc, actor, "apply.check", person_id=person_id)
        if not chosen:
            errors["policies"] = "请至少勾选一项救助事项"
        return _form_page(request, svc, actor, person, 200, checked=True, **ctx)
    if not chosen:
        errors["policies"] = "请至少勾选一项救助事项"
    errors.update(
        {k: v for k, v in blocking_errors(plist, chosen, merged).items() if k not in errors}
    )
    if errors:
        return _form_page(request, svc, actor, person, 422, **ctx)
    try:
        view = service.submit_application(svc, actor, region.id, person_id, chosen, form, documents)
    except Invalid as exc:
        errors[exc.field] = exc.detail
        return _form_page(request, svc, actor, person, 422, **ctx)
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _form_page(request, svc, actor, person, 409, refusal=exc.detail, **ctx)
    audit_request(request, svc, actor, "application.accept", view.case_id, receipt=view.receipt)
    return Redirect(path=f"/applications/{view.receipt}?new=1", status_code=303)


@get("/apply/print")
def print_blank(svc: Services, actor: Actor) -> Response[str]:
    """The blank joint form, A4, to fill in by hand."""
    return _printable(render_form(svc.region(actor.region_id)), "/apply")


@get("/apply/{person_id:int}/print")
def print_ticked(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, person_id: int
) -> Response[str]:
    """The joint form with the person's suggested policies ticked."""
    actor.require("application.accept")
    person = get_person(svc, actor, person_id)
    audit_request(request, svc, actor, "apply.print", person_id=person_id)
    region = svc.region(person.region_id)
    ticks = service.suggest(region, person, local_date(svc.now()), svc.regions)
    return _printable(render_form(region, ticks), f"/apply/{person_id}")


# --- progress by receipt number, name or ID number -----------------------------------------
RECEIPT = re.compile(r"[A-Z][A-Z0-9]*-\d{8}-\d{4}")
APPLICATION_STATUSES = (service.PENDING, service.RETURNED, service.DECIDED)


def _visible(svc: Services, actor: Actor, query: Select[Any]) -> Select[Any]:
    """``query`` (over applications joined to persons) narrowed to what the actor may see:
    their region and area; an approver, applications with a task of their department."""
    query = query.where(
        applications.c.region_id == actor.region_id,
        applications.c.area_code.in_(scope_of(svc, actor)),
    )
    if actor.role == APPROVER:
        query = query.where(
            select(application_tasks.c.id)
            .where(
                application_tasks.c.application_id == applications.c.id,
                application_tasks.c.department == actor.department,
            )
            .exists()
        )
    return query


def _application_rows(
    svc: Services,
    actor: Actor,
    *where: ColumnElement[bool],
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Applications the actor may see, newest first, with the applicant's name and masked
    ID number."""
    query = _visible(
        svc,
        actor,
        select(applications, persons.c.name, persons.c.id_number)
        .join(persons, persons.c.id == applications.c.person_id)
        .where(*where)
        .order_by(applications.c.id.desc())
        .limit(limit)
        .offset(offset),
    )
    with svc.reading() as conn:
        rows = [plain(r) for r in conn.execute(query).mappings()]
    for r in rows:
        r["id_shown"] = shown_id(actor, r.pop("id_number"))
    return rows


def _progress_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    q: str = "",
    error: str = "",
    found: list[dict[str, Any]] | None = None,
) -> Template:
    region = svc.region(actor.region_id)
    f = ListFilters.from_request(request, region, APPLICATION_STATUSES)
    where = _application_filters(region, f)
    with svc.reading() as conn:
        total = conn.execute(
            _visible(
                svc,
                actor,
                select(func.count())
                .select_from(applications.join(persons, persons.c.id == applications.c.person_id))
                .where(*where),
            )
        ).scalar_one()
    paged = Paged(total=int(total), page=f.page)
    rows = _application_rows(svc, actor, *where, limit=paged.size, offset=paged.offset)
    shown = [r["receipt"] for r in rows + (found or [])]
    if shown:
        audit_request(request, svc, actor, "application.list", receipts=shown)
    return page(
        request,
        actor,
        T + "applications.html",
        404 if error else 200,
        q=q,
        error=error,
        found=found,
        rows=rows,
        labels=service.STATUS_LABELS,
        f=f,
        paged=paged,
        areas=area_choices(region, actor),
        statuses=[(k, service.STATUS_LABELS[k]) for k in APPLICATION_STATUSES],
    )


def _application_filters(region: Any, f: ListFilters) -> list[ColumnElement[bool]]:
    """The list's filters on applications: area (and below), status, accepted between."""
    where: list[ColumnElement[bool]] = []
    if f.area:
        where.append(applications.c.area_code.in_(sorted(area_subtree(region.info, f.area))))
    if f.status:
        where.append(applications.c.status == f.status)
    return where + f.between(applications.c.accepted_at)


@get("/applications", nav="办理进度", permission="application.read")
def applications_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, receipt: str = ""
) -> Template | Redirect:
    """Progress: find by receipt number (GET ?receipt=, as printed on the receipt)."""
    actor.require("application.read")
    return _by_receipt(request, svc, actor, receipt)


def _by_receipt(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, receipt: str
) -> Template | Redirect:
    receipt = receipt.strip().upper()[:32]
    if receipt:
        try:
            service.get_application(svc, actor, receipt)
        except NotFound:
            return _progress_page(
                request,
                svc,
                actor,
                receipt,
                f"没有找到受理编号 {receipt}：请核对回执上的编号，或改用姓名、身份证号查询。",
            )
        return Redirect(path=f"/applications/{receipt}", status_code=303)
    return _progress_page(request, svc, actor)


@post("/applications/find")
def applications_find(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    """Find by receipt number, ID number or name. A POST, so that ID numbers and names stay
    out of URLs (access logs, browser history)."""
    actor.require("application.read")
    q = forms.text(data, "q")[:40]
    if not q:
        return _progress_page(request, svc, actor, "", "请输入受理编号、姓名或身份证号")
    if RECEIPT.fullmatch(q.upper()):
        return _by_receipt(request, svc, actor, q)
    if q[:1].isdigit():
        try:
            number = idcard.validate(q)
        except ValueError as exc:
            return _progress_page(request, svc, actor, q, f"身份证号有误：{exc}")
        found = _application_rows(svc, actor, persons.c.id_number == number)
        shown_q = shown_id(actor, number)
    else:
        found = _application_rows(svc, actor, persons.c.name.contains(q, autoescape=True))
        shown_q = q
    if not found:
        return _progress_page(
            request, svc, actor, shown_q, f"没有找到「{shown_q}」的申请（或不在您的管辖范围内）。"
        )
    return _progress_page(request, svc, actor, shown_q, found=found)


@get("/applications/{receipt:str}")
def application_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    secret_key: bytes,
    receipt: str,
    new: int = 0,
    decided: int | None = None,
    ent: str = "",
    returned: int = 0,
    resubmitted: int = 0,
) -> Template:
    """The receipt and the combined outcome: every policy, department, deadline, result."""
    return _application(
        request,
        svc,
        actor,
        receipt,
        new=bool(new),
        decided=decided,
        ent=ent,
        returned_now=bool(returned),
        resubmitted=bool(resubmitted),
        secret_key=secret_key,
    )


def _application(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    receipt: str,
    status: int = 200,
    new: bool = False,
    decided: int | None = None,
    ent: str = "",
    returned_now: bool = False,
    resubmitted: bool = False,
    errors: dict[str, str] | None = None,
    texts: dict[str, str] | None = None,
    refusal: str = "",
    secret_key: bytes = b"",
) -> Template:
    view = service.get_application(svc, actor, receipt)  # application.read and the scope
    events = service.application_events(svc, actor, receipt)
    plist = _plist(svc, actor)
    due = {t.department: t.due_at for t in view.tasks if t.kind == "decision"}
    audit_request(request, svc, actor, "application.view", view.case_id, receipt=receipt)
    code = query_code(secret_key, receipt) if secret_key else ""
    returned_ev = next((e for e in reversed(events) if e["kind"] == "application.returned"), None)
    fields = {f.code: f for f in plist.fields}
    needed = {
        f
        for p in view.policies
        if p.code in {q.code for q in plist.policies}
        for f in plist.policy(p.code).fields
    }
    return page(
        request,
        actor,
        T + "application.html",
        status,
        returned_ev=returned_ev if view.status == service.RETURNED else None,
        returned_now=returned_now,
        resubmitted=resubmitted,
        query_code=code,
        may_resubmit=view.status == service.RETURNED and actor.can("application.accept"),
        fix_fields=[fields[c] for c in fields if c in needed and c not in IDENTITY],
        fix_texts=texts
        if texts is not None
        else {c: shown_value(fields[c], v) for c, v in view.form.items() if c in fields},
        fix_errors=errors or {},
        refusal=refusal,
        all_docs=service.form_documents(plist),
        app=view,
        form_name=plist.name,
        due=due,
        events=events,
        labels=service.STATUS_LABELS,
        new=new,
        decided=decided,
        ent_note=ENTITLEMENT_NOTES.get(ent, ""),
        approved=[p for p in view.policies if p.status == service.APPROVED],
        rejected=[p for p in view.policies if p.status == service.REJECTED],
        can_decide={t.id for t in view.tasks if _may_decide(actor, t)},
        now=svc.now(),
    )


@get("/applications/{receipt:str}/receipt")
def receipt_print(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, receipt: str
) -> Response[str]:
    """The A4 receipt (受理回执) to print and hand to the applicant."""
    html = render_receipt(svc, actor, receipt)
    audit_request(request, svc, actor, "receipt.view", receipt=receipt)
    return _printable(html, f"/applications/{receipt}")


# --- department queue ----------------------------------------------------------------------
def _may_decide(actor: Actor, task: service.TaskView) -> bool:
    """The service's rule, to offer the form only to those it will accept it from."""
    if not actor.can("task.decide") or task.status != service.PENDING:
        return False
    return actor.department == task.department or (actor.role != APPROVER and not actor.department)


def _departments(plist: PolicyList) -> list[tuple[str, str]]:
    out = [(d.code, d.name) for d in plist.departments]
    if plist.verification_visit:
        out.insert(0, (plist.verification_department, plist.verification_name))
    return out


@get("/tasks", nav="部门审批", permission="task.decide", main_for=(APPROVER,))
def tasks_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, department: str = ""
) -> Template:
    """A department's queue: counted, paged and filtered by area, overdue first, then by
    deadline; the latest decided ones below."""
    actor.require("task.decide")
    plist = _plist(svc, actor)
    region = svc.region(actor.region_id)
    f = ListFilters.from_request(request, region)
    depts = _departments(plist)
    dept = actor.department or department
    known = dict(depts)
    queue: service.Queue | None = None
    paged = Paged(total=0, page=f.page)
    error = ""
    if dept and dept not in known:
        error = f"部门「{dept}」不在本地区联办表的部门中，请联系系统管理员。"
    elif dept:
        areas = area_subtree(region.info, f.area) if f.area else None
        queue = service.department_queue(svc, actor, dept, areas, f.page, paged.size)
        paged = Paged(total=queue.pending, page=f.page)
    tasks = [*queue.page, *queue.done] if queue else []
    if tasks:
        audit_request(request, svc, actor, "task.list", receipts=sorted({t.receipt for t in tasks}))
    return page(
        request,
        actor,
        T + "tasks.html",
        dept=dept,
        dept_name=known.get(dept, dept),
        depts=depts,
        chooser=not actor.department,
        error=error,
        queue=queue,
        f=f,
        paged=paged,
        path=f"/tasks?department={dept}" if not actor.department and dept else "/tasks",
        areas=area_choices(region, actor),
        names=_applicants(svc, {t.receipt for t in tasks}),
        now=svc.now(),
    )


def _applicants(svc: Services, receipts: set[str]) -> dict[str, str]:
    if not receipts:
        return {}
    with svc.reading() as conn:
        return {
            str(r[0]): str(r[1])
            for r in conn.execute(
                select(applications.c.receipt, persons.c.name)
                .join(persons, persons.c.id == applications.c.person_id)
                .where(applications.c.receipt.in_(sorted(receipts)))
            )
        }


def _task_page(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    receipt: str,
    task_id: int,
    status: int = 200,
    errors: dict[str, str] | None = None,
    entered: dict[str, tuple[str, str]] | None = None,
    refusal: str = "",
    secret_key: bytes = b"",
) -> Template:
    view = service.get_application(svc, actor, receipt)
    task = next((t for t in view.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound("task", f"{receipt}/{task_id}")
    plist = _plist(svc, actor)
    fields = [
        (f, shown_form_value(f, view.form[f.code])) for f in plist.fields if f.code in view.form
    ]
    with svc.reading() as conn:
        person = msgspec.convert(
            fetch_one(conn, persons, "person", view.person_id, id=view.person_id), Person
        )
    region = svc.region(view.region_id)
    assessed = service.assess(region, person, local_date(svc.now()), svc.regions)
    checks = {c: a for c, a in assessed.items() if c in task.decisions and a.eligible is not None}
    plist_ = service.policy_list(region)
    waiting = next(
        (t for t in view.tasks if t.kind == service.VERIFY and t.status == service.PENDING), None
    )
    unverified = (
        waiting is not None
        and task.kind != service.VERIFY
        and any(
            plist_.policy(c).verified_first
            for c in task.decisions
            if c in {p.code for p in plist_.policies}
        )
    )
    return page(
        request,
        actor,
        T + "task.html",
        status,
        checks=checks,
        waiting=waiting if unverified else None,
        returned=view.status == service.RETURNED,
        note_error=(errors or {}).get("note", ""),
        app=view,
        task=task,
        policies={p.code: p for p in view.policies},
        fields=fields,
        errors=errors or {},
        entered=entered or {},
        refusal=refusal,
        may_decide=_may_decide(actor, task) and not unverified and view.status == service.PENDING,
        may_return=_may_decide(actor, task) and view.status == service.PENDING,
        labels=service.STATUS_LABELS,
        verify_key=service.VERIFY,
        now=svc.now(),
    )


def shown_form_value(f: FormField, value: Any) -> str:
    if f.kind == "money" and isinstance(value, int):
        return yuan(value)
    if f.kind == "bool":
        return "是" if value else "否"
    return str(value)


@get("/applications/{receipt:str}/tasks/{task_id:int}")
def task_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, receipt: str, task_id: int
) -> Template:
    shown = _task_page(request, svc, actor, receipt, task_id)
    audit_request(request, svc, actor, "task.view", receipt=receipt, task_id=task_id)
    return shown


@post("/applications/{receipt:str}/tasks/{task_id:int}")
def task_decide(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    receipt: str,
    task_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """Approve or reject each policy with a reason (`d.<policy>` = approve / reject,
    `r.<policy>` = the reason); policies left open stay pending for later."""
    actor.require("task.decide")
    view = service.get_application(svc, actor, receipt)
    task = next((t for t in view.tasks if t.id == task_id), None)
    if task is None:
        raise NotFound("task", f"{receipt}/{task_id}")
    errors: dict[str, str] = {}
    entered: dict[str, tuple[str, str]] = {}
    decisions: dict[str, tuple[bool, str]] = {}
    for code, state in task.decisions.items():
        if state.get("status") != service.PENDING:
            continue
        choice, reason = forms.text(data, f"d.{code}"), forms.text(data, f"r.{code}")[:500]
        entered[code] = (choice, reason)
        if choice == "reject" and not reason:
            errors[f"decisions.{code}.reason"] = "不批准须说明理由"
        elif choice in ("approve", "reject"):
            decisions[code] = (choice == "approve", reason)
        elif reason:
            errors[f"decisions.{code}.approve"] = "请选择批准或不批准"
    if not decisions and not errors:
        errors["decisions"] = "请至少对一项事项作出决定"
    if errors:
        return _task_page(request, svc, actor, receipt, task_id, 422, errors, entered)
    try:
        result = service.decide_task(svc, actor, receipt, task_id, decisions)
    except Invalid as exc:
        return _task_page(
            request, svc, actor, receipt, task_id, 422, {exc.field: exc.detail}, entered
        )
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _task_page(
            request, svc, actor, receipt, task_id, 409, entered=entered, refusal=exc.detail
        )
    audit_request(
        request,
        svc,
        actor,
        "task.decide",
        result.application.case_id,
        receipt=receipt,
        task_id=task_id,
        decisions={c: a for c, (a, _) in decisions.items()},
    )
    ent = result.entitlement.split(":", 1)[0]
    return Redirect(
        path=f"/applications/{receipt}?decided={task_id}" + (f"&ent={ent}" if ent else ""),
        status_code=303,
    )


@post("/applications/{receipt:str}/tasks/{task_id:int}/return")
def task_return(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    receipt: str,
    task_id: int,
    data: forms.FormData,
) -> Template | Redirect:
    """补正/退回: back to the window with a note of what to correct or bring."""
    actor.require("task.decide")
    note = forms.text(data, "note")
    try:
        view = service.return_for_correction(svc, actor, receipt, task_id, note)
    except Invalid as exc:
        return _task_page(request, svc, actor, receipt, task_id, 422, {exc.field: exc.detail})
    except Refused as exc:
        if exc.rule == "access":
            raise
        return _task_page(request, svc, actor, receipt, task_id, 409, refusal=exc.detail)
    audit_request(
        request, svc, actor, "task.return", view.case_id, receipt=receipt, task_id=task_id
    )
    return Redirect(path=f"/applications/{receipt}?returned=1", status_code=303)


@post("/applications/{receipt:str}/resubmit")
def application_resubmit(
    request: Request[Any, Any, Any],
    svc: Services,
    actor: Actor,
    receipt: str,
    data: forms.FormData,
) -> Template | Redirect:
    """The window's correction of a returned application: changed fields, documents added."""
    actor.require("application.accept")
    plist = _plist(svc, actor)
    errors: dict[str, str] = {}
    form, texts = read_fields(plist, data, errors)
    documents = forms.many(data, "documents")
    # only what the clerk changed: values shown masked are never written back
    before = service.get_application(svc, actor, receipt).form
    fields = {f.code: f for f in plist.fields}
    form = {
        c: v
        for c, v in form.items()
        if c in fields
        and c not in IDENTITY
        and texts.get(c) != shown_value(fields[c], before.get(c))
    }
    if not errors:
        try:
            view = service.resubmit(svc, actor, receipt, form, documents, forms.text(data, "note"))
        except Invalid as exc:
            errors[exc.field] = exc.detail
        except Refused as exc:
            if exc.rule == "access":
                raise
            return _application(request, svc, actor, receipt, status=409, refusal=exc.detail)
        else:
            audit_request(
                request, svc, actor, "application.resubmit", view.case_id, receipt=receipt
            )
            return Redirect(path=f"/applications/{receipt}?resubmitted=1", status_code=303)
    return _application(request, svc, actor, receipt, status=422, errors=errors, texts=texts)


# --- the applicant's own query by receipt number and query code (no account) ---------------
def query_code(secret_key: bytes, receipt: str) -> str:
    """The 8-character code printed with the receipt: with the receipt number it shows the
    application's progress to the applicant, without an account (HMAC of the receipt)."""
    mac = hmac.new(derive(secret_key, "receipt-query"), receipt.encode(), hashlib.sha256)
    return str(int.from_bytes(mac.digest()[:8], "big") % 10**8).zfill(8)


def _public_progress(svc: Services, receipt: str) -> dict[str, Any]:
    with svc.reading() as conn:
        app = (
            conn.execute(
                select(applications, persons.c.name)
                .join(persons, persons.c.id == applications.c.person_id)
                .where(applications.c.receipt == receipt)
            )
            .mappings()
            .first()
        )
        if app is None:
            raise NotFound("application", receipt)
        pols = (
            conn.execute(
                select(application_policies).where(
                    application_policies.c.application_id == app["id"]
                )
            )
            .mappings()
            .all()
        )
        returned = ""
        if app["status"] == service.RETURNED:
            note = conn.execute(
                select(case_events.c.reason)
                .where(
                    case_events.c.case_id == app["case_id"],
                    case_events.c.kind == "application.returned",
                )
                .order_by(case_events.c.id.desc())
                .limit(1)
            ).scalar()
            returned = str(note or "")
    plist = service.policy_list(svc.region(str(app["region_id"])))
    names = {p.code: p.name for p in plist.policies}
    name = str(app["name"])
    return {
        "receipt": receipt,
        "name": name[:1] + "*" * max(1, len(name) - 1),
        "accepted": local_date(app["accepted_at"]).isoformat(),
        "status": service.STATUS_LABELS.get(app["status"], app["status"]),
        "returned": returned,
        "policies": [
            {
                "name": names.get(p["policy_code"], p["policy_code"]),
                "status": service.STATUS_LABELS.get(p["status"], p["status"]),
                "reason": p["reason"] if p["status"] == service.REJECTED else "",
            }
            for p in pols
        ],
    }


@get("/q")
def query_form(request: Request[Any, Any, Any]) -> Template:
    """The applicant's progress query: receipt number and query code, no account."""
    return page(request, None, T + "query.html", receipt="", error="", found=None)


@post("/q")
def query(
    request: Request[Any, Any, Any], svc: Services, secret_key: bytes, data: forms.FormData
) -> Template:
    receipt = forms.text(data, "receipt").upper()[:32]
    code = forms.text(data, "code")[:16]
    ok = bool(RECEIPT.fullmatch(receipt)) and hmac.compare_digest(
        query_code(secret_key, receipt), code
    )
    found = None
    if ok:
        try:
            found = _public_progress(svc, receipt)
        except NotFound:
            found = None
    if found is None:
        return page(
            request,
            None,
            T + "query.html",
            404,
            receipt=receipt,
            error="受理编号或查询码不正确，请核对回执上的受理编号和8位查询码。",
            found=None,
        )
    return page(request, None, T + "query.html", receipt=receipt, error="", found=found)


PAGES = [
    apply_start,
    apply_find,
    print_blank,
    apply_form,
    apply_submit,
    print_ticked,
    applications_page,
    applications_find,
    application_page,
    receipt_print,
    tasks_page,
    task_page,
    task_decide,
    task_return,
    application_resubmit,
    query_form,
    query,
]
