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

from .entrypoints import GROUP
from .facts import PersonFacts, Population
from .plugins import PluginError, Regions, load_regions, make_plugin_manager
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
    - an item no bucket of any entitlement rule may buy (rules for every assessment level);
    - an item with no price in force on `on` (default: the latest date the region's files
      name);
    - eligibility that admits none of `people` (default: `typical_people` of the region —
      pass people who should qualify if yours are unusual);
    - a failing scenario of the region's scenarios/*.toml (see jiuzhu.core.scenarios).
    """
    from .scenarios import run_scenarios

    problems: list[str] = []
    for region in regions:
        on_day = on or _latest_date(region)
        try:
            funding = regions.funding_rule(region, on_day)
        except (PluginError, LookupError) as exc:
            problems.append(f"{region.id}: no funding rule on {on_day}: {exc}")
            continue
        rules = []
        for level in ["", *(lv.name for lv in region.instrument.levels)]:
            try:
                rule = regions.entitlement_rule(region, on_day, level)
            except LookupError as exc:
                problems.append(f"{region.id}: entitlement rule for level {level!r}: {exc}")
                continue
            if rule is not None:
                rules.append(rule)
        for item in region.catalogue.items:
            parts = funding.split(np.array([item.unit_price_fen]), np.array([item.category]))
            if int(parts.sum()) != item.unit_price_fen:
                problems.append(f"{region.id}: item {item.code}: funding split loses money")
            if (
                item.spends_entitlement
                and rules
                and not any(any(r.allows(item.category)) for r in rules)
            ):
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


def _latest_date(region: Region) -> date:
    """The latest ``valid_from`` in the region's files (rules in force from then on)."""
    found: list[date] = [i.valid_from for i in region.catalogue.items]

    def walk(value: object) -> None:
        if isinstance(value, date):
            return
        valid = getattr(value, "valid_from", None)
        if isinstance(valid, date):
            found.append(valid)
        for name in getattr(value, "__struct_fields__", ()):
            child = getattr(value, name)
            if isinstance(child, list):
                for x in child:
                    walk(x)
            elif hasattr(child, "__struct_fields__"):
                walk(child)

    for section in region.sections.values():
        walk(section)
    return max(found)
