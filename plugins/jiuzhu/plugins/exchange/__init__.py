"""Data exchange (数据交换): bulk import of rosters (persons, households, providers,
workers) with a clerk-readable error workbook, import templates, and exports of cases,
orders, deliveries, statistics and applications in Excel or CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jiuzhu.core import hookimpl

if TYPE_CHECKING:
    from jiuzhu.core.access import Actor, Permission
    from jiuzhu.core.sections import PageSection
    from jiuzhu.core.services import Services

# the list pages that get download buttons: page -> (export kind, who may download)
DOWNLOADS = {
    "stats": (("statistics", "统计报表", "stats.read"),),
    "persons": (("cases", "救助对象档案", "case.read"),),
    "dispatch": (
        ("orders", "服务工单", "order.read"),
        ("deliveries", "服务记录", "order.read"),
    ),
}


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    from jiuzhu.core.access import Permission, Role

    register(
        Permission(
            name="data.import",
            description="bulk import of rosters (besides case.write or provider.write)",
            roles=(Role.ADMIN,),
        )
    )


@hookimpl
def jiuzhu_web_routes(register: Callable[[Any], None]) -> None:
    from .web import ROUTES

    for route in ROUTES:
        register(route)


@hookimpl
def jiuzhu_web_pages(register: Callable[[Any], None]) -> None:
    from .web import PAGES

    for handler in PAGES:
        register(handler)


@hookimpl
def jiuzhu_page_sections(
    page: str, svc: Services, actor: Actor, key: int | None
) -> list[PageSection] | None:
    """Download buttons (Excel, CSV) on the statistics page and the lists."""
    from jiuzhu.core.sections import PageSection

    actions = [
        (f"/exchange/export/{kind}?format={fmt}", f"下载{label}（{name}）")
        for kind, label, permission in DOWNLOADS.get(page, ())
        if actor.can(permission)
        for fmt, name in (("xlsx", "Excel"), ("csv", "CSV"))
    ]
    if not actions:
        return None
    return [
        PageSection(key="exchange.downloads", title="导出", columns=[], rows=[], actions=actions)
    ]
