"""The plugin manager factory and the set of loaded regions.

Nothing loads at import time: every app, CLI run and test builds its own manager.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .assessment import Instrument
from .base import ConfigError
from .entitlement import BudgetRuleAdapter, EntitlementRule
from .entrypoints import DISABLE_ENV, GROUP, blocked_from_env, distribution, load
from .entrypoints import PluginError as PluginError  # re-exported: raised from here too
from .entrypoints import entry_points as find_entry_points
from .facts import Population
from .regions import Region, RegionSource, Section, load_region
from .rules import BudgetRule, Eligibility, FundingRule

DIRECT = "registered directly"


def make_plugin_manager(
    *,
    entry_points: bool = True,
    plugins: Iterable[tuple[str, object]] = (),
    disable: Iterable[str] = (),
    distributions: Mapping[str, str] | None = None,
) -> pluggy.PluginManager:
    """Build a manager: block disabled names, load entry points of group ``jiuzhu``,
    register ``plugins`` given directly, then refuse unknown hook implementations.

    ``distributions`` names the distribution of a plugin given directly, as
    ``"name version"`` (jiuzhu.core.testing.load_alone passes it, so a region loaded alone
    keeps its version)."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    blocked = blocked_from_env() | set(disable)
    for name in blocked:
        pm.set_blocked(name)
    dists: dict[str, str] = {}
    if entry_points:
        for ep in find_entry_points(GROUP, blocked):
            dist = distribution(ep)
            if ep.name in dists:
                raise PluginError(
                    f"two plugins are named '{ep.name}': from {dists[ep.name]} and from {dist}; "
                    f"uninstall one or block it with {DISABLE_ENV}={ep.name}"
                )
            module = load(ep)
            dists[ep.name] = dist
            _register(pm, ep.name, module, dist)
    for name, obj in plugins:
        if name in blocked:
            continue
        if name in dists or pm.get_plugin(name) is not None:
            raise PluginError(f"two plugins are named '{name}'")
        dists[name] = (distributions or {}).get(name, DIRECT)
        _register(pm, name, obj, dists[name])
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin '{pm.get_name(exc.plugin)}' ({dists.get(pm.get_name(exc.plugin) or '', '?')}) "
            f"implements an unknown hook: {exc}"
        ) from exc
    pm.jiuzhu_distributions = dists  # type: ignore[attr-defined]
    return pm


def _register(pm: pluggy.PluginManager, name: str, obj: object, dist: str) -> None:
    try:
        pm.register(obj, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin '{name}' from {dist} cannot be registered: {exc}") from exc


def plugin_dist(pm: pluggy.PluginManager, name: str) -> str:
    dists: dict[str, str] = getattr(pm, "jiuzhu_distributions", {})
    return dists.get(name, "")


@dataclass
class Regions:
    """Every loaded region, with the hooks that apply rules to them."""

    pm: pluggy.PluginManager
    by_id: dict[str, Region] = field(default_factory=dict)
    sources: dict[str, RegionSource] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Region]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, region_id: str) -> Region:
        try:
            return self.by_id[region_id]
        except KeyError:
            raise KeyError(
                f"unknown region {region_id!r}; known: {', '.join(sorted(self.by_id)) or 'none'}"
            ) from None

    # -- rules, with a clear error where no plugin answers ------------------------------
    def eligibility(self, region: Region, people: Population, on: date) -> Eligibility:
        result: Eligibility | None = self.pm.hook.jiuzhu_eligibility(
            region=region, people=people, on=on
        )
        if result is None:
            raise PluginError(f"no plugin decides eligibility for region {region.id}")
        return result

    def entitlement_rule(
        self, region: Region, on: date, level: str = "", people: Population | None = None
    ) -> EntitlementRule | None:
        """The rule for a case at ``level`` (None: no individual entitlement). Plugins
        answering ``jiuzhu_entitlement_rule`` come first; a money-tier rule from the
        original ``jiuzhu_budget_rule`` hook is the fallback."""
        who = people if people is not None else Population.of([])
        rule: EntitlementRule | None = self.pm.hook.jiuzhu_entitlement_rule(
            region=region, on=on, level=level, people=who
        )
        if rule is not None:
            return rule
        budget: BudgetRule | None = self.pm.hook.jiuzhu_budget_rule(region=region, on=on)
        return None if budget is None else BudgetRuleAdapter(budget)

    def funding_rule(self, region: Region, on: date) -> FundingRule:
        rule: FundingRule | None = self.pm.hook.jiuzhu_funding_rule(region=region, on=on)
        if rule is None:
            raise PluginError(f"no plugin provides a funding rule for region {region.id}")
        return rule


