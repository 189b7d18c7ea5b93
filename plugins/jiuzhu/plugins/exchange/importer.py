"""Bulk import of a roster: every row checked with the core's rules, every problem reported
with its row and column, then all rows written in one unit of work or none.

Dry run (the default) reads the database and writes nothing. ``apply`` checks again inside
the write transaction and writes only when no row has a problem. Re-importing the same file
changes nothing: persons are matched by ID number, households by their head's ID number,
providers by name, workers by provider, name and phone. A changed person goes through
``jiuzhu.core.services.people.update_person`` (an event on their open case); what else
changed is listed in the import's audit row.

Speed: rows are checked in Python against maps loaded once per import (one query per
table, not per row) and new rows are written by executemany inserts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Connection, select, update

from jiuzhu.core import idcard
from jiuzhu.core.access import Actor, in_scope
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.domain import RELATIONS, NewPerson, Person, Provider, Worker
from jiuzhu.core.facts import DISABILITY_TYPES
from jiuzhu.core.region import RegionInfo
from jiuzhu.core.services import Services, plain
from jiuzhu.core.services.audit import audit
from jiuzhu.core.services.households import join_new_member
from jiuzhu.core.services.people import UNAVAILABLE, UPDATABLE, person_problems, update_person
from jiuzhu.core.services.providers import PHONE
from jiuzhu.core.storage.tables import households, persons, providers, workers
from jiuzhu.core.supervision import UNRATED, ProviderStanding, ProviderStats
from jiuzhu.core.times import local_date

from .columns import COLUMNS, KIND_LABELS, CellError, Column, match_headers
from .reader import Sheet

PERMISSION = {
    "persons": "case.write",
    "households": "case.write",
    "providers": "provider.write",
    "workers": "provider.write",
}


@dataclass(frozen=True)
class Problem:
    row: int  # the row number in the file (the header is row 1); 0: the file as a whole
    column: str  # the header of the column at fault ("" for the row or the file)
    message: str


@dataclass
class Outcome:
    kind: str
    region_id: str
    sheet: Sheet
    columns: dict[str, int]  # field key -> column index in the file
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems if p.row})

    def summary(self) -> str:
        label = KIND_LABELS[self.kind]
        head = (
            f"{label}：共{self.rows}行，新增{self.new}，更新{self.updated}，无变化{self.unchanged}"
        )
        if self.problems:
            return f"{head}；{self.bad_rows}行有问题（{len(self.problems)}处）"
        return head


class Rows:
    """One row's cells read through the kind's columns, collecting cell problems."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.cols = {c.key: c for c in COLUMNS[outcome.kind]}

    def header(self, key: str) -> str:
        index = self.outcome.columns.get(key)
        if index is None:
            return self.cols[key].header
        return self.outcome.sheet.headers[index]

    def read(self, number: int, cells: list[str]) -> tuple[dict[str, Any], set[str]]:
        values: dict[str, Any] = {}
        bad: set[str] = set()
        for key, index in self.outcome.columns.items():
            col: Column = self.cols[key]
            cell = cells[index] if index < len(cells) else ""
            if col.required and not cell:
                self.problem(number, key, f"{col.header}为必填")
                bad.add(key)
                continue
            try:
                values[key] = col.read(cell)
            except CellError as exc:
                self.problem(number, key, str(exc))
                bad.add(key)
        return values, bad

    def problem(self, number: int, key: str, message: str) -> None:
        column = self.header(key) if key else ""
        self.outcome.problems.append(Problem(number, column, message))


def start(kind: str, region_id: str, sheet: Sheet) -> Outcome:
    if kind not in COLUMNS:
        raise Invalid("kind", f"未知的导入类型 {kind}；可选：{'、'.join(COLUMNS)}")
    columns, problems = match_headers(kind, sheet.headers)
    outcome = Outcome(kind=kind, region_id=region_id, sheet=sheet, columns=columns)
    outcome.rows = len(sheet.rows)
    outcome.problems.extend(Problem(1, "", p) for p in problems)
    return outcome


