"""Who may do what, where, and what they see. Default deny; scope is a region and an area subtree.

Every door (API, pages, CLI) builds an Actor and the services check it here, once:
- `PERMISSIONS`: which role holds which permission (docs/security.md shows the table; a test
  keeps the two equal).
- the scoped-query helpers `case_scope`, `person_scope`, `order_scope`: SQL conditions that
  every list and every single read of those records goes through, for pages, API and exports.
- the shaping functions `shown_id`, `shown_text`, `shown_values` and `shown_person`: the one
  place where ID numbers are masked and the birth date becomes an age for roles without
  `id.full` (a masked number beside the birth date can be completed: the 8 hidden digits
  *are* the birth date).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, false, or_, select

from . import idcard
from .base import Base, NotFound, Refused
from .domain import Person
from .facts import age_on
from .region import RegionInfo
from .storage.tables import cases, orders, persons
from .times import local_date, utcnow


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员
    OFFICER = "officer"  # 民政干部
    CLERK = "clerk"  # 前台受理
    APPROVER = "approver"  # 部门审批
    PROVIDER_ADMIN = "provider_admin"  # 服务机构管理员
    WORKER = "worker"  # 社工
    SUPERVISOR = "supervisor"  # 监管
    EVALUATOR = "evaluator"  # 评估（只读）
    SYSTEM = "system"  # the CLI and jobs run by an operator

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.OFFICER: "民政干部",
    Role.CLERK: "前台受理员",
    Role.APPROVER: "部门审批员",
    Role.PROVIDER_ADMIN: "服务机构管理员",
    Role.WORKER: "社工",
    Role.SUPERVISOR: "监管人员",
    Role.EVALUATOR: "评估人员（只读）",
    Role.SYSTEM: "系统",
}

# Accounts that must name their area explicitly when created: a missing --area never
# silently means "the whole region" for them. Admins and evaluators work region-wide.
AREA_BOUND = frozenset(
    {
        Role.OFFICER,
        Role.CLERK,
        Role.APPROVER,
        Role.PROVIDER_ADMIN,
        Role.WORKER,
        Role.SUPERVISOR,
    }
)

_STAFF = {Role.ADMIN, Role.OFFICER, Role.CLERK, Role.SYSTEM}

# permission -> roles holding it (least privilege: docs/security.md explains each row)
PERMISSIONS: dict[str, frozenset[Role]] = {
    # whole case files (一人一档): assessments, health, disability, income, history
    "case.read": frozenset({*_STAFF, Role.SUPERVISOR}),
    "case.write": frozenset(_STAFF),
    "assess": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "grant": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    # orders: case readers see those of their area; provider staff those of their provider
    "order.read": frozenset({*_STAFF, Role.SUPERVISOR, Role.PROVIDER_ADMIN, Role.WORKER}),
    "order.place": frozenset(_STAFF),
    "order.dispatch": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "order.work": frozenset({Role.WORKER, Role.PROVIDER_ADMIN, Role.ADMIN, Role.SYSTEM}),
    "order.cancel": frozenset(_STAFF),
    "order.rate": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "visit": frozenset({Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM}),
    "provider.read": frozenset(
        {*_STAFF, Role.SUPERVISOR, Role.EVALUATOR, Role.PROVIDER_ADMIN, Role.WORKER}
    ),
    "provider.write": frozenset({Role.ADMIN, Role.SYSTEM}),
    # plan group sessions and check attendees in (小组工作 / 主题活动)
    "session.run": frozenset(
        {Role.ADMIN, Role.OFFICER, Role.WORKER, Role.PROVIDER_ADMIN, Role.SYSTEM}
    ),
    "stats.read": frozenset(
        {Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.EVALUATOR, Role.SYSTEM}
    ),
    "application.accept": frozenset({Role.ADMIN, Role.CLERK, Role.OFFICER, Role.SYSTEM}),
    # approvers: only applications with a task of their department (one_form checks it)
    "application.read": frozenset({*_STAFF, Role.APPROVER, Role.SUPERVISOR}),
    "task.decide": frozenset({Role.APPROVER, Role.ADMIN, Role.SYSTEM}),
    "id.full": frozenset(_STAFF),
    "users.manage": frozenset({Role.ADMIN, Role.SYSTEM}),
}


class Actor(Base, frozen=True, kw_only=True):
    username: str
    role: Role
    region_id: str
    area_code: str  # the root of the area subtree this actor may see
    provider_id: int | None = None
    worker_id: int | None = None
    department: str = ""
    user_id: int | None = None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Refused("access", f"角色「{self.role.label}」无权执行此操作（{permission}）")


def system_actor(region_id: str, area_code: str, username: str = "system") -> Actor:
    return Actor(username=username, role=Role.SYSTEM, region_id=region_id, area_code=area_code)


# --- scope: where ------------------------------------------------------------------------
def area_subtree(info: RegionInfo, root: str) -> set[str]:
    """Every area code at or below `root` in the region's hierarchy."""
    children: dict[str, list[str]] = {}
    for area in info.areas:
        children.setdefault(area.parent, []).append(area.code)
    out, stack = set(), [root]
    while stack:
        code = stack.pop()
        out.add(code)
        stack.extend(children.get(code, []))
    return out


def area_codes(actor: Actor, info: RegionInfo) -> list[str]:
    """The area codes the actor may see, sorted (an `IN` list for queries)."""
    return sorted(area_subtree(info, actor.area_code))


def in_scope(actor: Actor, info: RegionInfo, region_id: str, area_code: str) -> bool:
    return region_id == actor.region_id and area_code in area_subtree(info, actor.area_code)


