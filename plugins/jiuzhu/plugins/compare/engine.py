"""The comparison engine: one population through every region's model.

One rule, two speeds: eligibility, the entitlement rule and the funding split come from the
same hooks the service loop calls (``jiuzhu_eligibility``, ``jiuzhu_entitlement_rule``,
``jiuzhu_funding_rule``) and run over columns. Python loops only over regions x review
stages x passes x items — never over people.

How a plan is bought (per eligible person, all at once in columns):
- the year runs in stages: stage r is the time after r stage reviews. In each stage the
  plan goes through the kinds of need in ``kind_order`` and, for each kind, through the
  region's items of that kind in catalogue order, and buys as many units as the person
  still needs, the item allows (``who``, ``max_per_year``, ``max_per_month`` x 12,
  ``max_fen_per_year``) and one live tier that may buy the item's category can pay (in the
  rule's unit: fen, minutes or visits); ``EntitlementRule.allocate`` then names the tier
  that pays, exactly as for an order.
- a floor (a time floor owed per month) never limits a plan: needs are bought in full, and
  the result reports the floor owed over the year beside what the plan uses of it. Items
  that spend no entitlement are bought without one.
- the rule is the one for a case without an assessment level; where a region grants
  individual entitlements only by level (the population carries no levels), the first
  level with a rule is modelled and a note says so.
- a pass over the items repeats (up to one per tier) while it still buys something, so a
  second tier open at the same time, or one opened by spending, is used too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import msgspec
import numpy as np
import numpy.typing as npt

from jiuzhu.core import __version__
from jiuzhu.core.base import Base, Invalid
from jiuzhu.core.catalogue import Item
from jiuzhu.core.entitlement import PERIODS_PER_YEAR, EntitlementRule, amount_text
from jiuzhu.core.facts import Population
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import FundingRule, IntArray
from jiuzhu.core.times import local_date, utcnow

from .config import Staffing
from .kinds import KINDS, check_kind, item_kinds
from .population import NeedArray, People, take
from .results import (
    CategoryResult,
    Comparison,
    EligibilityResult,
    EntitlementResult,
    ItemResult,
    NeedResult,
    PlanSettingsInfo,
    RegionResult,
    RuleCount,
    SourceResult,
    StaffingResult,
    TierResult,
)
from .versions import plugin_version

DEFAULT_CHUNK = 250_000


class PlanSettings(Base, kw_only=True, frozen=True):
    """How plans are modelled. ``on``: the day whose rules and prices apply (default:
    today in Asia/Shanghai). ``reviews``: stage reviews each person has over the year
    (default: as many as open every stage). ``kind_order``: the order needs are bought in
    within a stage. ``kinds``: region id -> item code -> kind, over the keyword mapping
    and the region's service_kinds.toml."""

    on: date | None = None
    reviews: int | None = None
    kind_order: list[str] = msgspec.field(default_factory=lambda: list(KINDS))
    kinds: dict[str, dict[str, str]] = {}

    def __post_init__(self) -> None:
        if self.reviews is not None and self.reviews < 0:
            raise ValueError("reviews must be >= 0")
        if sorted(self.kind_order) != sorted(KINDS):
            raise ValueError(f"kind_order must list every kind once: {', '.join(KINDS)}")
        for region_id, mapping in self.kinds.items():
            for code, kind in mapping.items():
                problem = check_kind(kind)
                if problem:
                    raise ValueError(f"kinds.{region_id}.{code}: {problem}")


@dataclass
class PlanItem:
    """One catalogue item as the plan buys it."""

    index: int
    item: Item
    kind: int  # index into KINDS, -1: meets no need
    price: int
    category: int  # index into the catalogue's categories
    max_units: int | None
    max_fen: int | None
    allowed: npt.NDArray[np.bool_]  # (k,) tiers that may buy its category
    cost: int = 0  # one unit's cost in the entitlement's unit (0: no budget to check)