def run_import(
    svc: Services,
    actor: Actor,
    kind: str,
    region_id: str,
    sheet: Sheet,
    *,
    apply: bool = False,
    source: str = "",
) -> Outcome:
    """Check ``sheet`` as a roster of ``kind`` for ``region_id``; with ``apply`` and no
    problem, write it (one transaction). The outcome lists every problem."""
    region = svc.region(region_id)
    if actor.region_id != region_id:
        raise Refused("access", "只能导入本地区的数据")
    actor.require(PERMISSION.get(kind, "case.write"))
    actor.require("data.import")
    outcome = start(kind, region_id, sheet)
    if outcome.problems:  # the header is wrong: no row can be read
        return outcome
    checker, writer = KINDS[kind]
    if not apply:
        with svc.reading() as conn:
            checker(svc, conn, actor, region.info, outcome)
        outcome.problems.sort(key=lambda p: p.row)
        return outcome
    changed: list[Any] = []
    with svc.transaction() as conn:
        plan = checker(svc, conn, actor, region.info, outcome)
        outcome.problems.sort(key=lambda p: p.row)
        if not outcome.problems and (outcome.new or outcome.updated):
            changed = writer(svc, conn, actor, region.info, plan)
            outcome.applied = True
    if outcome.applied:
        audit(
            svc,
            actor,
            "import",
            f"import/{kind}",
            region_id=region_id,
            source=source[:200],
            rows=outcome.rows,
            new=outcome.new,
            updated=outcome.updated,
            changed=changed[:1000],
        )
    return outcome


# --- persons -----------------------------------------------------------------------------
@dataclass
class PersonPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[Person, dict[str, Any], int]] = field(default_factory=list)


def _existing_persons(conn: Connection, region_id: str) -> dict[str, Person]:
    rows = conn.execute(select(persons).where(persons.c.region_id == region_id)).mappings()
    return {r["id_number"]: msgspec.convert(plain(r), Person) for r in rows}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(old) == sorted(new)
    return bool(old == new)


def check_persons(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, outcome: Outcome
) -> PersonPlan:
    rows = Rows(outcome)
    existing = _existing_persons(conn, outcome.region_id)
    today = local_date(svc.now())
    seen: dict[str, int] = {}
    plan = PersonPlan()
    present = set(outcome.columns)
    now = svc.now()
    for number, cells in outcome.sheet.rows:
        values, bad = rows.read(number, cells)
        blank = {"id_number": "", "name": "", "area_code": ""}
        data = NewPerson(region_id=outcome.region_id, **{**blank, **values})
        normalised, problems = person_problems(svc, data, today)
        # a type needs a grade: with the grade cell unreadable, that follows from the grade
        grade_unread = "disability_grade" in bad
        for p in problems:
            if (
                p.field == "disability_type"
                and grade_unread
                and (data.disability_type in DISABILITY_TYPES)
            ):
                continue
            if p.field not in bad:
                rows.problem(number, p.field if p.field in present else "", p.detail)
                bad.add(p.field)
        if "id_number" in bad:
            continue
        if normalised in seen:
            rows.problem(number, "id_number", f"与第{seen[normalised]}行的身份证号重复")
            continue
        seen[normalised] = number
        old = existing.get(normalised)
        if old is None:
            if "area_code" not in bad and not in_scope(
                actor, info, outcome.region_id, data.area_code
            ):
                rows.problem(number, "area_code", f"{data.area_code} 不在您的管辖范围内")
                bad.add("area_code")
            if not bad:
                row = msgspec.to_builtins(data)
                row.update(
                    id_number=normalised,
                    birth_date=idcard.birth_date(normalised),
                    created_at=now,
                    household_id=None,
                    relation="",
                )
                plan.new.append(row)
                outcome.new += 1
            continue
        if not in_scope(actor, info, old.region_id, old.area_code):
            rows.problem(number, "id_number", UNAVAILABLE)
            continue
        if "area_code" not in bad and data.area_code != old.area_code:
            rows.problem(
                number,
                "area_code",
                f"已登记在 {old.area_code}，导入不能更改区划；迁移请在对象档案中办理",
            )
            bad.add("area_code")
        if bad:
            continue
        changes = {
            k: values[k] for k in UPDATABLE if k in values and not _same(getattr(old, k), values[k])
        }
        if changes:
            plan.changes.append((old, changes, number))
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    return plan


