"""Every hook jiuzhu calls. Hooks only ever gain arguments; they are never renamed.

Conventions: collections arrive through a ``register`` callback; single answers are
``firstresult`` (the first non-None answer wins, so a region may override a built-in
capability with ``@hookimpl(tryfirst=True)``). Rule hooks receive a whole columnar
Population and answer with arrays, so one rule serves the service loop and the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .facts import Population
    from .regions import Region, RegionSource
    from .rules import BudgetRule, Eligibility, FundingRule
    from .supervision import Light, ProviderStats

hookspec = pluggy.HookspecMarker("jiuzhu")


@hookspec
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    """Register the regions this plugin provides.

    Called once when the plugin manager loads regions. Call ``register`` with a
    :class:`~jiuzhu.core.regions.RegionSource` for each region; its data files are read
    from ``RegionSource.data_dir``. Region ids must be unique across all plugins.
    """


@hookspec
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    """Register extra region data files this plugin reads.

    Called once when regions are loaded. Call ``register(name, struct_type, required=False)``:
    ``<name>.toml`` in a region's data folder is decoded strictly into ``struct_type``
    (a msgspec Struct) and reachable as ``region.sections[name]``.
    """


@hookspec
def jiuzhu_check_region(region: Region) -> list[str] | None:
    """Cross-file checks of one loaded region.

    Called after every file of ``region`` decoded. Return a list of problems, each
    ``"file.toml: key.path: what was expected"``; an empty list or None means no problem.
    Results of all plugins are collected.
    """


@hookspec(firstresult=True)
def jiuzhu_eligibility(region: Region, people: Population, on: date) -> Eligibility | None:
    """Decide who in ``people`` qualifies for ``region``'s service assistance on ``on``.

    Called by the service loop (a population of one) and by the comparison (millions).
    Return an :class:`~jiuzhu.core.rules.Eligibility` with one entry per person, or None
    to leave the decision to the next plugin. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_budget_rule(region: Region, on: date) -> BudgetRule | None:
    """Return the tiered-budget mechanism in force in ``region`` on ``on``.

    Called whenever an entitlement is granted or spent. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_funding_rule(region: Region, on: date) -> FundingRule | None:
    """Return the rule splitting spends among ``region``'s funding sources on ``on``.

    Called for every spend and refund, and by the comparison. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_provider_light(region: Region, stats: ProviderStats) -> Light | None:
    """Return a provider's traffic light (green, yellow, red) from its ``stats``.

    Called when a provider's statistics change and before every dispatch. First result wins.
    """


@hookspec
def jiuzhu_case_event(region: Region, event: Any) -> None:
    """Observe an event appended to a case (for warnings, notifications, exports).

    Called after the event's transaction commits; ``event`` is a CaseEvent. Return nothing.
    Each implementation is called on its own: one that raises is logged and affects neither
    the others nor the request (its change is already committed).
    """


@hookspec
def jiuzhu_cli_commands(cli: click.Group) -> None:
    """Add commands to the ``jiuzhu`` command line.

    Called once when the CLI starts. Add click commands or groups to ``cli``.
    """


@hookspec
def jiuzhu_web_routes(register: Callable[[Any], None]) -> None:
    """Add Litestar route handlers or routers to the JSON API.

    Called once when the app is built. Call ``register`` with each handler or Router; they
    are mounted under ``/api`` and receive the same ``actor`` and ``svc`` dependencies (and
    so the same access checks) as the built-in API.
    """


@hookspec
def jiuzhu_web_pages(register: Callable[[Any], None]) -> None:
    """Add server-rendered pages (Litestar route handlers or routers) to the web app.

    Called once when the app is built. Call ``register`` with each handler or Router; they are
    mounted beside the built-in pages, not under ``/api`` (a path under ``/api``, ``/static``
    or ``/schema`` is refused), with the same dependencies: ``actor`` (the signed-in user of
    the page session; anonymous visitors are sent to ``/login``), ``svc`` and ``secret_key``.
    Forms must carry the CSRF token (``{{ csrf_input | safe }}``); refusals, unknown and
    out-of-scope records become the built-in Chinese error pages.

    Handlers render with ``jiuzhu.core.web.pages.common.page(request, actor, name, ...)``;
    a template named ``"<package>:<path>"`` is read from that package's files (so a plugin
    ships its templates beside its code) and may extend ``"base.html"``. A handler created
    with ``nav="label"`` (and optionally ``permission="…"``) is linked from the menu of
    signed-in users holding that permission.
    """