@dataclass
class RegionModel:
    """A region's rules, resolved once for a comparison date."""

    region: Region
    regions: Regions
    on: date
    budget: EntitlementRule | None  # None: no individual entitlement
    funding: FundingRule
    items: list[PlanItem]
    by_kind: list[list[PlanItem]]  # per KINDS index, catalogue order
    kind_order: list[int]
    stages: list[int]  # review counts at which a stage starts
    reviews: int
    caps: IntArray  # per person and year, in the rule's unit
    level: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def limits(self) -> bool:
        """Whether the rule caps a plan (a floor or no entitlement does not)."""
        return self.budget is not None and self.budget.kind == "cap"

    @classmethod
    def build(
        cls, regions: Regions, region: Region, settings: PlanSettings, on: date
    ) -> RegionModel:
        notes: list[str] = []
        budget, level = _rule(regions, region, on, notes)
        funding = regions.funding_rule(region, on)
        kinds = item_kinds(region, settings.kinds.get(region.id))
        cats = [c.code for c in region.catalogue.categories]
        items: list[PlanItem] = []
        k = len(budget.buckets()) if budget is not None else 1
        for i, item in enumerate(region.catalogue.items):
            try:
                price = item.price_on(on)
            except LookupError:
                notes.append(f"{item.code}（{item.name}）：{on} 无价格，不计入方案")
                continue
            kind = kinds[item.code]
            problem = check_kind(kind)
            if problem:
                raise Invalid(f"kinds.{region.id}.{item.code}", problem)
            caps = [c for c in (item.max_per_year,) if c is not None]
            if item.max_per_month is not None:
                caps.append(item.max_per_month * 12)
            spends = budget is not None and item.spends_entitlement
            allowed = (
                np.array(budget.allows(item.category), dtype=np.bool_)
                if budget is not None and spends
                else np.ones(k, dtype=np.bool_)
            )
            if not allowed.any():
                notes.append(f"{item.code}（{item.name}）：没有阶段可购买该类别")
            items.append(
                PlanItem(
                    index=i,
                    item=item,
                    kind=KINDS.index(kind) if kind else -1,
                    price=price,
                    category=cats.index(item.category),
                    max_units=min(caps) if caps else None,
                    max_fen=item.max_fen_per_year,
                    allowed=allowed,
                    cost=budget.cost(item, 1, price) if budget is not None and spends else 0,
                )
            )
        by_kind: list[list[PlanItem]] = [[] for _ in KINDS]
        for pi in items:
            if pi.kind >= 0 and pi.allowed.any():
                by_kind[pi.kind].append(pi)
        review_tiers = budget.review_stages() if budget is not None else []
        reviews = max(review_tiers, default=0) if settings.reviews is None else settings.reviews
        stages = [0, *[t for t in review_tiers if t <= reviews]]
        per_year = PERIODS_PER_YEAR[budget.period] if budget is not None else 1
        caps_year = [b.cap * per_year for b in budget.buckets()] if budget is not None else [0]
        if budget is not None and budget.kind == "cap" and per_year != 1:
            notes.append(f"额度按{budget.period}计，方案按全年合计（{per_year}期）近似，不区分各期")
        return cls(
            region=region,
            regions=regions,
            on=on,
            budget=budget,
            funding=funding,
            items=items,
            by_kind=by_kind,
            kind_order=[KINDS.index(k) for k in settings.kind_order],
            stages=stages,
            reviews=reviews,
            caps=np.array(caps_year, dtype=np.int64),
            level=level,
            notes=notes,
        )


def _rule(
    regions: Regions, region: Region, on: date, notes: list[str]
) -> tuple[EntitlementRule | None, str]:
    """The region's rule for a case without a level, else for its first level with one."""
    rule = regions.entitlement_rule(region, on, "")
    if rule is not None:
        return rule, ""
    for lv in region.instrument.levels:
        rule = regions.entitlement_rule(region, on, lv.name)
        if rule is not None:
            notes.append(
                f"个人服务额度按评估等级授予，人口数据无评估等级：按「{lv.name}」的规则"
                f"（{rule.name}）建模"
            )
            return rule, lv.name
    notes.append("本地区不授予个人服务额度：方案按需求全额购买")
    return None, ""