def write_persons(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, plan: PersonPlan
) -> list[Any]:
    for chunk in _chunks(plan.new, 5000):
        conn.execute(persons.insert(), chunk)
    changed = []
    for person, changes, number in plan.changes:
        update_person(svc, conn, actor, person, changes, f"批量导入第{number}行")
        changed.append({"person_id": person.id, "fields": sorted(changes)})
    return changed


# --- households --------------------------------------------------------------------------
@dataclass
class HouseholdPlan:
    # head person -> (area code, address, phone, [(member, relation)])
    homes: dict[int, dict[str, Any]] = field(default_factory=dict)


def check_households(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, outcome: Outcome
) -> HouseholdPlan:
    rows = Rows(outcome)
    people = _existing_persons(conn, outcome.region_id)
    by_id = {p.id: p for p in people.values()}
    headed = {
        int(r.head_person_id): plain(r)
        for r in conn.execute(
            select(households).where(
                households.c.region_id == outcome.region_id,
                households.c.head_person_id.is_not(None),
            )
        ).mappings()
    }
    plan = HouseholdPlan()
    member_rows: dict[int, int] = {}
    head_rows: dict[str, int] = {}  # head's ID number -> first row naming it head
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, cells in outcome.sheet.rows:
        values, bad = rows.read(number, cells)
        found: dict[str, Person] = {}
        for key in ("head_id_number", "id_number"):
            if key in bad:
                continue
            try:
                n = idcard.validate(values[key])
            except ValueError as exc:
                rows.problem(number, key, str(exc))
                bad.add(key)
                continue
            person = people.get(n)
            if person is None or not in_scope(actor, info, person.region_id, person.area_code):
                rows.problem(number, key, "未登记：请先导入救助对象（persons），再导入家庭户")
                bad.add(key)
                continue
            found[key] = person
        relation = values.get("relation", "")
        if "relation" not in bad and relation not in RELATIONS:
            rows.problem(number, "relation", f"与户主关系应为 {'、'.join(RELATIONS)} 之一")
            bad.add("relation")
        if len(found) == 2 and "relation" not in bad:
            is_head = found["head_id_number"].id == found["id_number"].id
            if is_head != (relation == RELATIONS[0]):
                rows.problem(
                    number,
                    "relation",
                    "户主本人一行填“户主”，其他成员不能填“户主”",
                )
                bad.add("relation")
        area = values.get("area_code", "")
        if area and "area_code" not in bad:
            if area != info.code and info.area(area) is None:
                rows.problem(number, "area_code", f"{area} 不是{info.name}的区划代码")
                bad.add("area_code")
            elif not in_scope(actor, info, outcome.region_id, area):
                rows.problem(number, "area_code", f"{area} 不在您的管辖范围内")
                bad.add("area_code")
        for key, limit in (("address", 200), ("phone", 20)):
            value = values.get(key, "")
            if len(value) > limit or "\x00" in value:
                rows.problem(number, key, f"不超过{limit}个字符，且不含控制字符")
                bad.add(key)
        if "id_number" in found:
            listed = found["id_number"]
            if listed.id in member_rows:
                rows.problem(number, "id_number", f"与第{member_rows[listed.id]}行重复")
                bad.add("id_number")
            else:
                member_rows[listed.id] = number
        if not bad:
            parsed.append((number, {**values, **found}))
            head_rows.setdefault(found["head_id_number"].id_number, number)
    # a member who heads another household of the file cannot be a member of this one
    for number, values in parsed:
        member: Person = values["id_number"]
        head: Person = values["head_id_number"]
        if member.id != head.id and member.id_number in head_rows:
            rows.problem(
                number,
                "id_number",
                f"此人在第{head_rows[member.id_number]}行是另一户的户主",
            )
    bad_rows = {p.row for p in outcome.problems}
    for number, values in parsed:
        if number in bad_rows:
            continue
        head = values["head_id_number"]
        home = plan.homes.setdefault(
            head.id, {"area_code": "", "address": None, "phone": None, "members": []}
        )
        for key in ("area_code", "address", "phone"):
            if values.get(key) and not home[key]:
                home[key] = values[key]
        home["members"].append((values["id_number"], values["relation"], number))
    for head_id, home in plan.homes.items():
        current = headed.get(head_id)
        change = current is None
        if current is not None:
            change = any(
                home[k] is not None and home[k] != current[k] for k in ("address", "phone")
            )
        for member, relation, _ in home["members"]:
            fresh = by_id[member.id]
            in_home = current is not None and fresh.household_id == current["id"]
            if not in_home or fresh.relation != relation:
                change = True
        home["current"] = current
        home["changed"] = change
        if current is None:
            outcome.new += 1
        elif change:
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    return plan


