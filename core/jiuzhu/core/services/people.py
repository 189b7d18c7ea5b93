"""Persons and households."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from .. import idcard
from ..access import Actor, check_scope, in_scope
from ..base import Invalid, Refused
from ..domain import RELATIONS, NewPerson, Person
from ..facts import COVERAGE, DISABILITY_TYPES, GROUPS, PersonFacts, age_on
from ..storage.tables import persons
from ..times import local_date
from . import Services, append_event, fetch_one, plain


def is_division_code(code: str) -> bool:
    """A GB/T 2260 code (6 digits) or a code below county level (9 or 12 digits)."""
    return code.isascii() and code.isdigit() and 6 <= len(code) <= 12


def person_facts(person: Person, on: date) -> PersonFacts:
    return PersonFacts(
        age=age_on(person.birth_date, on),
        groups=frozenset(person.groups),
        disability_grade=person.disability_grade,
        major_illness=person.major_illness,
        chronic_illness=person.chronic_illness,
        household_size=person.household_size,
        income_per_capita_fen=person.income_per_capita_fen,
        covered_by=frozenset(person.covered_by),
        student=person.student,
        living_alone=person.living_alone,
        area_code=person.area_code,
        hukou_area_code=person.hukou_area_code,
        disability_type=person.disability_type,
    )


def person_problems(
    svc: Services, data: NewPerson, today: date | None = None
) -> tuple[str, list[Invalid]]:
    """Every problem of a new person's data (the API's rules, all of them, not only the
    first): the normalised ID number ("" when it is invalid) and one ``Invalid`` per field
    at fault. Used by registration (first problem refused) and bulk import (all reported)."""
    region = svc.region(data.region_id)
    problems: list[Invalid] = []
    number = ""
    try:
        number = idcard.validate(data.id_number, today or local_date(svc.now()))
    except ValueError as exc:
        problems.append(Invalid("id_number", str(exc)))
    if not data.name.strip():
        problems.append(Invalid("name", "姓名不能为空"))
    if data.area_code != region.info.code and region.info.area(data.area_code) is None:
        problems.append(Invalid("area_code", f"{data.area_code} 不是{region.info.name}的区划代码"))
    for name, values, vocab in (
        ("groups", data.groups, GROUPS),
        ("covered_by", data.covered_by, COVERAGE),
    ):
        unknown = [v for v in values if v not in vocab]
        if unknown:
            problems.append(Invalid(name, f"未知取值 {unknown}；可选：{'、'.join(vocab)}"))
    if not 0 <= data.disability_grade <= 4:
        problems.append(Invalid("disability_grade", "残疾等级应为0（无）或1–4级"))
    if data.disability_type and data.disability_type not in DISABILITY_TYPES:
        problems.append(
            Invalid("disability_type", f"残疾类别应为 {'、'.join(DISABILITY_TYPES)} 之一")
        )
    elif data.disability_type and not data.disability_grade:
        problems.append(Invalid("disability_type", "填写残疾类别时须同时填写残疾等级（1–4级）"))
    if data.hukou_area_code and not is_division_code(data.hukou_area_code):
        problems.append(
            Invalid("hukou_area_code", "户籍地应为6至12位数字的行政区划代码（可为外省）")
        )
    if data.relation and data.relation not in RELATIONS:
        problems.append(Invalid("relation", f"与户主关系应为 {'、'.join(RELATIONS)} 之一"))
    if data.relation and data.household_id is None:
        problems.append(Invalid("relation", "填写与户主关系时须同时指定所在户（household_id）"))
    if not 1 <= data.household_size <= 100:
        problems.append(Invalid("household_size", "家庭人口应为1至100"))
    if not 0 <= data.income_per_capita_fen <= 10**12:
        problems.append(Invalid("income_per_capita_fen", "收入应为0至100亿元（单位：分）"))
    for name, value, limit in (("name", data.name, 60), ("phone", data.phone, 20)):
        if len(value) > limit or "\x00" in value:
            problems.append(Invalid(name, f"不超过{limit}个字符，且不含控制字符"))
    if data.sex not in ("", "男", "女"):
        problems.append(Invalid("sex", "性别应为“男”或“女”"))
    return number, problems


def validate_new_person(svc: Services, data: NewPerson) -> str:
    number, problems = person_problems(svc, data)
    if problems:
        raise problems[0]
    return number


def create_person(svc: Services, actor: Actor, data: NewPerson) -> Person:
    actor.require("case.write")
    number = validate_new_person(svc, data)
    region = svc.region(data.region_id)
    check_scope(actor, region.info, "area", data.area_code, data.region_id, data.area_code)
    from .households import join_new_member

    values = msgspec.to_builtins(data)
    values.update(
        id_number=number,
        birth_date=idcard.birth_date(number),
        created_at=svc.now(),
        household_id=None,  # joins below, through the household's rules
        relation="",
    )
    try:
        with svc.transaction() as conn:
            pid = conn.execute(persons.insert().values(**values)).inserted_primary_key
            assert pid is not None
            if data.household_id is not None:
                join_new_member(svc, conn, actor, data.household_id, int(pid[0]), data.relation)
            row = fetch_one(conn, persons, "person", pid[0], id=pid[0])
    except IntegrityError:
        raise duplicate(svc, actor, data.region_id, number) from None
    return msgspec.convert(row, Person)


# The answer for a number registered outside the actor's area: it says neither where nor
# who, and is the same whoever holds the number (docs/security.md, "Not-found and duplicates").
UNAVAILABLE = "该身份证号无法在您的管辖范围内登记。请核对号码；如确需登记，请联系上级民政部门核实。"


def duplicate(svc: Services, actor: Actor, region_id: str, number: str) -> Refused:
    """The refusal for a number already registered in the region. In the actor's scope:
    `person.unique` with the person's id (they may open the record anyway). Outside it:
    `person.unavailable`, naming no area, person or id."""
    existing = find_person(svc, region_id, number)
    if existing is not None and in_scope(
        actor, svc.region(region_id).info, existing.region_id, existing.area_code
    ):
        return Refused(
            "person.unique",
            f"身份证号 {idcard.mask(number)} 已登记（对象 #{existing.id}）",
            person_id=existing.id,
        )
    return Refused("person.unavailable", UNAVAILABLE)


def get_person(svc: Services, actor: Actor, person_id: int) -> Person:
    actor.require("case.read")
    with svc.reading() as conn:
        row = fetch_one(conn, persons, "person", person_id, id=person_id)
    person = msgspec.convert(row, Person)
    check_scope(
        actor,
        svc.region(person.region_id).info,
        "person",
        person_id,
        person.region_id,
        person.area_code,
    )
    return person


def find_person(svc: Services, region_id: str, id_number: str) -> Person | None:
    with svc.reading() as conn:
        row = (
            conn.execute(
                select(persons).where(
                    persons.c.region_id == region_id, persons.c.id_number == id_number.upper()
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else msgspec.convert(plain(row), Person)


# fields an update may change (the ID number is the key; the area moves with the case and
# is not changed here)
UPDATABLE = (
    "name",
    "sex",
    "phone",
    "hukou_area_code",
    "groups",
    "disability_grade",
    "disability_type",
    "major_illness",
    "chronic_illness",
    "covered_by",
    "student",
    "living_alone",
    "household_size",
    "income_per_capita_fen",
)


def update_person(
    svc: Services,
    conn: Connection,
    actor: Actor,
    person: Person,
    changes: Mapping[str, Any],
    reason: str,
) -> None:
    """Change registered facts of ``person`` inside the caller's unit of work (values already
    validated, e.g. by ``person_problems``) and record it: a ``person.updated`` event with
    each field's old and new value on the person's open case, if any (case history is where
    a person's changes are read; with no open case the caller's audit row records them)."""
    actor.require("case.write")
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise Invalid(sorted(unknown)[0], "导入不能更改此项")
    if not changes:
        return
    conn.execute(update(persons).where(persons.c.id == person.id).values(**changes))
    from .cases import open_case_of

    case_id = open_case_of(conn, person)
    if case_id is not None:
        detail = {k: [getattr(person, k), v] for k, v in changes.items()}
        append_event(
            svc,
            conn,
            svc.region(person.region_id),
            case_id,
            actor.username,
            "person.updated",
            reason,
            person_id=person.id,
            changes=detail,
        )