@dataclass
class Plans:
    """The plans of one chunk's eligible people (row j is person ``index[j]``)."""

    index: npt.NDArray[np.intp]
    spent: IntArray  # (m, tiers) fen
    units: npt.NDArray[np.int32]  # (m, len(model.items)) units bought
    unmet: NeedArray  # (m, len(KINDS)) need left
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
    item_fen: IntArray | None = None
    item_persons: IntArray | None = None
    cat_persons: IntArray | None = None
    need_all: IntArray | None = None
    need_eligible: IntArray | None = None
    need_people: IntArray | None = None
    need_fully_met: IntArray | None = None
    served: int = 0
    full_use: int = 0
    rule_version: str = ""

    def add(self, name: str, value: IntArray) -> None:
        old = getattr(self, name)
        setattr(self, name, value.astype(np.int64) if old is None else old + value)


def plan(
    model: RegionModel, pop: Population, needs: NeedArray, eligible: npt.NDArray[np.bool_]
) -> Plans:
    """Buy every eligible person's plan under the region's budget rule (columnar)."""
    index = np.flatnonzero(eligible)
    m = len(index)
    sub = take(pop, index)
    remaining = needs[index].astype(np.int32, copy=True)
    k = len(model.caps)
    spent = np.zeros((m, k), dtype=np.int64)
    units = np.zeros((m, len(model.items)), dtype=np.int32)
    who: dict[int, npt.NDArray[np.bool_]] = {}
    for stage in model.stages:
        for _ in range(k):
            bought = 0
            for kind in model.kind_order:
                for pi in model.by_kind[kind]:
                    bought += _buy(model, pi, kind, stage, sub, remaining, spent, units, who)
            if not bought:
                break
    return Plans(index=index, spent=spent, units=units, unmet=remaining, reviews=model.reviews)


