"""The comparison engine: one population through every region's model.

One rule, two speeds: eligibility, the entitlement and the funding split come from the
same hooks the service loop calls (``jiuzhu_eligibility``, ``jiuzhu_entitlement_rule`` —
see entitlement.py for rules that are not a yearly money cap — and ``jiuzhu_funding_rule``)
and run over columns. Python loops only over regions x review
stages x passes x kinds x items — never over people.

How a plan is bought (per eligible person, all at once in columns):
- the year runs in stages: stage r is the time after r stage reviews. In each stage the
  plan goes through the kinds of need in ``kind_order``; for each kind through the entries
  of the region's needs map (``needs.toml``) in order, each for the people its ``who``
  names; and through each entry's items in order. It buys as many units as the person still
  needs, the item allows (``who``, ``max_per_year``, ``max_per_month`` x 12,
  ``max_fen_per_year``) and one live tier that may buy the item's category can pay;
  ``BudgetRule.allocate`` then names the tier that pays, exactly as for an order.
- a pass over the kinds repeats (up to one per tier) while it still buys something, so a
  second tier open at the same time, or one opened by spending, is used too.

Layout, for speed: needs and units are kind-major / item-major (one contiguous row per
kind or item); the people who still need a kind are found once per kind and pass and the
set shrinks as items meet their need; items no tier that can be live in a stage may buy
are skipped; funding splits each distinct amount once (a bincount of units).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import msgspec
import numpy as np
import numpy.typing as npt

from jiuzhu.core.base import Base, Invalid
from jiuzhu.core.catalogue import Item
from jiuzhu.core.conditions import Criteria
from jiuzhu.core.facts import Population
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import BudgetRule, FundingRule, IntArray
from jiuzhu.core.times import local_date, utcnow

from . import provenance as prov
from .config import Staffing
from .dimensions import DimensionModel, RatingSettings
from .dimensions import build as build_dimensions
from .dimensions import run_chunk as dimensions_chunk
from .entitlement import EntitlementInfo, funding_scheme, plan_rule
from .kinds import KINDS, need_map
from .population import NeedArray, People, households, take
from .results import (
    Comparison,
    InputInfo,
)

DEFAULT_CHUNK = 250_000
BoolArray = npt.NDArray[np.bool_]


class PlanSettings(Base, kw_only=True, frozen=True):
    """How plans are modelled. ``on``: the day whose rules and prices apply (default:
    today in Asia/Shanghai). ``reviews``: stage reviews each person has over the year
    (default: as many as open every stage). ``kind_order``: the order needs are bought in
    within a stage. ``overrides`` (``REGION.PATH=VALUE``) and ``normalise`` (``budget``,
    ``prices``) change the regions' data for a scenario (jiuzhu.plugins.compare.scenario)."""

    on: date | None = None
    reviews: int | None = None
    kind_order: list[str] = msgspec.field(default_factory=lambda: list(KINDS))
    overrides: list[str] = []
    normalise: list[str] = []
    ratings: RatingSettings = RatingSettings()
    dimensions: bool = True  # the other dimensions (dimensions.py); off: only the plans

    def __post_init__(self) -> None:
        if self.reviews is not None and self.reviews < 0:
            raise ValueError("reviews must be >= 0")
        if sorted(self.kind_order) != sorted(KINDS):
            raise ValueError(f"kind_order must list every kind once: {', '.join(KINDS)}")
        for n in self.normalise:
            if n not in ("budget", "prices"):
                raise ValueError(f"normalise: {n!r}; give budget or prices")


@dataclass
class PlanItem:
    """One catalogue item as the plan buys it."""

    index: int  # position in the catalogue
    item: Item
    price: int
    category: int  # index into the catalogue's categories
    max_units: int | None
    max_fen: int | None
    allowed: BoolArray  # (k,) tiers that may buy its category