def check_scope(
    actor: Actor, info: RegionInfo, kind: str, key: object, region_id: str, area_code: str
) -> None:
    """Out of scope looks exactly like absent: no hint that the record exists."""
    if not in_scope(actor, info, region_id, area_code):
        raise NotFound(kind, key)


def case_scope(actor: Actor, info: RegionInfo) -> ColumnElement[bool]:
    """The cases of the actor's region and area subtree (a condition on `cases`). Reading a
    file also needs `case.read`; changing one, the permission of the change."""
    return and_(
        cases.c.region_id == actor.region_id, cases.c.area_code.in_(area_codes(actor, info))
    )


def person_scope(actor: Actor, info: RegionInfo) -> ColumnElement[bool]:
    """The persons registered in the actor's region and area subtree (on `persons`)."""
    return and_(
        persons.c.region_id == actor.region_id, persons.c.area_code.in_(area_codes(actor, info))
    )


def order_scope(actor: Actor, info: RegionInfo) -> ColumnElement[bool]:
    """The orders the actor may see (a condition on `orders`; no join needed).

    Case readers: every order of a case in their area. Provider staff: only orders
    dispatched to their own provider; a worker of those, only the ones they accepted and
    the ones nobody has accepted yet. Anyone else: none."""
    in_area = orders.c.case_id.in_(select(cases.c.id).where(case_scope(actor, info)))
    where = and_(orders.c.region_id == actor.region_id, in_area)
    if actor.can("case.read"):
        return where
    if not actor.can("order.read") or actor.provider_id is None:
        return false()
    mine = orders.c.provider_id == actor.provider_id
    if actor.worker_id is not None:
        mine = and_(mine, or_(orders.c.worker_id == actor.worker_id, orders.c.worker_id.is_(None)))
    return and_(where, mine)


# --- shaping: what -------------------------------------------------------------------------
class View(StrEnum):
    """How much of a person a role sees."""

    FULL = "full"  # everything, the full ID number and birth date (id.full)
    MASKED = "masked"  # the file, the ID masked, age instead of the birth date
    WORK = "work"  # what a service visit needs: name, sex, contact, area, address
    NONE = "none"


def view_of(actor: Actor) -> View:
    if actor.can("id.full"):
        return View.FULL
    if actor.can("case.read") or actor.can("application.read"):
        return View.MASKED
    if actor.can("order.read"):
        return View.WORK
    return View.NONE


class PersonView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A person as one role may see them. Fields the role may not see are absent (None);
    `id_number` is masked and `birth_date` replaced by `age` unless the role holds id.full."""

    id: int
    region_id: str
    name: str
    area_code: str
    sex: str = ""
    phone: str = ""
    address: str | None = None
    age: int | None = None
    id_number: str | None = None
    birth_date: date | None = None
    household_id: int | None = None
    relation: str | None = None
    hukou_area_code: str | None = None
    groups: list[str] | None = None
    disability_grade: int | None = None
    disability_type: str | None = None
    major_illness: bool | None = None
    chronic_illness: bool | None = None
    covered_by: list[str] | None = None
    student: bool | None = None
    living_alone: bool | None = None
    household_size: int | None = None
    income_per_capita_fen: int | None = None
    created_at: datetime | None = None


# the Person fields each view shows (besides id, region_id, name, area_code)
WORK_FIELDS = ("sex", "phone", "address")
FILE_FIELDS = (
    "sex",
    "phone",
    "age",
    "id_number",
    "household_id",
    "relation",
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
    "created_at",
)
VIEW_FIELDS: dict[View, tuple[str, ...]] = {
    View.FULL: (*FILE_FIELDS, "birth_date"),
    View.MASKED: FILE_FIELDS,
    View.WORK: WORK_FIELDS,
    View.NONE: (),
}


def shown_id(actor: Actor, number: str) -> str:
    """An ID number as this actor may see it: whole with id.full, else first 6 + last 4."""
    return number if actor.can("id.full") else idcard.mask(number)


def shown_text(actor: Actor, text: str) -> str:
    """Free text (notes, reasons, form entries) with every valid ID number in it masked
    for roles without id.full."""
    return text if actor.can("id.full") else idcard.mask_in_text(text)


def shown_values(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    """A record that may hold ID-type values (an application's form, a prefill): every
    string in it, at any depth, has its ID numbers masked for roles without id.full."""
    return {str(k): _shown_value(actor, v) for k, v in values.items()}


def _shown_value(actor: Actor, value: Any) -> Any:
    if isinstance(value, str):
        return shown_text(actor, value)
    if isinstance(value, Mapping):
        return shown_values(actor, value)
    if isinstance(value, list | tuple):
        return [_shown_value(actor, v) for v in value]
    return value


def shown_person(
    actor: Actor, person: Person, on: date | None = None, address: str | None = None
) -> PersonView:
    """The one function that shapes a person for a role (API, pages, print views, exports).

    `on` is the day the age is counted on (today in Shanghai by default)."""
    view = view_of(actor)
    if view == View.NONE:
        raise Refused("access", f"角色「{actor.role.label}」无权查看个人信息")
    today = on or local_date(utcnow())
    values: dict[str, Any] = {
        "sex": person.sex,
        "phone": person.phone,
        "address": address,
        "age": age_on(person.birth_date, today),
        "id_number": shown_id(actor, person.id_number),
        "birth_date": person.birth_date,
    }
    shown: dict[str, Any] = {}
    for name in VIEW_FIELDS[view]:
        shown[name] = values[name] if name in values else getattr(person, name)
    return PersonView(
        id=person.id,
        region_id=person.region_id,
        name=person.name,
        area_code=person.area_code,
        **shown,
    )
