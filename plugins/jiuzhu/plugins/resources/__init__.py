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
from typing import Any

import click

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.access import Actor, Permission, RoleDef
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services

from . import tables  # noqa: F401  (the plugin's tables join the core MetaData)
from .config import ResourceConfig
from .roles import PERMISSIONS, ROLES


@hookimpl
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    for role in ROLES:
        register(role)


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
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


@hookimpl
def jiuzhu_cli_commands(cli: click.Group) -> None:
    from .cli import resources_command

    cli.add_command(resources_command)