@dataclass
class Route:
    """One needs-map entry: a kind of need met by items, for the people ``who`` names."""

    kind: int
    entry: int  # index into needs.toml's kinds
    who: Criteria | None
    items: list[int]  # indices into RegionModel.items, in buying order
    key: str  # provenance input key


@dataclass
class RegionModel:
    """A region's rules, resolved once for a comparison date."""

    region: Region
    regions: Regions
    on: date
    budget: BudgetRule
    funding: FundingRule
    entitlement: EntitlementInfo
    items: list[PlanItem]
    routes: list[Route]
    by_kind: list[list[Route]]  # per KINDS index
    kind_order: list[int]
    stages: list[int]  # review counts at which a stage starts
    reviews: int
    caps: IntArray
    prices: IntArray  # (items,) fen
    inputs: dict[str, InputInfo]
    not_offered: dict[int, tuple[str, int]]  # kind -> (reason, needs.toml entry)
    settings: PlanSettings = field(default_factory=lambda: PlanSettings())
    dims: DimensionModel = field(default_factory=DimensionModel)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        regions: Regions,
        region: Region,
        settings: PlanSettings,
        on: date,
        changed: frozenset[str] = frozenset(),
    ) -> RegionModel:
        """``changed``: input keys a scenario changed (their basis becomes scenario)."""
        needs = need_map(region)
        if needs is None:
            raise Invalid(
                f"{region.id}: needs.toml",
                "the region has no needs map: the comparison cannot tell which items meet "
                f"which need (add {region.data_dir / 'needs.toml'}; see docs/compare.md)",
            )
        notes: list[str] = []
        budget, entitlement = plan_rule(regions, region, on, notes)
        funding = regions.funding_rule(region, on)
        inputs = _inputs(region, budget, on, changed)
        elig = regions.eligibility(region, Population.of([]), on)  # the rules' labels
        for kind, rules in (("include", elig.includes), ("exclude", elig.excludes)):
            for rule in rules:
                inputs[f"eligibility.{kind}.{rule.id}"] = InputInfo(
                    label=f"资格规则：{rule.label}",
                    basis=prov.basis_of(rule.source, rule.illustrative),
                    source=rule.source,
                )
        cats = [c.code for c in region.catalogue.categories]
        items: list[PlanItem] = []
        position: dict[str, int] = {}
        for i, item in enumerate(region.catalogue.items):
            try:
                price = item.price_on(on)
            except LookupError:
                notes.append(f"{item.code}（{item.name}）：{on} 无价格，不计入方案")
                continue
            caps = [c for c in (item.max_per_year,) if c is not None]
            if item.max_per_month is not None:
                caps.append(item.max_per_month * 12)
            if item.spends_entitlement:
                allowed = np.array(budget.allows(item.category), dtype=np.bool_)
            else:  # attended without an entitlement: any tier is as good (it pays nothing)
                allowed = np.ones(len(budget.caps()), dtype=np.bool_)
            if not allowed.any():
                notes.append(f"{item.code}（{item.name}）：没有阶段可购买该类别")
            position[item.code] = len(items)
            items.append(
                PlanItem(
                    index=i,
                    item=item,
                    price=price,
                    category=cats.index(item.category),
                    max_units=min(caps) if caps else None,
                    max_fen=item.max_fen_per_year,
                    allowed=allowed,
                )
            )
        routes: list[Route] = []
        not_offered: dict[int, tuple[str, int]] = {}
        for e, entry in enumerate(needs.kinds):
            k = KINDS.index(entry.kind)
            if not entry.offered:
                not_offered[k] = (entry.reason, e)
                continue
            usable = [position[c] for c in entry.items if c in position]
            who = entry.who if (entry.who.all or entry.who.any) else None
            routes.append(Route(kind=k, entry=e, who=who, items=usable, key=f"needs[{e}]"))
        for other in needs.other:
            for code in other.items:
                item = region.catalogue.item(code)
                notes.append(f"{code}（{item.name}）：不计入方案 — {other.reason}")
        by_kind: list[list[Route]] = [[] for _ in KINDS]
        for r in routes:
            by_kind[r.kind].append(r)
        tiers = budget.version.tiers
        review_tiers = [t for t, tier in enumerate(tiers) if t > 0 and tier.opens == "review"]
        reviews = max(review_tiers, default=0) if settings.reviews is None else settings.reviews
        stages = [0, *[t for t in review_tiers if t <= reviews]]
        model = cls(
            region=region,
            regions=regions,
            on=on,
            budget=budget,
            funding=funding,
            entitlement=entitlement,
            items=items,
            routes=routes,
            by_kind=by_kind,
            kind_order=[KINDS.index(k) for k in settings.kind_order],
            stages=stages,
            reviews=reviews,
            caps=np.array(budget.caps(), dtype=np.int64),
            prices=np.array([pi.price for pi in items], dtype=np.int64),
            inputs=inputs,
            not_offered=not_offered,
            settings=settings,
            notes=notes,
        )
        model.dims = build_dimensions(model, inputs)
        return model

    def possible_tiers(self, stage: int) -> BoolArray:
        """Tiers that can be live in ``stage`` (a review tier only once reviewed)."""
        tiers = self.budget.version.tiers
        return np.array(
            [t == 0 or tier.opens != "review" or stage >= t for t, tier in enumerate(tiers)],
            dtype=np.bool_,
        )


