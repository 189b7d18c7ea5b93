"""Data exchange (数据交换): bulk import of rosters (persons, households, providers,
workers) with a clerk-readable error workbook, import templates, and exports of cases,
orders, deliveries, statistics and applications in Excel or CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jiuzhu.core import hookimpl
from jiuzhu.core.access import Permission, Role

if TYPE_CHECKING:
    import click


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    register(
        Permission(
            name="data.import",
            description="bulk import of rosters (besides case.write or provider.write)",
            roles=(Role.ADMIN,),
        )
    )


@hookimpl
def jiuzhu_cli_commands(cli: click.Group) -> None:
    from .cli import export_command, import_group

    cli.add_command(import_group)
    cli.add_command(export_command)


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
