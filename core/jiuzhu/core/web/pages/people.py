"""`/persons`: find a person by ID number or name (in the actor's area), register one, open
their case. The ID number is checked against GB 11643 (length, birth date, check digit)."""

from __future__ import annotations

from typing import Any

import litestar
from litestar import Request
from litestar.response import Redirect, Template
from sqlalchemy import select

from ... import idcard
from ...access import Actor, person_scope, shown_id, shown_person
from ...base import Invalid, NotFound, Refused
from ...domain import RELATIONS, CaseStatus, NewPerson, Person
from ...facts import COVERAGE, DISABILITY_TYPES, GROUPS
from ...services import Services, plain
from ...services.cases import open_case
from ...services.households import get_household
from ...services.people import create_person, find_person, get_person
from ...storage.tables import cases, persons
from ...times import local_date
from ..auth import audit_request
from . import forms
from .common import page, scope_of

SEXES = ("男", "女")
# NewPerson's field names, as the service names them in Invalid, and the page's field
FIELD_OF = {"income_per_capita_fen": "income_per_capita"}


def areas_for(svc: Services, actor: Actor) -> list[tuple[str, str]]:
    """(code, indented name) of every area the actor may register people in."""
    info = svc.region(actor.region_id).info
    scope = set(scope_of(svc, actor))
    out = []
    for code in [info.code, *(a.code for a in info.areas)]:
        if code in scope:
            depth = info.level_of(code) - info.level_of(actor.area_code)
            out.append((code, "　" * depth + info.area_name(code)))
    return out


def person_form_context(svc: Services, actor: Actor) -> dict[str, Any]:
    return {
        "areas": areas_for(svc, actor),
        "group_choices": GROUPS,
        "coverage_choices": COVERAGE,
        "disability_types": DISABILITY_TYPES,
        "sexes": SEXES,
    }


def lookup(svc: Services, actor: Actor, id_number: str) -> Person | None:
    """The person with this (valid) ID number in the actor's region and area, or None."""
    found = find_person(svc, actor.region_id, id_number)
    if found is None:
        return None
    try:
        return get_person(svc, actor, found.id)  # checks the area scope
    except (NotFound, Refused):
        return None


