"""Helpers for plugin authors: load one plugin alone and check it.

from jiuzhu.core.testing import load_alone, check_region_plugin

def test_my_region():
    regions = load_alone("myregion", my_region_module)
    problems = check_region_plugin(regions)
    assert problems == []
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from datetime import date
from types import ModuleType

import numpy as np
import pluggy

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


def load_alone(name: str, module: object) -> Regions:
    """Load one region plugin with the built-in capabilities and nothing else."""
    return load_regions(plugin_manager((name, module)))


def check_region_plugin(regions: Regions, on: date | None = None) -> list[str]:
    """Problems a region author should fix: items without a funding rule, items no bucket
    of any entitlement rule may pay for, eligibility that no one passes, items whose price
    is not in force. ``on`` defaults to the latest date any of the region's files name."""
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
        # typical people, living in the region and in each of its areas (a pilot may
        # serve some areas only)
        places = ["", region.info.code, *(a.code for a in region.info.areas)]
        everyone = Population.of(
            [
                PersonFacts(age=a, groups=frozenset({g}), disability_grade=d, area_code=place)
                for a in (8, 45, 70)
                for g in ("低保", "特困", "分散供养特困", "低保边缘", "孤儿")
                for d in (0, 2, 4)
                for place in places
            ]
        )
        if not regions.eligibility(region, everyone, on_day).eligible.any():
            problems.append(f"{region.id}: eligibility admits none of the typical test people")
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
