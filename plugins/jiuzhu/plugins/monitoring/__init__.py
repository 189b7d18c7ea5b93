"""政策找人: department data feeds, warning rules, leads and verification visits.

A region declares its feed kinds, warning rules and warning levels in ``monitoring.toml``;
``jiuzhu feeds load`` reads a department's file, matches rows to people by ID number and
runs the rules; ``jiuzhu warnings list`` shows the queue. Rule kinds are extensible
through ``jiuzhu_warning_rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jiuzhu.core import hookimpl
from jiuzhu.core.lazy import lazy_exports

if TYPE_CHECKING:
    from jiuzhu.core import Region
    from jiuzhu.core.access import Actor, Permission, RoleDef
    from jiuzhu.core.sections import PageSection
    from jiuzhu.core.services import Services

    from .config import Monitoring
    from .rules import RuleKind

# The hooks import what they use, and the API loads on first use (PEP 562): `jiuzhu --help`
# imports this package for its commands and must not pay for numpy and the services.
_LAZY = {"Monitoring": "config", "RuleKind": "rules"}

_find = lazy_exports(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _find(name)


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    from .config import Monitoring

    register("monitoring", Monitoring)


@hookimpl
def jiuzhu_warning_rules(register: Callable[[RuleKind], None]) -> None:
    from .rules import BUILTIN

    for kind in BUILTIN:
        register(kind)


@hookimpl
def jiuzhu_register_labels(region: Region | None, register: Callable[[str, Any], None]) -> None:
    from .config import Monitoring

    register("event", {"case.recertified": "定期复核"})
    register(
        "permission",
        {
            "feeds.load": "导入部门数据",
            "warnings.read": "查看预警",
            "leads.report": "报告线索",
            "warnings.visit": "预警核实",
        },
    )
    register(
        "field",
        {
            "monitoring": "政策找人（动态监测预警）",
            "recertify_months": "定期复核（月）",
            "income_line_fen": "退出复核收入线（月人均）",
            "response_hours": "响应时限（小时）",
            "columns": "数据列",
            "header": "列名",
            "type": "类型",
            "person": "身份证号列",
            "date": "日期列",
            "area": "区划列",
            "effect": "效果",
            "feed": "数据",
            "column": "数据列",
            "op": "比较",
            "value": "阈值",
            "days": "时间窗（天）",
            "agg": "汇总方式",
            "rules": "规则",
            "weights": "权重",
            "params": "参数",
            "helper": "仅供组合规则",
            "text": "文字",
            "int": "整数",
            "id_number": "身份证号",
            "bool": "是/否",
            "money": "金额",
            "sum": "合计",
            "count": "次数",
            "death": "死亡（注销档案）",
            "income": "收入（退出复核）",
        },
    )
    # a region's own column codes read as the headers its files use
    monitoring = region.section("monitoring", Monitoring) if region is not None else None
    if monitoring is not None:
        register("field", {c.code: c.header for k in monitoring.kinds for c in k.columns})
        register("field", {k.code: k.name for k in monitoring.kinds})


@hookimpl
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    from jiuzhu.core.access import RoleDef

    from .roles import ADVISER, SENTINEL

    register(RoleDef(name=ADVISER, label="救助顾问"))
    register(RoleDef(name=SENTINEL, label="需求哨点"))


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    from jiuzhu.core.access import Permission, Role, View

    from .roles import ADVISER, SENTINEL

    register(
        Permission(
            name="feeds.load",
            description="load department data feeds (政策找人); records who loaded what",
            roles=(Role.ADMIN, Role.OFFICER),
        )
    )
    register(
        Permission(
            name="warnings.read",
            description="the queue of warnings and leads of the actor's area (IDs masked)",
            roles=(Role.ADMIN, Role.OFFICER, Role.SUPERVISOR),
            person_view=View.MASKED,
        )
    )
    register(
        Permission(
            name="leads.report",
            description="report a lead (线索: adviser, sentinel, hotline); no ID number needed",
            roles=(Role.ADMIN, Role.OFFICER, Role.CLERK, ADVISER, SENTINEL),
        )
    )
    register(
        Permission(
            name="warnings.visit",
            description="verification visits: the queue of the area, record the outcome",
            roles=(Role.ADMIN, Role.OFFICER, Role.WORKER),
        )
    )


@hookimpl
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
    from . import tables  # noqa: F401  (the plugin's tables join the core MetaData)

    register(Path(__file__).parent / "migrations", "monitoring")


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
    from .sections import urgent_signals

    return urgent_signals(svc, actor) if page == "home" else None


__all__ = ["Monitoring", "RuleKind"]