def sections(pm: pluggy.PluginManager) -> list[Section]:
    found: list[Section] = []
    for impl in pm.hook.jiuzhu_region_sections.get_hookimpls():

        def register(
            name: str, kind: type[Any], required: bool = False, _plugin: str = impl.plugin_name
        ) -> None:
            found.append(Section(name, kind, required, _plugin))

        impl.function(register=register)
    return found


def instruments(pm: pluggy.PluginManager) -> dict[str, Instrument]:
    """Assessment instruments plugins provide, by id (a region names one with `uses`)."""
    found: dict[str, Instrument] = {}

    def register(instrument: Instrument) -> None:
        if not isinstance(instrument, Instrument):
            raise PluginError(
                f"jiuzhu_register_instruments: expected an Instrument, got {instrument!r}"
            )
        if instrument.uses or not instrument.id:
            raise PluginError("jiuzhu_register_instruments: a provided instrument needs an id")
        if instrument.id in found:
            raise PluginError(f"two plugins provide an instrument {instrument.id!r}")
        found[instrument.id] = instrument

    pm.hook.jiuzhu_register_instruments(register=register)
    return found


def check_region(pm: pluggy.PluginManager, region: Region, core_problems: list[str]) -> None:
    problems = list(core_problems)
    for result in pm.hook.jiuzhu_check_region(region=region):
        problems.extend(result or [])
    if problems:
        raise ConfigError(problems)


def load_region_dir(pm: pluggy.PluginManager, data_dir: Path, version: str = "") -> Region:
    """Decode and check one region folder with every section the plugins register."""
    region, problems = load_region(data_dir, sections(pm), version, instruments(pm))
    check_region(pm, region, problems)
    return region


def load_regions(pm: pluggy.PluginManager) -> Regions:
    """Load every registered region; ConfigError lists all problems of all regions."""
    out = Regions(pm)
    found: list[RegionSource] = []
    # Call each plugin's hook on its own, so every region knows the plugin (and the
    # distribution version) that registered it.
    for impl in pm.hook.jiuzhu_register_regions.get_hookimpls():
        dist = plugin_dist(pm, impl.plugin_name)
        version = "" if dist == DIRECT else dist.rsplit(" ", 1)[-1]

        def register(
            source: RegionSource, _name: str = impl.plugin_name, _v: str = version
        ) -> None:
            found.append(replace(source, plugin=_name, version=source.version or _v))

        impl.function(register=register)
    problems: list[str] = []
    for source in found:
        if source.id in out.sources:
            raise PluginError(
                f"region id '{source.id}' is registered twice: by "
                f"'{out.sources[source.id].plugin or '?'}' and by '{source.plugin or '?'}'"
            )
        out.sources[source.id] = source
        try:
            region = load_region_dir(pm, source.data_dir, source.version)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if region.id != source.id:
            problems.append(
                f"{source.data_dir / 'region.toml'}: id: expected {source.id!r} "
                f"(the id its plugin registers), got {region.id!r}"
            )
            continue
        out.by_id[region.id] = region
    if problems:
        raise ConfigError(problems)
    return out


def region_source(module: ModuleType | str, region_id: str, data: str = "data") -> RegionSource:
    """The RegionSource of a region package whose TOML files sit in its `data` folder."""
    mod = module if isinstance(module, ModuleType) else importlib.import_module(module)
    if mod.__file__ is None:
        raise PluginError(f"cannot locate the files of {mod.__name__}")
    return RegionSource(id=region_id, data_dir=Path(mod.__file__).parent / data)


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, for `jiuzhu plugins`."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
        }


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every plugin the manager holds, with its distribution and the hooks it implements."""
    out: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if name is None or plugin is None:
            continue
        dist = plugin_dist(pm, name)
        distribution, _, version = dist.rpartition(" ") if " " in dist else (dist, "", "")
        if dist == DIRECT:
            distribution, version = DIRECT, ""
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        out.append(PluginInfo(name, distribution, version, tuple(hooks)))
    return sorted(out, key=lambda p: p.name)
