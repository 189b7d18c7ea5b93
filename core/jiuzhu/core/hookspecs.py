"""Every hook jiuzhu calls. Hooks only ever gain arguments; they are never renamed.

Conventions: collections arrive through a ``register`` callback; single answers are
``firstresult`` (the first non-None answer wins, so a region may override a built-in
capability with ``@hookimpl(tryfirst=True)``). Rule hooks receive a whole columnar
Population and answer with arrays, so one rule serves the service loop and the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .access import Actor, Permission, RoleDef
    from .assessment import Instrument
    from .entitlement import EntitlementRule
    from .facts import Population
    from .regions import Region, RegionSource
    from .rules import BudgetRule, Eligibility, FundingRule
    from .sections import PageSection
    from .services import Services
    from .supervision import ProviderStanding, ProviderStats

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
def jiuzhu_register_instruments(register: Callable[[Instrument], None]) -> None:
    """Provide assessment instruments that any region can name.

    Called when regions are loaded. Call ``register`` with each
    :class:`~jiuzhu.core.assessment.Instrument` (with an ``id``, its domains and levels). A
    region's ``assessment.toml`` then says ``uses = "<id>"`` and adds only its own need rules
    (which catalogue items each domain score calls for). Instrument ids must be unique.
    """


@hookspec
def jiuzhu_register_roles(register: Callable[[RoleDef], None]) -> None:
    """Provide roles user accounts can have.

    Called once per plugin manager, when the access registry is built. Call ``register``
    with each :class:`~jiuzhu.core.access.RoleDef` (``name``, Chinese ``label``,
    ``area_bound``, ``permissions`` registered elsewhere it also holds, ``departments``:
    the region's departments its accounts must belong to). Role names are unique across the
    core and every plugin. The core registers its own (``CORE_ROLES``) the same way.
    """


@hookspec
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    """Provide permissions, and say which roles hold them.

    Called once per plugin manager, after the roles. Call ``register`` with each
    :class:`~jiuzhu.core.access.Permission` (``name``, ``description``, ``roles`` holding
    it, ``person_view``: how much of a person its holders see). Services check them with
    ``actor.require(name)``; the system role holds every permission. Names are unique; the
    core registers its own (``CORE_PERMISSIONS``) the same way.
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
def jiuzhu_entitlement_rule(
    region: Region, on: date, level: str, people: Population
) -> EntitlementRule | None:
    """Return the entitlement rule (:class:`~jiuzhu.core.entitlement.EntitlementRule`: a
    scheme version in its unit and period) that applies in ``region`` on ``on`` to a case
    whose latest assessment ``level`` is given ("" when not assessed) and whose person is
    ``people`` (a Population of one; empty when the caller asks for the region's general
    rule, as the comparison does). Return None when this plugin has no rule for them: if
    no plugin answers, the core asks ``jiuzhu_budget_rule``; if that has none either, the
    case is served without an individual entitlement (group sessions, items that do not
    spend one).

    Called when an entitlement is granted (the rule's ``label`` is recorded) and whenever
    it is used or shown, with the level and date recorded at grant. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_budget_rule(region: Region, on: date) -> BudgetRule | None:
    """Return a money-tier budget rule in force in ``region`` on ``on`` (the original
    entitlement hook, kept for plugins written against it).

    Called only when no plugin answers ``jiuzhu_entitlement_rule``; the rule is used as
    unit fen, kind cap, period year. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_funding_rule(region: Region, on: date) -> FundingRule | None:
    """Return the rule splitting spends among ``region``'s funding sources on ``on``.

    Called for every spend and refund, and by the comparison. First result wins.
    """


@hookspec(firstresult=True)
def jiuzhu_provider_light(region: Region, stats: ProviderStats) -> ProviderStanding | None:
    """Return a provider's standing (:class:`~jiuzhu.core.supervision.ProviderStanding`:
    a code, a label for people, whether it blocks new dispatches, and why) from its
    ``stats`` — e.g. the traffic light's green, yellow or red.

    Called when a provider's ratings or return visits change; the standing is stored on
    the provider and dispatch refuses one that blocks it. First result wins; with no
    answer the provider is unrated and may receive orders.
    """


@hookspec(firstresult=True)
def jiuzhu_found_by_warnings(region: Region, people: Population, on: date) -> dict[str, Any] | None:
    """Return whom the region's early-warning rules (政策找人) flag among ``people``: a dict
    of rule label (for people, e.g. "大额医疗支出") -> a boolean array over ``people``
    (one entry per person, True where the rule flags them). Labels keep their order and are
    the same on every call.

    Called by the comparison (``jiuzhu compare``) once per region and chunk of a
    population, with the columnar facts (``people.extra`` may carry more columns, e.g.
    ``applied``); ``on`` is the day whose rules apply. First result wins; return None for a
    region whose warnings the plugin does not model. The comparison shows its "finding
    people" dimension only for regions some plugin answers for.
    """


@hookspec
def jiuzhu_warning_rules(register: Callable[[Any], None]) -> None:
    """Provide kinds of early-warning rule (预警规则) that a region's ``monitoring.toml``
    can name in ``rules[].kind`` (政策找人; the monitoring plugin).

    Called when the monitoring plugin evaluates a region's rules. Call ``register`` with each
    ``jiuzhu.plugins.monitoring.rules.RuleKind`` (``name``, ``description`` and
    ``evaluate(rule, data, earlier)``, which answers ``Hits`` for every subject of ``data``
    at once: columns, not a loop per person, so one rule serves one person and a million).
    Kind names are unique; the monitoring plugin registers its built-in kinds (threshold,
    window, all, any, score) the same way.
    """


@hookspec
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
    """Give the Alembic migrations of the tables this plugin owns.

    Called by ``jiuzhu db upgrade`` (and whenever the schema is checked). Call
    ``register(versions_dir, branch_label)`` with the folder holding the plugin's revision
    files and the name of its branch. The branch's first revision has
    ``branch_labels = ("<branch_label>",)``, ``down_revision = None`` and ``depends_on`` the
    core revision whose tables it refers to; define tables on
    ``jiuzhu.core.storage.tables.metadata`` so foreign keys to core tables resolve.
    """


@hookspec
def jiuzhu_case_event(region: Region, event: Any) -> None:
    """Observe an event appended to a case (for warnings, notifications, exports).

    Called after the event's transaction commits; ``event`` is a CaseEvent. Return nothing.
    Each implementation is called on its own: one that raises is logged and affects neither
    the others nor the request (its change is already committed).
    """


@hookspec
def jiuzhu_page_sections(
    page: str, svc: Services, actor: Actor, key: int | None
) -> list[PageSection] | None:
    """Add sections to a core page or file: ``page`` is ``"home"`` (the signed-in actor's
    to-do list; ``key`` is None), ``"household"`` (the household file 一户一档, on its
    page and in ``GET /api/households/{id}``; ``key`` is the household's id, already
    checked to be in the actor's scope), ``"case"`` (the case file 一人一档 page; ``key``
    is the case's id, already checked to be in the actor's scope), ``"recipient"`` (the
    recipient's own page, reached by their signed link; ``key`` is their case's id: show
    only that case's data, and no links to staff pages), or a list page — ``"stats"``,
    ``"persons"``, ``"dispatch"`` (``key`` is None; a section without columns shows only
    its title and its ``actions``, e.g. download buttons).

    Return a list of :class:`~jiuzhu.core.sections.PageSection` (or None); query only what
    ``actor`` may see. Results of all plugins are collected, in plugin order.
    """


@hookspec
def jiuzhu_cli_commands(cli: click.Group) -> None:
    """Add commands to the ``jiuzhu`` command line — kept for plugins written before the
    ``jiuzhu.commands`` entry point, which is the way to add commands now (docs/plugins.md,
    "Commands"): a declared command is listed by ``jiuzhu --help`` without loading any
    plugin.

    Called only when the name typed is neither a built-in command nor a declared one (the
    plugins are then loaded); add click commands or groups to ``cli``. Commands added here
    run, but ``jiuzhu --help`` does not list them.
    """


@hookspec
def jiuzhu_demo_data(svc: Services, region: Region) -> list[str] | None:
    """Add this plugin's own sample data to ``region`` when ``jiuzhu demo`` loads it.

    Called once per region the demo loads, after the core's demo people, orders and one
    user per role exist. Work through ``svc`` (the demo's database) as
    ``system_actor(region.id, region.info.code, "demo")``. It must be idempotent: a second
    run finds what the first made and adds nothing. Return lines telling the operator what
    was made (or None). Results of all plugins are collected, in plugin order.
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


@hookspec
def jiuzhu_register_labels(region: Region | None, register: Callable[[str, Any], None]) -> None:
    """Provide Chinese labels for the codes a plugin puts before people.

    Called once per plugin manager and region (``region`` is None for labels outside any
    region), when a page first needs them. Call ``register(kind, {code: label})`` with
    ``kind`` one of ``event`` (case-event kinds the plugin appends), ``permission``,
    ``field`` (input fields named in errors), ``rule`` (rules that refuse) or ``policy``
    (the region's policy codes). Pages show the label, never the code; an unlabelled code
    is shown as 「其他事项」. The core registers its own (``jiuzhu.core.web.labels``).
    """
