"""Kinds of need, and each region's map from kinds of need to its catalogue items.

A population is shared by every region, so a person's needs cannot name one region's
catalogue items. They name a *kind* of need from a small fixed vocabulary (``KINDS``), in
units a year. Each region says in its data (``needs.toml``) which of its items meet each
kind — in order, optionally for some people only — or that it does not offer the kind;
every entry names its source or is marked ``illustrative = true``. Nothing is guessed from
item names: an unmapped item is an error, and so is an unmapped kind.

The order of ``KINDS`` is also the default order in which a plan buys within a stage (a
setting): visits first — the worker's first visit opens the plan, as in Ordos's worked
example — then daily living, health, and last capacity building and job linking.
"""

from __future__ import annotations

from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria
from jiuzhu.core.regions import Region
from jiuzhu.plugins.tiered_budget import BudgetScheme

KINDS: tuple[str, ...] = (
    "慰问",  # visits, festival greetings, care calls (探访关爱)
    "助洁",  # cleaning, laundry
    "助浴",  # bathing
    "助餐",  # meals, cooking
    "个人护理",  # haircut, foot soak, nails, ears
    "上门照护",  # personal care at home, errands
    "喘息照护",  # respite: a carer stands in so the family carer can rest
    "陪诊",  # escort to hospital, hospital care, dialysis transport
    "助行",  # mobility, outings
    "康复",  # rehabilitation, physiotherapy, massage, health monitoring
    "辅具适配",  # assistive devices: prostheses, wheelchairs, fitting
    "心理疏导",  # counselling, emotional support
    "社会融入",  # social integration, culture, volunteering
    "助学",  # study support, tutoring, school transport, study trips
    "技能培训",  # skills and job training
    "就业链接",  # job linking, flexible or assisted employment
)


def check_kind(kind: str) -> str | None:
    """A problem message when ``kind`` is not in the vocabulary."""
    if kind in KINDS:
        return None
    return f"unknown kind of need {kind!r}; known: {', '.join(KINDS)}"


class KindEntry(Base, frozen=True, kw_only=True):
    """Which items meet one kind of need, in the order a plan uses them.

    ``who`` narrows the entry to some people (e.g. training through 残联 for disabled
    people); entries of one kind are tried in file order. ``offered = false`` (with a
    ``reason``) says the region offers nothing for the kind: all of that need is unmet.
    """

    kind: str
    items: list[str] = []
    who: Criteria = Criteria()
    offered: bool = True
    reason: str = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        problem = check_kind(self.kind)
        if problem:
            raise ValueError(problem)
        if not self.source and not self.illustrative:
            raise ValueError(f"kind {self.kind}: name a source or mark it illustrative = true")
        if self.offered and not self.items:
            raise ValueError(f"kind {self.kind}: list its items, or say offered = false")
        if not self.offered:
            if self.items:
                raise ValueError(f"kind {self.kind}: offered = false lists no items")
            if not self.reason:
                raise ValueError(f"kind {self.kind}: offered = false needs a reason")
        if len(set(self.items)) != len(self.items):
            raise ValueError(f"kind {self.kind}: an item is listed twice")


class OtherItems(Base, frozen=True, kw_only=True):
    """Catalogue items that meet no kind of need of the vocabulary (assessments, plans,
    charity wishes …): a comparison never buys them, and says why."""

    items: list[str]
    reason: str
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError("name a source or mark the entry illustrative = true")


class NeedMap(Base, frozen=True, kw_only=True):
    """needs.toml: every kind of need maps to items or is declared not offered; every
    catalogue item meets some kind or is listed under ``other``."""

    kinds: list[KindEntry]
    other: list[OtherItems] = []

    def __post_init__(self) -> None:
        seen = {e.kind for e in self.kinds}
        missing = [k for k in KINDS if k not in seen]
        if missing:
            raise ValueError(
                f"kinds: every kind of need maps to items or says offered = false; missing: "
                f"{', '.join(missing)}"
            )
        for kind in seen:
            entries = [e for e in self.kinds if e.kind == kind]
            if any(not e.offered for e in entries) and len(entries) > 1:
                raise ValueError(f"kinds: {kind} is declared not offered and also mapped")

    def entries(self, kind: str) -> list[KindEntry]:
        return [e for e in self.kinds if e.kind == kind and e.offered]


def need_map(region: Region) -> NeedMap | None:
    return region.section("needs", NeedMap)


def check_need_map(region: Region) -> list[str]:
    """Cross-file checks: items exist, every item is placed, and an item mapped to a need
    can be bought by someone within the region's own budget."""
    needs = need_map(region)
    if needs is None:
        return []
    where = region.data_dir / "needs.toml"
    codes = {item.code: item for item in region.catalogue.items}
    problems: list[str] = []
    placed: set[str] = set()
    for i, entry in enumerate(needs.kinds):
        for code in entry.items:
            if code not in codes:
                problems.append(f"{where}: kinds[{i}].items: {code!r} is not a catalogue item")
            placed.add(code)
    for i, other in enumerate(needs.other):
        for code in other.items:
            if code not in codes:
                problems.append(f"{where}: other[{i}].items: {code!r} is not a catalogue item")
            placed.add(code)
    for code in codes:
        if code not in placed:
            problems.append(
                f"{where}: kinds: catalogue item {code!r} meets no kind of need; map it to a "
                "kind or list it under [[other]] with a reason"
            )
    for i, entry in enumerate(needs.kinds):
        for code in entry.items:
            item = codes.get(code)
            if item is None:
                continue
            problem = unaffordable(region, code)
            if problem:
                problems.append(f"{where}: kinds[{i}].items: {code!r}: {problem}")
    return problems


def budget_scheme(region: Region) -> BudgetScheme | None:
    return region.section("budget", BudgetScheme)


def unaffordable(region: Region, code: str) -> str | None:
    """Why no one can buy one unit of ``code`` within the region's budget, or None.

    Upper bound on what one person's entitlement can pay for the item's category: a tier
    that may buy it, plus what tiers before it can carry into it."""
    item = region.catalogue.item(code)
    prices = [item.unit_price_fen, *(c.unit_price_fen for c in item.price_changes)]
    price = min(prices)
    if price == 0:
        return None
    if item.max_fen_per_year is not None and item.max_fen_per_year < price:
        return (
            f"costs {price / 100:.2f} yuan a unit but max_fen_per_year allows "
            f"{item.max_fen_per_year / 100:.2f}: no one can buy it"
        )
    scheme = budget_scheme(region)
    if scheme is None or scheme.unit != "fen":
        return None  # no yearly money cap limits what one person may buy
    best = 0
    for version in scheme.versions:
        caps = version.tier_caps()
        carried = 0
        for t, tier in enumerate(version.tiers):
            room = caps[t] + (carried if t > 0 and tier.opens != "grant" else 0)
            if not tier.categories or item.category in tier.categories:
                best = max(best, room)
            carried = room if tier.leftover == "carry" else 0
    if best < price:
        return (
            f"costs {price / 100:.2f} yuan a unit, more than any stage of the budget may "
            f"spend on category {item.category!r} for one person ({best / 100:.2f} yuan): "
            "no one can buy it within the region's own budget"
        )
    return None
