"""融救联助: what society adds to what departments give — a resource library (资源库) of
organisations, units, businesses, volunteers and need sentinels; charity funds with their
own ledger; micro-wishes (微心愿 / 许愿池) claimed by unit accounts; 1+1+N case teams with
graded review; each household's whole package (救助大礼包); volunteers' hours.

Owns its tables (Alembic branch ``resources``), its role (爱心单位 ``unit``) and its
permissions; configured per region by ``resources.toml``. See docs/resources.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jiuzhu.core import hookimpl

from .config import ResourceConfig

if TYPE_CHECKING:  # the hooks import what they use: `jiuzhu --help` imports this package
    from jiuzhu.core import Region
    from jiuzhu.core.access import Actor, Permission, RoleDef
    from jiuzhu.core.sections import PageSection
    from jiuzhu.core.services import Services


@hookimpl
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    from .roles import ROLES

    for role in ROLES:
        register(role)


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    from .roles import PERMISSIONS

    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def jiuzhu_register_labels(region: Region | None, register: Callable[[str, Any], None]) -> None:
    register(
        "event",
        {
            "wish.published": "发布微心愿",
            "wish.claimed": "微心愿被认领",
            "wish.fulfilled": "微心愿已兑现",
            "wish.confirmed": "微心愿确认收到",
            "wish.withdrawn": "撤回微心愿",
            "team.formed": "组建个案团队",
            "team.reviewed": "个案研判",
        },
    )
    register(
        "permission",
        {
            "resource.read": "查看资源库",
            "resource.write": "维护资源库",
            "fund.read": "查看慈善资金",
            "fund.write": "登记捐赠与拨付",
            "wish.publish": "发布微心愿",
            "wish.read": "查看微心愿",
            "wish.claim": "认领微心愿",
            "wish.confirm": "代为确认微心愿",
            "team.manage": "个案团队",
            "package.read": "查看救助大礼包",
            "benefit.record": "登记救助物资",
            "volunteer.record": "登记志愿服务",
        },
    )
    register(
        "field",
        {
            "resources": "融救联助（社会资源）",
            "library": "资源库",
            "offers": "服务内容",
            "content": "内容",
            "needs": "对应需求",
            "area_code": "服务区域",
            "capacity": "服务能力（每月）",
            "owner": "责任主体",
            "contact": "联系方式",
            "location": "位置",
            "counts": "公开数字",
            "reported": "报道数",
            "funds": "慈善资金",
            "source_code": "资金来源",
            "wishes": "微心愿",
            "street_level": "展示到",
            "claim_days": "认领时限（天）",
            "fulfil_days": "兑现时限（天）",
            "confirm_days": "确认时限（天）",
            "max_value_fen": "单个心愿价值上限",
            "teams": "个案团队（1+1+N）",
            "lead_label": "牵头人",
            "officer_label": "干部",
            "holder_label": "资源方",
            "grades": "研判分级",
            "review_days": "研判间隔（天）",
            "min_resource_holders": "资源方最少人数",
            "organisation": "社会组织",
            "unit": "爱心单位",
            "business": "爱心企业",
            "volunteer": "志愿者",
            "sentinel": "需求哨点",
            "general": "一般",
            "key": "重点",
            "difficult": "疑难",
        },
    )


@hookimpl
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
    from . import tables  # noqa: F401  (the plugin's tables join the core MetaData)

    register(Path(__file__).parent / "migrations", "resources")


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("resources", ResourceConfig)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    cfg = region.section("resources", ResourceConfig)
    if cfg is None:
        return None
    from .checks import check

    return check(region, cfg)


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
    from .sections import home_sections, household_sections

    if page == "home":
        return home_sections(svc, actor)
    if page == "household" and key is not None:
        return household_sections(svc, actor, key)
    return None


@hookimpl
def jiuzhu_demo_data(svc: Services, region: Region) -> list[str] | None:
    from .demo import demo_data

    return demo_data(svc, region)