def _inputs(
    region: Region, budget: BudgetRule, on: date, changed: frozenset[str]
) -> dict[str, InputInfo]:
    """Every input of the region's model, with its basis (see provenance.py)."""
    out: dict[str, InputInfo] = {}

    def add(key: str, label: str, source: str, illustrative: bool) -> None:
        basis = prov.SCENARIO if key in changed else prov.basis_of(source, illustrative)
        out[key] = InputInfo(label=label, basis=basis, source=source)

    version = budget.version
    add("budget.annual_fen", "每人每年额度", version.source, version.illustrative)
    for t, tier in enumerate(version.tiers):
        add(
            f"budget.tiers[{t}]",
            f"{tier.name}（{tier.share_percent}%）的开放方式与可购类别",
            tier.source or version.source,
            tier.illustrative or version.illustrative,
        )
    for item in region.catalogue.items:
        source, ill = item.source, item.illustrative or item.price_illustrative
        for change in sorted(item.price_changes, key=lambda c: c.valid_from):
            if change.valid_from <= on:
                source, ill = change.source, change.illustrative or not change.source
        add(f"price[{item.code}]", f"{item.name} 单价", source, ill)
        # minutes and caps carry no source of their own: illustrative unless scenario
        add(f"minutes[{item.code}]", f"{item.name} 每单位分钟数", "", True)
        if item.max_per_month or item.max_per_year or item.max_fen_per_year:
            add(f"caps[{item.code}]", f"{item.name} 次数或金额上限", "", True)
        if item.who.all or item.who.any:
            add(f"who[{item.code}]", f"{item.name} 适用对象", item.source, item.illustrative)
    needs = need_map(region)
    for e, entry in enumerate(needs.kinds if needs else []):
        what = "、".join(entry.items) if entry.offered else f"未提供：{entry.reason}"
        add(f"needs[{e}]", f"需求「{entry.kind}」→ {what}", entry.source, entry.illustrative)
    fversion = next(
        (
            v
            for v in funding_scheme(region).versions
            if v.valid_from == budget_funding_date(region, on)
        ),
        None,
    )
    add(
        "funding.shares",
        "资金来源分担比例",
        fversion.source if fversion else "",
        fversion.illustrative if fversion else True,
    )
    rule = region.section("staffing", Staffing)
    add(
        "staffing",
        "服务机构人员配置规则",
        rule.source if rule else "",
        rule.illustrative if rule else True,
    )
    add("plan.kind_order", "方案内各类需求的购买顺序（模型假设）", "", True)
    return out


