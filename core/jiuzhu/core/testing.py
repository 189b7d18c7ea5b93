"""Helpers for plugin authors: load one plugin alone and check it.

from jiuzhu.core.testing import load_alone, check_region_plugin

def test_my_region():
    regions = load_alone("myregion", my_region_module)
    assert check_region_plugin(regions) == []
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Sequence
from datetime import date
from types import ModuleType

import numpy as np
import pluggy

from .facts import PersonFacts, Population
from .plugins import GROUP, Regions, load_regions, make_plugin_manager
from .regions import Region


def capability_plugins(distribution: str = "jiuzhu") -> list[tuple[str, ModuleType]]:
    """The capability plugins (not regions) a distribution registers, imported."""
    out = []
    for ep in md.distribution(distribution).entry_points:
        if ep.group == "jiuzhu" and ".plugins." in ep.value:
            out.append((ep.name, importlib.import_module(ep.value)))
    return out


def all_builtin_plugins(distribution: str = "jiuzhu") -> list[tuple[str, ModuleType]]:
    return [
        (ep.name, importlib.import_module(ep.value))
        for ep in md.distribution(distribution).entry_points
        if ep.group == "jiuzhu"
    ]


def plugin_manager(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    """A manager with the built-in capabilities and the given plugins, no entry points."""
    return make_plugin_manager(entry_points=False, plugins=[*capability_plugins(), *plugins])


def distribution_of(name: str, module: object) -> str:
    """ "distribution version" of an installed plugin (by its entry point, else by the
    distribution that ships its top-level module); "" when it is not installed."""
    module_name = getattr(module, "__name__", "")
    for ep in md.entry_points(group=GROUP):
        if ep.dist is not None and (ep.value == module_name or ep.name == name):
            return f"{ep.dist.name} {ep.dist.version}"
    top = module_name.split(".", 1)[0]
    owners = md.packages_distributions().get(top, [])
    if len(owners) == 1:
        return f"{owners[0]} {md.version(owners[0])}"
    return ""


def load_alone(name: str, module: object, version: str | None = None) -> Regions:
    """Load one region plugin with the built-in capabilities and nothing else. Its regions
    keep the plugin's version (from its installed distribution, or `version`)."""
    dist = f"{name} {version}" if version else distribution_of(name, module)
    pm = make_plugin_manager(
        entry_points=False,
        plugins=[*capability_plugins(), (name, module)],
        distributions={name: dist} if dist else None,
    )
    return load_regions(pm)


def typical_people(region: Region) -> list[PersonFacts]:
    """Children, adults and elderly people of the common groups with no, a mild and a
    moderate disability, living in each of the region's lowest areas (so a region that
    serves only some areas still finds its people)."""
    parents = {a.parent for a in region.info.areas}
    areas = [a.code for a in region.info.areas if a.code not in parents] or [region.info.code]
    return [
        PersonFacts(age=a, groups=frozenset({g}), disability_grade=d, area_code=area)
        for a in (8, 45, 70)
        for g in ("低保", "特困", "分散供养特困")
        for d in (0, 2, 4)
        for area in areas
    ]


def check_region_plugin(
    regions: Regions, on: date | None = None, people: Sequence[PersonFacts] | None = None
) -> list[str]:
    """Problems a region author should fix, one line each (empty: none):

    - an item whose funding split loses or creates money;
    - an item no tier of the budget may buy;
    - an item with no price in force on `on` (default: the latest budget version's date);
    - eligibility that admits none of `people` (default: `typical_people` of the region —
      pass people who should qualify if yours are unusual);
    - a failing scenario of the region's scenarios/*.toml (see jiuzhu.core.scenarios).
    """
    from .scenarios import run_scenarios

    problems: list[str] = []
    for region in regions:
        on_day = on or max(v.valid_from for v in region.budget.versions)
        funding = regions.funding_rule(region, on_day)
        budget = regions.budget_rule(region, on_day)
        for item in region.catalogue.items:
            parts = funding.split(np.array([item.unit_price_fen]), np.array([item.category]))
            if int(parts.sum()) != item.unit_price_fen:
                problems.append(f"{region.id}: item {item.code}: funding split loses money")
            if not any(budget.allows(item.category)):
                problems.append(f"{region.id}: item {item.code}: no tier may buy it")
            try:
                item.price_on(on_day)
            except LookupError as exc:
                problems.append(f"{region.id}: item {item.code}: {exc}")
        tested = list(people) if people is not None else typical_people(region)
        if not regions.eligibility(region, Population.of(tested), on_day).eligible.any():
            which = "the given" if people is not None else "the typical"
            problems.append(
                f"{region.id}: eligibility admits none of {which} test people; pass "
                "check_region_plugin(regions, people=[PersonFacts(...)]) with people who qualify"
            )
        problems.extend(f"{region.id}: scenario {p}" for p in run_scenarios(regions, region.id))
    return problems