def _search(svc: Services, actor: Actor, q: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """By a full ID number (validated) or by part of a name."""
    errors: dict[str, str] = {}
    query = select(persons).where(person_scope(actor, svc.region(actor.region_id).info))
    if q[:1].isdigit():
        try:
            number = idcard.validate(q)
        except ValueError as exc:
            errors["q"] = str(exc)
            return [], errors
        query = query.where(persons.c.id_number == number)
    else:
        query = query.where(persons.c.name.contains(q, autoescape=True))
    with svc.reading() as conn:
        rows = [plain(r) for r in conn.execute(query.order_by(persons.c.id).limit(50)).mappings()]
    for r in rows:
        r["shown_id"] = shown_id(actor, r["id_number"])
    return rows, errors


@litestar.get("/persons", sync_to_thread=True)
def persons_page(request: Request[Any, Any, Any], svc: Services, actor: Actor) -> Template:
    return _persons(request, svc, actor, "")


@litestar.post("/persons/search", sync_to_thread=True)
def persons_search(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template:
    """A POST, so that ID numbers stay out of URLs (access logs, browser history)."""
    return _persons(request, svc, actor, forms.text(data, "q"))


def _persons(request: Request[Any, Any, Any], svc: Services, actor: Actor, q: str) -> Template:
    actor.require("case.read")
    q = q[:40]
    rows, errors = _search(svc, actor, q) if q else ([], {})
    if q and not errors:  # who looked for whom: the persons found, not the query itself
        audit_request(request, svc, actor, "person.search", found=[r["id"] for r in rows])
    new: dict[str, Any] = {}
    if q and not rows and not errors and q[:1].isdigit() and actor.can("case.write"):
        new = {"id_number": idcard.validate(q)}  # not registered yet: offer the form
    return page(
        request,
        actor,
        "persons.html",
        422 if errors else 200,
        q=q,
        rows=rows,
        errors=errors,
        values=new,
        offer=bool(new),
        next="",
        **person_form_context(svc, actor),
    )


def person_from_form(
    actor: Actor, data: dict[str, Any], errors: dict[str, str]
) -> tuple[NewPerson | None, dict[str, Any]]:
    """The NewPerson a registration form describes, and the values to show again."""
    values: dict[str, Any] = {
        k: forms.text(data, k)
        for k in (
            "id_number",
            "name",
            "sex",
            "phone",
            "area_code",
            "hukou_area_code",
            "disability_type",
            "income_per_capita",
        )
    }
    values["household_size"] = forms.text(data, "household_size")
    values["disability_grade"] = forms.text(data, "disability_grade") or "0"
    values["groups"] = forms.many(data, "groups")
    values["covered_by"] = forms.many(data, "covered_by")
    for flag in ("major_illness", "chronic_illness", "student", "living_alone"):
        values[flag] = forms.checked(data, flag)
    if not values["sex"] and len(values["id_number"]) == 18 and values["id_number"][16].isdigit():
        values["sex"] = "男" if int(values["id_number"][16]) % 2 else "女"  # GB 11643
    size = forms.integer(data, "household_size", errors, 1)
    grade = forms.integer(data, "disability_grade", errors, 0)
    income = forms.fen(data, "income_per_capita", errors, 0)
    if errors:
        return None, values
    person = NewPerson(
        region_id=actor.region_id,
        id_number=values["id_number"],
        name=values["name"],
        area_code=values["area_code"],
        hukou_area_code=values["hukou_area_code"],
        sex=values["sex"],
        phone=values["phone"],
        groups=values["groups"],
        disability_grade=grade or 0,
        disability_type=values["disability_type"],
        major_illness=values["major_illness"],
        chronic_illness=values["chronic_illness"],
        covered_by=values["covered_by"],
        student=values["student"],
        living_alone=values["living_alone"],
        household_size=size or 1,
        income_per_capita_fen=income or 0,
    )
    return person, values


@litestar.post("/persons", sync_to_thread=True)
def register(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Template | Redirect:
    """登记: on success go to `next` ("{id}" is replaced by the new person's id)."""
    actor.require("case.write")
    errors: dict[str, str] = {}
    new, values = person_from_form(actor, data, errors)
    status = 422
    if new is not None:
        try:
            person = create_person(svc, actor, new)
        except Invalid as exc:
            errors[FIELD_OF.get(exc.field, exc.field)] = exc.detail
        except Refused as exc:
            if exc.rule == "access":
                raise
            errors["id_number"] = exc.detail
            status = 409
        else:
            audit_request(request, svc, actor, "person.create", person_id=person.id)
            target = forms.safe_next(forms.text(data, "next"), "/persons/{id}")
            return Redirect(path=target.replace("{id}", str(person.id)), status_code=303)
    return page(
        request,
        actor,
        "persons.html",
        status,
        q=values.get("id_number", ""),
        rows=[],
        errors=errors,
        values=values,
        offer=True,
        next=forms.text(data, "next"),
        **person_form_context(svc, actor),
    )


@litestar.get("/persons/{person_id:int}", sync_to_thread=True)
def person_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, person_id: int
) -> Template:
    person = get_person(svc, actor, person_id)  # checks case.read and the area scope
    region = svc.region(person.region_id)
    with svc.reading() as conn:
        files = [
            plain(r)
            for r in conn.execute(
                select(cases).where(cases.c.person_id == person_id).order_by(cases.c.id)
            ).mappings()
        ]
    home = None
    if person.household_id is not None:
        try:
            home = get_household(svc, actor, person.household_id)
        except NotFound:  # registered outside the reader's area: not shown
            home = None
    audit_request(request, svc, actor, "person.view", person_id=person_id)
    return page(
        request,
        actor,
        "person.html",
        person=shown_person(actor, person, local_date(svc.now())),
        area_name=region.info.area_name(person.area_code),
        hukou_name=_hukou_name(region, person.hukou_area_code),
        files=files,
        has_open=any(f["status"] != CaseStatus.EXITED for f in files),
        household=home,
        relations=RELATIONS,
        error="",
    )


def _hukou_name(region: Any, code: str) -> str:
    """The hukou area by name when it is in the region, else its code ("" if none)."""
    if not code:
        return ""
    if code == region.info.code or region.info.area(code) is not None:
        return str(region.info.area_name(code))
    return f"{code}（本地区以外）"


@litestar.post("/cases", sync_to_thread=True)
def open_case_page(
    request: Request[Any, Any, Any], svc: Services, actor: Actor, data: forms.FormData
) -> Redirect:
    """立案 for a person; a person who already has an open file is sent to it."""
    person_id = forms.integer(data, "person_id", {})
    if person_id is None:
        raise Invalid("person_id", "请选择对象")
    try:
        case = open_case(svc, actor, person_id, forms.text(data, "reason")[:500])
    except Refused as exc:
        existing = exc.facts.get("case_id")
        if exc.rule == "case.unique" and isinstance(existing, int):
            return Redirect(path=f"/cases/{existing}?done=exists", status_code=303)
        raise
    audit_request(request, svc, actor, "case.open", case.id)
    return Redirect(path=f"/cases/{case.id}?done=opened", status_code=303)