def budget_funding_date(region: Region, on: date) -> date | None:
    """valid_from of the funding version in force on ``on``."""
    starts = [v.valid_from for v in funding_scheme(region).versions if v.valid_from <= on]
    return max(starts) if starts else None


@dataclass
class Plans:
    """The plans of one chunk's eligible people (column j is person ``index[j]``)."""

    index: npt.NDArray[np.intp]
    spent: IntArray  # (m, tiers) fen
    units: npt.NDArray[np.int32]  # (items, m) units bought: item-major
    need: NeedArray  # (kinds, m) need at the start: kind-major
    unmet: NeedArray  # (kinds, m) need left: kind-major
    route_units: IntArray  # (routes,) units bought through each needs-map entry
    reviews: int


@dataclass
class Totals:
    """Additive totals of one region over the chunks of a population."""

    people: int = 0
    eligible: int = 0
    not_qualified: int = 0
    excluded: int = 0
    includes: IntArray | None = None
    excludes: IntArray | None = None
    excludes_matched: IntArray | None = None
    tier_spent: IntArray | None = None
    by_source: IntArray | None = None
    item_units: IntArray | None = None
    item_persons: IntArray | None = None
    cat_persons: IntArray | None = None
    route_units: IntArray | None = None
    need_all: IntArray | None = None
    need_eligible: IntArray | None = None
    need_people: IntArray | None = None
    need_fully_met: IntArray | None = None
    served: int = 0
    # other dimensions (dimensions.py)
    of_households: int = 0
    of_histogram: IntArray | None = None
    of_by_kind: IntArray | None = None
    of_policy_households: IntArray | None = None
    of_cash_and_services: int = 0
    floor_people: int = 0
    floor_delivered_minutes: int = 0
    floor_short_minutes: int = 0
    floor_short_people: int = 0
    found_rules: IntArray | None = None
    found_any: int = 0
    found_eligible: int = 0
    eligible_not_applied: int = 0
    found_beyond: int = 0
    applied_known: bool = False
    found_labels: tuple[str, ...] = ()  # the warning rules' labels (from whichever chunk)
    eligible_households: int = 0  # households with at least one eligible member
    served_households: int = 0  # households with at least one member served
    full_use: int = 0
    rule_version: str = ""

    def add(self, name: str, value: IntArray) -> None:
        old = getattr(self, name)
        setattr(self, name, value.astype(np.int64) if old is None else old + value)

    def merge(self, other: Totals) -> Totals:
        """The totals of two disjoint parts of a population (for partitioned engines)."""
        out = Totals()
        for f in self.__dataclass_fields__:
            a, b = getattr(self, f), getattr(other, f)
            if f in ("rule_version", "applied_known", "found_labels"):
                setattr(out, f, a or b)
            elif a is None or b is None:
                setattr(out, f, b if a is None else a)
            else:
                setattr(out, f, a + b)
        return out


