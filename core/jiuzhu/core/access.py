"""Who may do what, and where. Default deny; scope is a region and an area subtree.

Every door (API, pages, CLI) builds an Actor and the services check it here, once.
"""

from __future__ import annotations

from enum import StrEnum

from .base import Base, NotFound, Refused
from .region import RegionInfo


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

# permission -> roles holding it
PERMISSIONS: dict[str, frozenset[Role]] = {
    "case.read": frozenset(
        {
            Role.ADMIN,
            Role.OFFICER,
            Role.CLERK,
            Role.SUPERVISOR,
            Role.EVALUATOR,
            Role.WORKER,
            Role.PROVIDER_ADMIN,
            Role.SYSTEM,
        }
    ),
    "case.write": frozenset({Role.ADMIN, Role.OFFICER, Role.CLERK, Role.SYSTEM}),
    "assess": frozenset({Role.ADMIN, Role.OFFICER, Role.WORKER, Role.SYSTEM}),
    "grant": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "order.place": frozenset({Role.ADMIN, Role.OFFICER, Role.CLERK, Role.SYSTEM}),
    "order.dispatch": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "order.work": frozenset({Role.WORKER, Role.PROVIDER_ADMIN, Role.ADMIN, Role.SYSTEM}),
    "order.cancel": frozenset({Role.ADMIN, Role.OFFICER, Role.CLERK, Role.SYSTEM}),
    "order.rate": frozenset({Role.ADMIN, Role.OFFICER, Role.SYSTEM}),
    "visit": frozenset({Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM}),
    "provider.write": frozenset({Role.ADMIN, Role.SYSTEM}),
    # plan group sessions and check attendees in (小组工作 / 主题活动)
    "session.run": frozenset(
        {Role.ADMIN, Role.OFFICER, Role.WORKER, Role.PROVIDER_ADMIN, Role.SYSTEM}
    ),
    "stats.read": frozenset(
        {Role.ADMIN, Role.OFFICER, Role.SUPERVISOR, Role.EVALUATOR, Role.SYSTEM}
    ),
    "application.accept": frozenset({Role.ADMIN, Role.CLERK, Role.OFFICER, Role.SYSTEM}),
    "application.read": frozenset(
        {
            Role.ADMIN,
            Role.CLERK,
            Role.OFFICER,
            Role.APPROVER,
            Role.SUPERVISOR,
            Role.EVALUATOR,
            Role.SYSTEM,
        }
    ),
    "task.decide": frozenset({Role.APPROVER, Role.ADMIN, Role.SYSTEM}),
    "id.full": frozenset({Role.ADMIN, Role.OFFICER, Role.CLERK, Role.SYSTEM}),
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


def in_scope(actor: Actor, info: RegionInfo, region_id: str, area_code: str) -> bool:
    return region_id == actor.region_id and area_code in area_subtree(info, actor.area_code)


def check_scope(
    actor: Actor, info: RegionInfo, kind: str, key: object, region_id: str, area_code: str
) -> None:
    """Out of scope looks exactly like absent: no hint that the record exists."""
    if not in_scope(actor, info, region_id, area_code):
        raise NotFound(kind, key)
