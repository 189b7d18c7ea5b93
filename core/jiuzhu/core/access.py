"""Who may do what, where, and what they see. Default deny; scope is a region and an area subtree.

Every door (API, pages, CLI) builds an Actor and the services check it here, once:
- the registry of roles and permissions (`access_registry(pm)`): the core's own
  (`CORE_ROLES`, `CORE_PERMISSIONS`) and those plugins register through
  `jiuzhu_register_roles` and `jiuzhu_register_permissions` (datasette's
  `register_permissions` is the model). An Actor carries its role's permissions, computed
  when it is built from the user and the registry (docs/security.md shows the table of the
  built-in ones; a test keeps the two equal).
- the scoped-query helpers `case_scope`, `person_scope`, `order_scope`: SQL conditions that
  every list and every single read of those records goes through, for pages, API and exports.
- the shaping functions `shown_id`, `shown_text`, `shown_values` and `shown_person`: the one
  place where ID numbers are masked and the birth date becomes an age for roles without
  `id.full` (a masked number beside the birth date can be completed: the 8 hidden digits
  *are* the birth date).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

import msgspec
import pluggy
from sqlalchemy import ColumnElement, and_, false, or_, select

from . import idcard
from .base import Base, NotFound, Refused
from .domain import Person
from .facts import age_on
from .region import RegionInfo
from .storage.tables import cases, orders, persons
from .times import local_date, utcnow

if TYPE_CHECKING:
    from .regions import Region


class Role(StrEnum):
    """The core's roles. Plugins register more through ``jiuzhu_register_roles`` (the
    one-form's 部门审批 ``approver``); an actor's role is any registered name."""

    ADMIN = "admin"  # 系统管理员
    OFFICER = "officer"  # 民政干部
    CLERK = "clerk"  # 前台受理
    PROVIDER_ADMIN = "provider_admin"  # 服务机构管理员
    WORKER = "worker"  # 社工
    SUPERVISOR = "supervisor"  # 监管
    EVALUATOR = "evaluator"  # 评估（只读）
    SYSTEM = "system"  # the CLI and jobs run by an operator

    @property
    def label(self) -> str:
        return CORE_ROLES[self].label


class View(StrEnum):
    """How much of a person a role sees."""

    FULL = "full"  # everything, the full ID number and birth date (id.full)
    MASKED = "masked"  # the file, the ID masked, age instead of the birth date
    WORK = "work"  # what a service visit needs: name, sex, contact, area, address
    NONE = "none"


VIEW_RANK = {View.NONE: 0, View.WORK: 1, View.MASKED: 2, View.FULL: 3}


# --- the registry of roles and permissions -----------------------------------------------
@dataclass(frozen=True)
class RoleDef:
    """A role, registered by the core or a plugin (``jiuzhu_register_roles``)."""

    name: str  # stored on user accounts, e.g. "approver"
    label: str  # for people, e.g. "部门审批员"
    # accounts must name their area when created (a missing --area never silently means
    # "the whole region"); admins and evaluators work region-wide
    area_bound: bool = True
    # permissions registered by others that this role also holds (a plugin's role may hold
    # core permissions this way)
    permissions: tuple[str, ...] = ()
    # the role's accounts belong to one of the region's departments (these, by code)
    departments: Callable[[Region], Collection[str]] | None = None


@dataclass(frozen=True)
class Permission:
    """A permission, registered by the core or a plugin (``jiuzhu_register_permissions``);
    the system role holds every permission."""

    name: str  # e.g. "application.accept"
    description: str  # what it allows, for people (docs/security.md)
    roles: tuple[str, ...] = ()  # the roles that hold it
    # holders see persons at least this much (the strongest view of a role's permissions
    # is its view; see VIEW_FIELDS)
    person_view: View | None = None


@dataclass(frozen=True)
class AccessRegistry:
    """The roles and permissions of one plugin manager (the core's own and every
    plugin's), and what each role holds."""

    roles: Mapping[str, RoleDef]
    permissions: Mapping[str, Permission]
    grants: Mapping[str, frozenset[str]]  # role -> the permissions it holds

    def role(self, name: str) -> RoleDef:
        """The registered role; KeyError naming the known ones."""
        try:
            return self.roles[name]
        except KeyError:
            known = ", ".join(r for r in self.roles if r != Role.SYSTEM)
            raise KeyError(f"unknown role {name!r}; known: {known}") from None

    def holders(self, permission: str) -> frozenset[str]:
        """The roles holding ``permission`` (the system role among them)."""
        return frozenset(r for r, held in self.grants.items() if permission in held)

    def view(self, role: str) -> View:
        """How much of a person the role sees: the strongest view its permissions give."""
        if role == Role.SYSTEM:
            return View.FULL
        best = View.NONE
        for name in self.grants.get(role, frozenset()):
            view = self.permissions[name].person_view
            if view is not None and VIEW_RANK[view] > VIEW_RANK[best]:
                best = view
        return best

    def actor(
        self,
        *,
        username: str,
        role: str,
        region_id: str,
        area_code: str,
        provider_id: int | None = None,
        worker_id: int | None = None,
        department: str = "",
        user_id: int | None = None,
    ) -> Actor:
        """An actor carrying its role's permissions, label and view of persons."""
        return Actor(
            username=username,
            role=role,
            region_id=region_id,
            area_code=area_code,
            provider_id=provider_id,
            worker_id=worker_id,
            department=department,
            user_id=user_id,
            permissions=self.grants.get(role, frozenset()),
            role_label=self.role(role).label if role in self.roles else role,
            person_view=self.view(role),
        )


def _register_core_roles(register: Callable[[RoleDef], None]) -> None:
    for role in CORE_ROLES.values():
        register(role)


def _register_core_permissions(register: Callable[[Permission], None]) -> None:
    for permission in CORE_PERMISSIONS:
        register(permission)


def build_registry(
    role_sources: list[tuple[str, Callable[[Callable[[RoleDef], None]], None]]],
    permission_sources: list[tuple[str, Callable[[Callable[[Permission], None]], None]]],
) -> AccessRegistry:
    """Collect roles, then permissions, from (owner, function) pairs; a name registered
    twice, a permission for an unknown role or a role holding an unknown permission is an
    error naming the owners (a ValueError)."""
    roles: dict[str, RoleDef] = {}
    owner: dict[str, str] = {}
    for who, source in role_sources:

        def add_role(role: RoleDef, _who: str = who) -> None:
            if not isinstance(role, RoleDef):
                raise ValueError(f"{_who} registered {role!r}, not a jiuzhu.core.access.RoleDef")
            if role.name in roles:
                raise ValueError(
                    f"two plugins register a role '{role.name}': {owner[role.name]} and {_who}"
                )
            roles[role.name], owner[role.name] = role, _who

        source(add_role)
    permissions: dict[str, Permission] = {}
    for pwho, psource in permission_sources:

        def add_permission(permission: Permission, _who: str = pwho) -> None:
            if not isinstance(permission, Permission):
                raise ValueError(
                    f"{_who} registered {permission!r}, not a jiuzhu.core.access.Permission"
                )
            key = f"permission {permission.name}"
            if permission.name in permissions:
                raise ValueError(
                    f"two plugins register a permission '{permission.name}': "
                    f"{owner[key]} and {_who}"
                )
            unknown = [r for r in permission.roles if r not in roles]
            if unknown:
                raise ValueError(
                    f"{_who}: permission '{permission.name}' names unknown roles {unknown}"
                )
            permissions[permission.name], owner[key] = permission, _who

        psource(add_permission)
    grants: dict[str, set[str]] = {name: set() for name in roles}
    for permission in permissions.values():
        for holder in permission.roles:
            grants[holder].add(permission.name)
    for defined in roles.values():
        missing = [p for p in defined.permissions if p not in permissions]
        if missing:
            raise ValueError(
                f"{owner[defined.name]}: role '{defined.name}' holds unknown permissions {missing}"
            )
        grants[defined.name].update(defined.permissions)
    if Role.SYSTEM in grants:
        grants[Role.SYSTEM] = set(permissions)
    return AccessRegistry(
        roles=roles,
        permissions=permissions,
        grants={r: frozenset(held) for r, held in grants.items()},
    )


def access_registry(pm: pluggy.PluginManager) -> AccessRegistry:
    """The registry of a plugin manager: the core's roles and permissions and those its
    plugins register (``jiuzhu_register_roles``, ``jiuzhu_register_permissions``), built
    once per manager."""
    known: AccessRegistry | None = getattr(pm, "jiuzhu_access", None)
    if known is not None:
        return known
    role_sources: list[tuple[str, Any]] = [("jiuzhu.core", _register_core_roles)]
    permission_sources: list[tuple[str, Any]] = [("jiuzhu.core", _register_core_permissions)]
    for impl in reversed(pm.hook.jiuzhu_register_roles.get_hookimpls()):
        role_sources.append((f"plugin '{impl.plugin_name}'", impl.function))
    for impl in reversed(pm.hook.jiuzhu_register_permissions.get_hookimpls()):
        permission_sources.append((f"plugin '{impl.plugin_name}'", impl.function))
    try:
        registry = build_registry(role_sources, permission_sources)
    except ValueError as exc:
        from .plugins import PluginError

        raise PluginError(str(exc)) from exc
    pm.jiuzhu_access = registry  # type: ignore[attr-defined]
    return registry


@cache
def core_registry() -> AccessRegistry:
    """The core's roles and permissions alone: what an Actor built without a registry
    holds (plugins' permissions need ``access_registry(pm).actor(...)``)."""
    return build_registry(
        [("jiuzhu.core", _register_core_roles)], [("jiuzhu.core", _register_core_permissions)]
    )


CORE_ROLES: dict[str, RoleDef] = {
    r.name: r
    for r in (
        RoleDef(name=Role.ADMIN, label="系统管理员", area_bound=False),
        RoleDef(name=Role.OFFICER, label="民政干部"),
        RoleDef(name=Role.CLERK, label="前台受理员"),
        RoleDef(name=Role.PROVIDER_ADMIN, label="服务机构管理员"),
        RoleDef(name=Role.WORKER, label="社工"),
        RoleDef(name=Role.SUPERVISOR, label="监管人员"),
        RoleDef(name=Role.EVALUATOR, label="评估人员（只读）", area_bound=False),
        RoleDef(name=Role.SYSTEM, label="系统", area_bound=False),
    )
}

_STAFF = (Role.ADMIN, Role.OFFICER, Role.CLERK)
# the core's permissions (least privilege: docs/security.md explains each row)
CORE_PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        name="case.read",
        description="whole case files (一人一档): assessments, health, disability, income, history",
        roles=(*_STAFF, Role.SUPERVISOR),
        person_view=View.MASKED,
    ),
    Permission(name="case.write", description="register people, open and exit cases", roles=_STAFF),
    Permission(name="assess", description="record assessments", roles=(Role.ADMIN, Role.OFFICER)),
    Permission(
        name="grant", description="decide eligibility and grant", roles=(Role.ADMIN, Role.OFFICER)
    ),
    Permission(
        name="order.read",
        description="orders: case readers those of their area, provider staff their provider's",
        roles=(*_STAFF, Role.SUPERVISOR, Role.PROVIDER_ADMIN, Role.WORKER),
        person_view=View.WORK,
    ),
    Permission(name="order.place", description="place orders", roles=_STAFF),
    Permission(
        name="order.dispatch",
        description="dispatch and escalate orders",
        roles=(Role.ADMIN, Role.OFFICER),
    ),
    Permission(
        name="order.work",
        description="accept, check in and out, close early",
        roles=(Role.WORKER, Role.PROVIDER_ADMIN, Role.ADMIN),
    ),
    Permission(name="order.cancel", description="cancel orders", roles=_STAFF),
    Permission(name="order.rate", description="record a rating", roles=(Role.ADMIN, Role.OFFICER)),
    Permission(
        name="visit",
        description="return visits, stage reviews, home visits, supervision, surveys",
        roles=(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR),
    ),
    Permission(
        name="provider.read",
        description="providers and their workers",
        roles=(
            *_STAFF,
            Role.SUPERVISOR,
            Role.EVALUATOR,
            Role.PROVIDER_ADMIN,
            Role.WORKER,
        ),
    ),
    Permission(name="provider.write", description="register providers", roles=(Role.ADMIN,)),
    Permission(
        name="session.run",
        description="plan group sessions and check attendees in (小组工作 / 主题活动)",
        roles=(Role.ADMIN, Role.OFFICER, Role.WORKER, Role.PROVIDER_ADMIN),
    ),
    Permission(
        name="stats.read",
        description="statistics and period closing",
        roles=(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.EVALUATOR),
    ),
    Permission(
        name="id.full",
        description="the full ID number and birth date",
        roles=_STAFF,
        person_view=View.FULL,
    ),
    Permission(name="users.manage", description="user accounts", roles=(Role.ADMIN,)),
)