def write_households(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, plan: HouseholdPlan
) -> list[Any]:
    changed = []
    for head_id, home in plan.homes.items():
        if not home["changed"]:
            continue
        current = home["current"]
        if current is None:
            members = home["members"]
            head = next(m for m, r, _ in members if m.id == head_id)
            hid = conn.execute(
                households.insert().values(
                    region_id=head.region_id,
                    area_code=home["area_code"] or head.area_code,
                    address=(home["address"] or "").strip(),
                    phone=(home["phone"] or "").strip(),
                    size=1,
                    created_at=svc.now(),
                )
            ).inserted_primary_key
            assert hid is not None
            household_id = int(hid[0])
        else:
            household_id = int(current["id"])
            values = {k: home[k] for k in ("address", "phone") if home[k] is not None}
            conn.execute(update(households).where(households.c.id == household_id).values(**values))
        # the head first, so members join a household that has its head
        ordered = sorted(home["members"], key=lambda m: m[0].id != head_id)
        for member, relation, _ in ordered:
            now = conn.execute(
                select(persons.c.household_id, persons.c.relation).where(persons.c.id == member.id)
            ).one()
            if now.household_id != household_id or now.relation != relation:
                join_new_member(svc, conn, actor, household_id, member.id, relation)
        changed.append({"household_id": household_id, "head_person_id": head_id})
    return changed


# --- providers ---------------------------------------------------------------------------
@dataclass
class ProviderPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    moved: list[tuple[Provider, str]] = field(default_factory=list)


def check_providers(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, outcome: Outcome
) -> ProviderPlan:
    rows = Rows(outcome)
    existing = {
        r["name"]: msgspec.convert(plain(r), Provider)
        for r in conn.execute(
            select(providers).where(providers.c.region_id == outcome.region_id)
        ).mappings()
    }
    plan = ProviderPlan()
    seen: dict[str, int] = {}
    for number, cells in outcome.sheet.rows:
        values, bad = rows.read(number, cells)
        name, area = values.get("name", ""), values.get("area_code", "")
        if "name" not in bad:
            if len(name) > 100 or "\x00" in name:
                rows.problem(number, "name", "机构名称不超过100字，且不含控制字符")
                bad.add("name")
            elif name in seen:
                rows.problem(number, "name", f"与第{seen[name]}行的机构名称重复")
                bad.add("name")
            else:
                seen[name] = number
        if "area_code" not in bad and area != info.code and info.area(area) is None:
            rows.problem(number, "area_code", f"{area} 不是{info.name}的区划代码")
            bad.add("area_code")
        if bad:
            continue
        old = existing.get(name)
        if old is None:
            plan.new.append({"name": name, "area_code": area})
            outcome.new += 1
        elif old.area_code != area:
            plan.moved.append((old, area))
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    return plan