def _buy(
    model: RegionModel,
    pi: PlanItem,
    kind: int,
    stage: int,
    sub: Population,
    remaining: NeedArray,
    spent: IntArray,
    units: npt.NDArray[np.int32],
    who: dict[int, npt.NDArray[np.bool_]],
) -> int:
    """Buy item ``pi`` for everyone who still needs its kind; return units bought."""
    cand = np.flatnonzero(remaining[:, kind] > 0)
    if not len(cand):
        return 0
    if pi.item.who.all or pi.item.who.any:
        if pi.index not in who:
            who[pi.index] = pi.item.who.mask(sub)
        cand = cand[who[pi.index][cand]]
        if not len(cand):
            return 0
    q = remaining[cand, kind].astype(np.int64)
    had = units[cand, pi.index].astype(np.int64)
    if pi.max_units is not None:
        q = np.minimum(q, pi.max_units - had)
    if pi.price > 0 and pi.max_fen is not None:
        q = np.minimum(q, (pi.max_fen - had * pi.price) // pi.price)
    budget = model.budget
    capped = budget is not None and model.limits and pi.cost > 0
    if capped:
        assert budget is not None
        reviews = np.full(len(cand), stage, dtype=np.int64)
        if budget.period == "year":
            live, available = budget.standing(spent[cand], reviews)
        else:  # periods summed over the year (see RegionModel.build's note)
            live = np.ones_like(spent[cand], dtype=np.bool_)
            available = np.maximum(model.caps[None, :] - spent[cand], 0)
        room = np.where(live & pi.allowed[None, :], available, 0).max(axis=1)
        q = np.minimum(q, room // pi.cost)
    go = q > 0
    if not go.any():
        return 0
    cand, q = cand[go], q[go]
    cost = q * pi.cost
    if capped and budget is not None and budget.period == "year":
        alloc = budget.allocate(
            spent[cand],
            np.full(len(cand), stage, dtype=np.int64),
            cost,
            np.full(len(cand), pi.item.category),
            explain=False,
        )
        tier = alloc.tier
        ok = tier >= 0  # always, by construction; never spend what the rule refuses
        cand, q, cost, tier = cand[ok], q[ok], cost[ok], tier[ok]
        spent[cand, tier] += cost
    elif pi.cost > 0:  # a floor (or a summed cap): book in the first bucket that allows it
        tier_idx = int(np.flatnonzero(pi.allowed)[0])
        spent[cand, tier_idx] += cost
    units[cand, pi.index] += q.astype(np.int32)
    remaining[cand, kind] -= q.astype(np.int32)
    return int(q.sum())


def _orders_split(model: RegionModel, plans: Plans, sources: int) -> IntArray:
    """Spend by funding source: the rule splits every item's spend per person as an order
    would be split; equal amounts split equally, so each distinct amount is split once."""
    total = np.zeros(sources, dtype=np.int64)
    for j, pi in enumerate(model.items):
        if pi.price == 0:
            continue
        col = plans.units[:, j]
        bought = col[col > 0].astype(np.int64) * pi.price
        if not len(bought):
            continue
        amounts, counts = np.unique(bought, return_counts=True)
        parts = model.funding.split(amounts, np.full(len(amounts), pi.item.category))
        total += (parts * counts[:, None]).sum(axis=0)
    return total


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
    totals.add("by_source", _orders_split(model, plans, len(model.funding.sources)))
    prices = np.array([pi.price for pi in model.items], dtype=np.int64)
    item_units = plans.units.sum(axis=0, dtype=np.int64)
    totals.add("item_units", item_units)
    totals.add("item_fen", item_units * prices)
    got = plans.units > 0
    totals.add("item_persons", got.sum(axis=0, dtype=np.int64))
    ncat = len(model.region.catalogue.categories)
    cat_persons = np.zeros(ncat, dtype=np.int64)
    for c in range(ncat):
        cols = [j for j, pi in enumerate(model.items) if pi.category == c]
        if cols:
            cat_persons[c] = int(got[:, cols].any(axis=1).sum())
    totals.add("cat_persons", cat_persons)
    totals.served += int(got.any(axis=1).sum())
    annual = int(model.caps.sum())
    if annual:
        totals.full_use += int((plans.spent.sum(axis=1) >= annual).sum())
    totals.add("need_all", needs.sum(axis=0, dtype=np.int64))
    eligible_needs = needs[plans.index]
    totals.add("need_eligible", eligible_needs.sum(axis=0, dtype=np.int64))
    totals.add("need_people", (eligible_needs > 0).sum(axis=0, dtype=np.int64))
    totals.add(
        "need_fully_met",
        ((eligible_needs > 0) & (plans.unmet == 0)).sum(axis=0, dtype=np.int64),
    )
    return plans


def chunks(n: int, size: int) -> Iterable[slice]:
    for start in range(0, n, max(size, 1)):
        yield slice(start, min(start + size, n))


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
    is called after each chunk."""
    started = time.perf_counter()
    s = settings or PlanSettings()
    on = s.on or local_date(utcnow())
    ids = list(region_ids) if region_ids else sorted(regions.by_id)
    for rid in ids:
        if rid not in regions.by_id:
            raise Invalid(
                "--regions", f"unknown region {rid!r}; known: {', '.join(sorted(regions.by_id))}"
            )
    results = []
    for rid in ids:
        region = regions.get(rid)
        try:
            model = RegionModel.build(regions, region, s, on)
        except LookupError as exc:
            raise Invalid("--on", f"{rid}: {exc}") from None
        totals = Totals()
        for part in chunks(len(people), chunk_size):
            pop, needs = people.take(part)
            run_chunk(model, pop, needs, totals)
            if progress is not None:
                progress(rid, part.stop - part.start)
        if not len(people):
            run_chunk(model, people.population, people.needs, totals)
        results.append(summarise(model, totals, regions))
    return Comparison(
        jiuzhu_version=__version__,
        population=people.info,
        plan=PlanSettingsInfo(
            on=on, reviews=s.reviews, kind_order=list(s.kind_order), kinds=s.kinds
        ),
        kinds=list(KINDS),
        regions=results,
        seconds=round(time.perf_counter() - started, 3),
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ints(a: IntArray | None, n: int) -> list[int]:
    return [0] * n if a is None else [int(x) for x in a]


def staffing(region: Region, hours_minutes: int, served: int) -> StaffingResult:
    """The provider staff a plan requires under the region's staffing rules."""
    rule = region.section("staffing", Staffing)
    defaulted = rule is None
    if rule is None:
        rule = Staffing(illustrative=True)
    hours = hours_minutes / 60
    workers = math.ceil(hours_minutes / (60 * rule.hours_per_worker_per_year))
    teams = math.ceil(workers / rule.min_team_size) if workers else 0
    if rule.max_recipients_per_team and served:
        teams = max(teams, math.ceil(served / rule.max_recipients_per_team))
    return StaffingResult(
        hours=round(hours, 1),
        hours_per_worker_per_year=rule.hours_per_worker_per_year,
        workers=workers,
        teams=teams,
        staff=max(workers, teams * rule.min_team_size),
        intermediate_social_workers=teams * rule.min_intermediate_social_workers,
        junior_social_workers=teams * rule.min_junior_social_workers,
        min_team_size=rule.min_team_size,
        max_recipients_per_team=rule.max_recipients_per_team,
        source=rule.source,
        illustrative=rule.illustrative,
        defaulted=defaulted,
    )


def summarise(model: RegionModel, t: Totals, regions: Regions) -> RegionResult:
    region = model.region
    elig = model.regions.eligibility(region, _empty(), model.on)  # labels of the rules
    ni = len(model.items)
    item_units = _ints(t.item_units, ni)
    item_fen = _ints(t.item_fen, ni)
    item_persons = _ints(t.item_persons, ni)
    minutes = [u * pi.item.minutes_per_unit for u, pi in zip(item_units, model.items, strict=True)]
    # 人次: one definition with the service loop's statistics (catalogue.Item.visits)
    visits = [pi.item.visits(u) for u, pi in zip(item_units, model.items, strict=True)]
    cats = region.catalogue.categories
    cat_persons = _ints(t.cat_persons, len(cats))
    categories = []
    for c, cat in enumerate(cats):
        js = [j for j, pi in enumerate(model.items) if pi.category == c]
        categories.append(
            CategoryResult(
                code=cat.code,
                name=cat.name,
                spent_fen=sum(item_fen[j] for j in js),
                persons=cat_persons[c],
                person_times=sum(visits[j] for j in js),
                hours=round(sum(minutes[j] for j in js) / 60, 1),
            )
        )
    met = [0] * len(KINDS)
    for j, pi in enumerate(model.items):
        if pi.kind >= 0:
            met[pi.kind] += item_units[j]
    need_all = _ints(t.need_all, len(KINDS))
    need_el = _ints(t.need_eligible, len(KINDS))
    need_people = _ints(t.need_people, len(KINDS))
    fully = _ints(t.need_fully_met, len(KINDS))
    needs = [
        NeedResult(
            kind=kind,
            items=[pi.item.code for pi in model.by_kind[k]],
            need_units=need_all[k],
            eligible_need_units=need_el[k],
            met_units=met[k],
            unmet_units=need_el[k] - met[k],
            met_share=_share(met[k], need_el[k]),
            people_in_need=need_people[k],
            people_fully_met=fully[k],
        )
        for k, kind in enumerate(KINDS)
    ]
    tier_spent = _ints(t.tier_spent, len(model.caps))
    used = sum(tier_spent)
    spent = sum(item_fen)
    rule = model.budget
    buckets = rule.buckets() if rule is not None else []
    annual = int(model.caps.sum()) if rule is not None else 0
    unit = rule.unit if rule is not None else "fen"
    tiers = [
        TierResult(
            name=b.name,
            share_percent=round(100 * int(model.caps[i]) / annual) if annual else 0,
            cap_fen=int(model.caps[i]),
            spent_fen=tier_spent[i],
            categories=list(b.categories),
            opens=b.opens or "grant",
        )
        for i, b in enumerate(buckets)
    ]
    money = unit == "fen" and rule is not None and rule.kind == "cap"
    version_from = getattr(getattr(rule, "version", None), "valid_from", model.on)
    by_source = _ints(t.by_source, len(model.funding.sources))
    declared = getattr(region.sections.get("funding"), "sources", [])
    names = {s.code: s for s in declared}
    funding = [
        SourceResult(
            code=code,
            name=names[code].name if code in names else code,
            level=names[code].level if code in names else "",
            spent_fen=by_source[i],
            share=_share(by_source[i], spent),
        )
        for i, code in enumerate(model.funding.sources)
    ]
    items = [
        ItemResult(
            code=pi.item.code,
            name=pi.item.name,
            category=pi.item.category,
            kind=KINDS[pi.kind] if pi.kind >= 0 else "",
            unit=pi.item.unit,
            unit_price_fen=pi.price,
            units=item_units[j],
            spent_fen=item_fen[j],
            persons=item_persons[j],
            hours=round(minutes[j] / 60, 1),
        )
        for j, pi in enumerate(model.items)
    ]
    source = regions.sources.get(region.id)
    plugin = source.plugin if source else ""
    return RegionResult(
        id=region.id,
        name=region.info.name,
        name_en=region.info.name_en,
        plugin=plugin,
        plugin_version=plugin_version(regions, region.id),
        data_version=region.info.version,
        rule_versions={
            "eligibility": t.rule_version or elig.rule_version,
            "budget": rule.label if rule is not None else "",
            "funding": f"funding@{model.funding.rule_version.isoformat()}",
        },
        eligibility=EligibilityResult(
            rule_version=t.rule_version or elig.rule_version,
            people=t.people,
            eligible=t.eligible,
            not_qualified=t.not_qualified,
            excluded=t.excluded,
            includes=[
                RuleCount(id=r.id, label=r.label, people=c)
                for r, c in zip(elig.includes, _ints(t.includes, len(elig.includes)), strict=True)
            ],
            excludes=[
                RuleCount(id=r.id, label=r.label, people=c, matched=mt)
                for r, c, mt in zip(
                    elig.excludes,
                    _ints(t.excludes, len(elig.excludes)),
                    _ints(t.excludes_matched, len(elig.excludes)),
                    strict=True,
                )
            ],
        ),
        entitlement=EntitlementResult(
            scheme=rule.name if rule is not None else "无个人服务额度",
            valid_from=version_from,
            annual_fen=annual if money else 0,
            total_fen=annual * t.eligible if money else 0,
            spent_fen=spent,
            used_share=_share(used, annual * t.eligible),
            spent_per_eligible_fen=spent // t.eligible if t.eligible else 0,
            spent_per_served_fen=spent // t.served if t.served else 0,
            full_use=t.full_use,
            tiers=tiers,
            illustrative=bool(getattr(getattr(rule, "version", None), "illustrative", False)),
            unit=unit,
            kind=rule.kind if rule is not None else "none",
            period=rule.period if rule is not None else "year",
            annual=annual,
            used=used,
            level=model.level,
            annual_text=amount_text(unit, annual) if rule is not None else "—",
        ),
        funding=funding,
        needs=needs,
        categories=categories,
        items=items,
        staffing=staffing(region, sum(minutes), t.served),
        persons_served=t.served,
        person_times=sum(visits),
        hours=round(sum(minutes) / 60, 1),
        notes=list(model.notes),
    )


def _empty() -> Population:
    return Population.of([])