def plan(model: RegionModel, pop: Population, needs: NeedArray, eligible: BoolArray) -> Plans:
    """Buy every eligible person's plan under the region's budget rule (columnar)."""
    index = np.flatnonzero(eligible)
    m = len(index)
    sub = take(pop, index)
    start = np.ascontiguousarray(needs[index].T, dtype=np.int32)  # (K, m)
    remaining = start.copy()
    k = len(model.caps)
    spent = np.zeros((m, k), dtype=np.int64)
    units = np.zeros((len(model.items), m), dtype=np.int32)
    route_units = np.zeros(len(model.routes), dtype=np.int64)
    masks: dict[int, BoolArray] = {}  # route id / item id -> who mask over the chunk
    route_id = {id(r): i for i, r in enumerate(model.routes)}
    buy = _Buyer(model, sub, remaining, spent, units)
    for stage in model.stages:
        buy.start_stage(stage)
        possible = model.possible_tiers(stage)
        buyable = [bool((pi.allowed & possible).any()) for pi in model.items]
        for _ in range(k):
            bought = 0
            for kind in model.kind_order:
                routes = model.by_kind[kind]
                if not routes:
                    continue
                need = remaining[kind]
                everyone = np.flatnonzero(need > 0)  # once per kind and pass, then shrunk
                for route in routes:
                    cand = everyone
                    if route.who is not None:
                        r = route_id[id(route)]
                        if -1 - r not in masks:
                            masks[-1 - r] = route.who.mask(sub)
                        cand = cand[masks[-1 - r][cand]]
                    for j in route.items:
                        if not len(cand):
                            break
                        if not buyable[j]:
                            continue
                        got = buy(j, kind, stage, cand, masks)
                        if got:
                            route_units[route_id[id(route)]] += got
                            bought += got
                            cand = cand[need[cand] > 0]
                    # the next entry starts from who still needs the kind
                    everyone = cand if route.who is None else everyone[need[everyone] > 0]
            if not bought:
                break
    return Plans(
        index=index,
        spent=spent,
        units=units,
        need=start,
        unmet=remaining,
        route_units=route_units,
        reviews=model.reviews,
    )


