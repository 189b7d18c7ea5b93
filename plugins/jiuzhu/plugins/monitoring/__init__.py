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
from jiuzhu.core.access import Actor, Permission, Role, RoleDef, View
from jiuzhu.core.sections import PageSection
from jiuzhu.core.services import Services

from . import tables  # noqa: F401  (the plugin's tables join the core MetaData)
from .config import Monitoring
from .roles import ADVISER, SENTINEL
from .rules import BUILTIN, RuleKind

if TYPE_CHECKING:
    import click


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("monitoring", Monitoring)


@hookimpl
def jiuzhu_warning_rules(register: Callable[[RuleKind], None]) -> None:
    for kind in BUILTIN:
        register(kind)


@hookimpl
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    register(RoleDef(name=ADVISER, label="救助顾问"))
    register(RoleDef(name=SENTINEL, label="需求哨点"))


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
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


@hookimpl
def jiuzhu_cli_commands(cli: click.Group) -> None:
    from .cli import feeds, warnings

    cli.add_command(feeds)
    cli.add_command(warnings)


__all__ = ["Monitoring", "RuleKind"]