def write_providers(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, plan: ProviderPlan
) -> list[Any]:
    region = svc.region(info.id)
    # a new provider's standing: what the region's rule says of no ratings at all (as
    # jiuzhu.core.services.providers.create_provider does)
    first: ProviderStanding | None = svc.regions.pm.hook.jiuzhu_provider_light(
        region=region, stats=ProviderStats(provider_id=0)
    )
    standing = first or UNRATED
    reason = f"新机构：{standing.reason}" if standing.reason else "新机构"
    if plan.new:
        conn.execute(
            providers.insert(),
            [
                {
                    "region_id": info.id,
                    **row,
                    "light": standing.code,
                    "light_label": standing.label,
                    "light_reason": reason,
                    "blocks_dispatch": standing.blocks_dispatch,
                    "active": True,
                }
                for row in plan.new
            ],
        )
    changed = []
    for provider, area in plan.moved:
        conn.execute(update(providers).where(providers.c.id == provider.id).values(area_code=area))
        changed.append({"provider_id": provider.id, "area_code": [provider.area_code, area]})
    return changed


# --- workers -----------------------------------------------------------------------------
@dataclass
class WorkerPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    requalified: list[tuple[Worker, list[str]]] = field(default_factory=list)


def check_workers(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, outcome: Outcome
) -> WorkerPlan:
    rows = Rows(outcome)
    by_name = {
        r.name: int(r.id)
        for r in conn.execute(
            select(providers.c.id, providers.c.name).where(
                providers.c.region_id == outcome.region_id
            )
        )
    }
    existing = {
        (w.provider_id, w.name, w.phone): w
        for w in (
            msgspec.convert(plain(r), Worker)
            for r in conn.execute(
                select(workers).where(workers.c.provider_id.in_(list(by_name.values()) or [0]))
            ).mappings()
        )
    }
    plan = WorkerPlan()
    seen: dict[tuple[int, str, str], int] = {}
    for number, cells in outcome.sheet.rows:
        values, bad = rows.read(number, cells)
        provider_id = by_name.get(values.get("provider", ""))
        if "provider" not in bad and provider_id is None:
            rows.problem(number, "provider", "未登记的服务机构：请先导入服务机构（providers）")
            bad.add("provider")
        name, phone = values.get("name", ""), values.get("phone", "")
        if "name" not in bad and (len(name) > 60 or "\x00" in name):
            rows.problem(number, "name", "姓名不超过60字，且不含控制字符")
            bad.add("name")
        if phone and not PHONE.match(phone):
            rows.problem(number, "phone", f"{phone} 不是电话号码（如 13800000001 或 0477-1234567）")
            bad.add("phone")
        quals = values.get("qualifications", [])
        if any(len(q) > 40 for q in quals) or len(quals) > 20:
            rows.problem(number, "qualifications", "资质最多20项，每项不超过40字")
            bad.add("qualifications")
        if bad:
            continue
        assert provider_id is not None
        key = (provider_id, name, phone)
        if key in seen:
            rows.problem(number, "name", f"与第{seen[key]}行重复（同机构、同名、同电话）")
            continue
        seen[key] = number
        old = existing.get(key)
        if old is None:
            plan.new.append(
                {
                    "provider_id": provider_id,
                    "name": name,
                    "phone": phone,
                    "qualifications": quals,
                    "active": True,
                }
            )
            outcome.new += 1
        elif "qualifications" in outcome.columns and not _same(old.qualifications, quals):
            plan.requalified.append((old, quals))
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    return plan


def write_workers(
    svc: Services, conn: Connection, actor: Actor, info: RegionInfo, plan: WorkerPlan
) -> list[Any]:
    for chunk in _chunks(plan.new, 5000):
        conn.execute(workers.insert(), chunk)
    changed = []
    for worker, quals in plan.requalified:
        conn.execute(update(workers).where(workers.c.id == worker.id).values(qualifications=quals))
        changed.append({"worker_id": worker.id, "qualifications": [worker.qualifications, quals]})
    return changed


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


Checker = Callable[[Services, Connection, Actor, RegionInfo, Outcome], Any]
Writer = Callable[[Services, Connection, Actor, RegionInfo, Any], list[Any]]
KINDS: dict[str, tuple[Checker, Writer]] = {
    "persons": (check_persons, write_persons),
    "households": (check_households, write_households),
    "providers": (check_providers, write_providers),
    "workers": (check_workers, write_workers),
}