class Actor(Base, frozen=True, kw_only=True):
    """Who is acting, where, and what they hold. Built with ``AccessRegistry.actor`` (from
    the plugin manager's registry); one built directly holds the core's grants for its
    role."""

    username: str
    role: str  # a registered role's name
    region_id: str
    area_code: str  # the root of the area subtree this actor may see
    provider_id: int | None = None
    worker_id: int | None = None
    department: str = ""
    user_id: int | None = None
    permissions: frozenset[str] | None = None  # None: the core's grants for the role
    role_label: str = ""
    person_view: View | None = None  # None: from the core's grants

    @property
    def held(self) -> frozenset[str]:
        if self.permissions is not None:
            return self.permissions
        return core_registry().grants.get(self.role, frozenset())

    @property
    def label(self) -> str:
        if self.role_label:
            return self.role_label
        known = CORE_ROLES.get(self.role)
        return known.label if known is not None else self.role

    def can(self, permission: str) -> bool:
        return self.role == Role.SYSTEM or permission in self.held

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Refused(
                "access",
                f"角色「{self.label}」无权执行此操作（{permission}）",
                permission=permission,
            )


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
def view_of(actor: Actor) -> View:
    """How much of a person the actor sees (the strongest view its permissions give)."""
    if actor.role == Role.SYSTEM:
        return View.FULL
    if actor.person_view is not None:
        return actor.person_view
    return core_registry().view(actor.role)


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
        raise Refused("access", f"角色「{actor.label}」无权查看个人信息")
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