class _Buyer:
    """Buys one item for a set of candidates, in place."""

    def __init__(
        self,
        model: RegionModel,
        sub: Population,
        remaining: NeedArray,
        spent: IntArray,
        units: npt.NDArray[np.int32],
    ) -> None:
        self.model = model
        self.sub = sub
        self.remaining = remaining
        self.spent = spent
        self.units = units
        # what each tier can still pay each person (0 where the tier is not live):
        # tier-major, from BudgetRule.standing
        self.room = np.zeros((spent.shape[1], spent.shape[0]), dtype=np.int64)
        self.tiers = [[t for t in range(spent.shape[1]) if pi.allowed[t]] for pi in model.items]

    def start_stage(self, stage: int) -> None:
        """Every person's standing (BudgetRule.standing) at the start of ``stage``. It
        depends only on a person's spending and reviews, so it is kept and recomputed only
        for the people who buy (see _settle)."""
        self.room = self._standing(self.spent, stage)

    def _standing(self, spent: IntArray, stage: int) -> IntArray:
        live, available = self.model.budget.standing(
            spent, np.full(len(spent), stage, dtype=np.int64)
        )
        room: IntArray = np.ascontiguousarray(np.where(live, available, 0).T, dtype=np.int64)
        return room

    def _settle(self, cand: npt.NDArray[np.intp], stage: int) -> None:
        self.room[:, cand] = self._standing(self.spent[cand], stage)

    def __call__(
        self,
        j: int,
        kind: int,
        stage: int,
        cand: npt.NDArray[np.intp],
        masks: dict[int, BoolArray],
    ) -> int:
        pi = self.model.items[j]
        who = pi.item.who
        if who.all or who.any:
            if j not in masks:
                masks[j] = who.mask(self.sub)
            cand = cand[masks[j][cand]]
            if not len(cand):
                return 0
        need = self.remaining[kind]
        col = self.units[j]
        q = need[cand].astype(np.int64)
        if pi.max_units is not None or pi.max_fen is not None:
            had = col[cand].astype(np.int64)
            if pi.max_units is not None:
                q = np.minimum(q, pi.max_units - had)
            if pi.max_fen is not None and pi.price > 0:
                q = np.minimum(q, (pi.max_fen - had * pi.price) // pi.price)
        tiers = self.tiers[j]
        # what the entitlement pays for (an item attended without one costs it nothing)
        charged = pi.price > 0 and pi.item.spends_entitlement
        if charged:
            rooms = [self.room[t, cand] for t in tiers]
            best = rooms[0]
            for r in rooms[1:]:
                best = np.maximum(best, r)
            q = np.minimum(q, best // pi.price)
        go = q > 0
        if not go.any():
            return 0
        partial = not go.all()
        if partial:
            cand, q = cand[go], q[go]
        if charged:
            amount = q * pi.price
            # the tier that pays: the only live tier allowed to buy the category with room
            # for it, or, where several could, the one BudgetRule.allocate names
            tier = np.full(len(cand), -1, dtype=np.int64)
            several = np.zeros(len(cand), dtype=np.bool_)
            for t, r in zip(tiers, rooms, strict=True):
                fits = (r[go] if partial else r) >= amount
                several |= fits & (tier >= 0)
                tier = np.where((tier < 0) & fits, t, tier)
            if several.any():
                rows = np.flatnonzero(several)
                alloc = self.model.budget.allocate(
                    self.spent[cand[rows]],
                    np.full(len(rows), stage, dtype=np.int64),
                    amount[rows],
                    np.full(len(rows), pi.item.category),
                    explain=False,
                )
                tier[rows] = alloc.tier
            ok = tier >= 0  # always, by construction; never spend what the rule refuses
            if not ok.all():
                cand, q, amount, tier = cand[ok], q[ok], amount[ok], tier[ok]
            self.spent[cand, tier] += amount
            self._settle(cand, stage)
        q32 = q.astype(np.int32)
        col[cand] += q32
        need[cand] -= q32
        return int(q.sum())


def funding_split(model: RegionModel, units: npt.NDArray[np.int32], sources: int) -> IntArray:
    """Spend by funding source: the rule splits every item's spend per person as an order
    would be split. People who bought the same number of units split the same amount, so
    each distinct amount is split once and weighted by how many bought it (a bincount)."""
    total = np.zeros(sources, dtype=np.int64)
    for j, pi in enumerate(model.items):
        if pi.price == 0:
            continue
        counts = np.bincount(units[j], minlength=1)
        counts[0] = 0
        values = np.flatnonzero(counts)
        if not len(values):
            continue
        amounts = values.astype(np.int64) * pi.price
        parts = model.funding.split(amounts, np.full(len(amounts), pi.item.category))
        total += (parts * counts[values][:, None]).sum(axis=0)
    return total


def distinct_runs(ids: npt.NDArray[np.int64]) -> int:
    """Distinct households among people listed household by household (as a chunk lists
    them): the runs of equal ids — linear, no sort."""
    return int((ids[1:] != ids[:-1]).sum()) + 1 if len(ids) else 0


def run_chunk(model: RegionModel, pop: Population, needs: NeedArray, totals: Totals) -> Plans:
    """Eligibility and plans of one chunk, added into ``totals``."""
    elig = model.regions.eligibility(model.region, pop, model.on)
    n = len(pop)
    totals.people += n
    totals.rule_version = elig.rule_version
    qualified = elig.qualifies_by >= 0
    excluded = elig.excluded_by >= 0
    totals.eligible += int(elig.eligible.sum())
    totals.not_qualified += int((~qualified).sum())
    totals.excluded += int((qualified & excluded).sum())
    totals.add("includes", np.bincount(elig.qualifies_by[qualified], minlength=len(elig.includes)))
    totals.add(
        "excludes",
        np.bincount(elig.excluded_by[qualified & excluded], minlength=len(elig.excludes)),
    )
    totals.add(
        "excludes_matched", np.bincount(elig.excluded_by[excluded], minlength=len(elig.excludes))
    )
    plans = plan(model, pop, needs, elig.eligible)
    totals.add("tier_spent", plans.spent.sum(axis=0))
    totals.add("by_source", funding_split(model, plans.units, len(model.funding.sources)))
    totals.add("item_units", plans.units.sum(axis=1, dtype=np.int64))
    got = plans.units > 0
    totals.add("item_persons", got.sum(axis=1, dtype=np.int64))
    ncat = len(model.region.catalogue.categories)
    cat_persons = np.zeros(ncat, dtype=np.int64)
    for c in range(ncat):
        rows = [j for j, pi in enumerate(model.items) if pi.category == c]
        if rows:
            cat_persons[c] = int(got[rows].any(axis=0).sum())
    totals.add("cat_persons", cat_persons)
    totals.add("route_units", plans.route_units)
    served: BoolArray = np.asarray(got.any(axis=0), dtype=np.bool_)
    totals.served += int(served.sum())
    household, _head = households(pop)
    totals.eligible_households += distinct_runs(household[plans.index])
    totals.served_households += distinct_runs(household[plans.index[served]])
    if model.settings.dimensions:
        dimensions_chunk(
            model,
            model.dims,
            pop,
            elig.eligible,
            plans.index,
            plans.units,
            served,
            household,
            totals,
        )
    annual = model.budget.version.annual_fen
    if annual > 0:  # a yearly money cap (nothing to use up otherwise)
        totals.full_use += int((plans.spent.sum(axis=1) >= annual).sum())
    totals.add("need_all", needs.sum(axis=0, dtype=np.int64))
    totals.add("need_eligible", plans.need.sum(axis=1, dtype=np.int64))
    has = plans.need > 0
    totals.add("need_people", has.sum(axis=1, dtype=np.int64))
    totals.add("need_fully_met", (has & (plans.unmet == 0)).sum(axis=1, dtype=np.int64))
    return plans


def resolve(
    regions: Regions,
    people_count: int,
    region_ids: Sequence[str] | None,
    settings: PlanSettings | None,
) -> tuple[PlanSettings, date, list[str], Regions, dict[str, frozenset[str]], dict[str, str]]:
    """Settings, date, region ids and the (scenario-changed) regions of a comparison."""
    from .scenario import apply_scenario

    s = settings or PlanSettings()
    on = s.on or local_date(utcnow())
    ids = list(region_ids) if region_ids else sorted(regions.by_id)
    for rid in ids:
        if rid not in regions.by_id:
            raise Invalid(
                "--regions", f"unknown region {rid!r}; known: {', '.join(sorted(regions.by_id))}"
            )
    scenario = apply_scenario(regions, ids, s, on)
    return s, on, ids, scenario.regions, scenario.changed, scenario.normalised


def build_models(
    regions: Regions,
    ids: Sequence[str],
    s: PlanSettings,
    on: date,
    changed: dict[str, frozenset[str]],
) -> list[RegionModel]:
    models = []
    for rid in ids:
        region = regions.get(rid)
        try:
            models.append(RegionModel.build(regions, region, s, on, changed.get(rid, frozenset())))
        except LookupError as exc:
            raise Invalid("--on", f"{rid}: {exc}") from None
    return models


def compare(
    regions: Regions,
    people: People,
    *,
    region_ids: Sequence[str] | None = None,
    settings: PlanSettings | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[str, int], None] | None = None,
) -> Comparison:
    """Run ``people`` through each region's model; ``progress(region_id, people_done)``
    is called after each chunk. The population is read chunk by chunk (People.chunks), so
    a streamed population never has to be held whole."""
    started = time.perf_counter()
    s, on, ids, scen_regions, changed, normalised = resolve(
        regions, len(people), region_ids, settings
    )
    models = build_models(scen_regions, ids, s, on, changed)
    totals = [Totals() for _ in models]
    empty = True
    for pop, needs in people.chunks(chunk_size):
        empty = False
        for model, t in zip(models, totals, strict=True):
            run_chunk(model, pop, needs, t)
            if progress is not None:
                progress(model.region.id, len(pop))
    if empty:
        pop, needs = people.empty()
        for model, t in zip(models, totals, strict=True):
            run_chunk(model, pop, needs, t)
    from .summary import comparison_of

    return comparison_of(models, totals, people, s, on, normalised, time.perf_counter() - started)
