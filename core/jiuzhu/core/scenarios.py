"""Scenario tests shipped inside a region package (as OpenFisca's YAML tests are): facts
in, results out, through the same rule hooks the service loop and the comparison call.

A region package keeps them in ``scenarios/*.toml`` next to its ``data`` folder::

    [[scenarios]]
    name = "康玉梅: stage one pays 节庆慰问 and 全屋清洁"
    on = 2025-06-01
    person = { age = 45, groups = ["低保"], disability_grade = 4 }
    expect = { eligible = true, qualifies_by = "dibao_mild_disability" }

    [[scenarios.steps]]
    buy = "festival_visit"
    expect = { stage = "第一阶段", amount_fen = 30000 }

    [[scenarios.steps]]
    buy = "massage"
    expect = { refused = "budget", says = ["第一阶段"] }

    [[scenarios.steps]]
    review = true                      # a stage review: return visit or re-assessment

`jiuzhu regions test [REGION]` runs them; so does ``run_scenarios`` from a plugin's own
tests. Only what a scenario states is checked; a refusal no step expects is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from .base import Base, ConfigError
from .catalogue import UNIT_NAMES, Item
from .entitlement import EntitlementRule, review_interval
from .facts import PersonFacts, Population, bitmask
from .money import yuan
from .plugins import Regions
from .regions import Region
from .strict_toml import decode_file

FOLDER = "scenarios"  # beside the region's data folder


class Outcome(Base, frozen=True, kw_only=True):
    """What the eligibility rule decides for the person."""

    eligible: bool | None = None
    qualifies_by: str | None = None  # the id of the include rule that admits ("" for none)
    excluded_by: str | None = None  # the id of the exclude rule that refuses ("" for none)


class StepResult(Base, frozen=True, kw_only=True):
    """What one step should give; give only what the scenario is about."""

    stage: str | None = None  # the name of the tier (stage, bucket) that pays
    amount_fen: int | None = None  # the price times the quantity
    split: dict[str, int] | None = None  # fen per funding source code (zero parts omitted)
    # the rule that refuses: budget, item.who, item.price, item.frequency (a month's or a
    # year's units), item.annual_cap (a year's money) or entitlement.missing (no individual
    # entitlement at the scenario's level, and the item spends one)
    refused: str | None = None
    says: list[str] = []  # words the refusal message must contain
    # after the step: what is left per stage name, in the entitlement's unit (fen for money;
    # for a floor: what is still owed)
    available: dict[str, int] | None = None


class Step(Base, frozen=True, kw_only=True):
    """One thing that happens to the person: buy an item, or pass a stage review."""

    buy: str | None = None  # a catalogue item code
    quantity: int = 1
    review: bool = False  # a stage review (return visit or re-assessment) is recorded
    on: date | None = None  # the day of the step (default: the scenario's day)
    expect: StepResult = StepResult()
    note: str = ""  # why the step is there

    def __post_init__(self) -> None:
        if (self.buy is None) == (not self.review):
            raise ValueError("a step either buys an item (buy = CODE) or is a review = true")
        if self.quantity < 1:
            raise ValueError("quantity must be at least 1")


class Scenario(Base, frozen=True, kw_only=True):
    """One person, what the eligibility rule must decide, and what happens step by step."""

    name: str  # says what the scenario shows
    on: date  # the day eligibility is decided and the entitlement granted
    person: PersonFacts  # the person's facts, e.g. { age = 45, groups = ["低保"] }
    level: str = ""  # the assessment level the entitlement is chosen by ("" : none)
    expect: Outcome = Outcome()  # what eligibility must decide
    steps: list[Step] = []  # purchases and stage reviews, in order
    source: str = ""  # where the case comes from (a seed article, a policy's example)
    illustrative: bool = False

    def __post_init__(self) -> None:
        for fact in ("groups", "covered_by"):
            bitmask(fact, getattr(self.person, fact))  # an unknown label is an error


class ScenarioFile(Base, frozen=True, kw_only=True):
    """A file of scenarios: `[[scenarios]]` tables."""

    scenarios: list[Scenario]


@dataclass
class ScenarioResult:
    name: str
    where: str  # file and index
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def scenario_files(regions: Regions, region_id: str) -> list[Path]:
    folder = regions.sources[region_id].data_dir.parent / FOLDER
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def run_region_scenarios(regions: Regions, region_id: str) -> list[ScenarioResult]:
    """Run every scenario file of the region; a file that does not decode is one failed
    result per problem (file, key path, expectation)."""
    region = regions.get(region_id)
    results: list[ScenarioResult] = []
    for path in scenario_files(regions, region_id):
        try:
            loaded = decode_file(path, ScenarioFile)
        except ConfigError as exc:
            results.append(ScenarioResult(path.name, str(path), list(exc.problems)))
            continue
        for i, scenario in enumerate(loaded.scenarios):
            results.append(run_scenario(regions, region, scenario, f"{path.name}:scenarios[{i}]"))
    return results


def run_scenarios(regions: Regions, region_id: str) -> list[str]:
    """Every failure of the region's scenarios as one line (empty: all pass)."""
    return [
        f"{r.where} ({r.name}): {p}"
        for r in run_region_scenarios(regions, region_id)
        for p in r.problems
    ]


def run_scenario(regions: Regions, region: Region, sc: Scenario, where: str) -> ScenarioResult:
    result = ScenarioResult(sc.name, where)
    people = Population.of([sc.person])
    decision = regions.eligibility(region, people, sc.on)
    eligible = bool(decision.eligible[0])
    q, x = int(decision.qualifies_by[0]), int(decision.excluded_by[0])
    got = {
        "eligible": eligible,
        "qualifies_by": decision.includes[q].id if q >= 0 else "",
        "excluded_by": decision.excludes[x].id if x >= 0 else "",
    }
    for key, value in got.items():
        wanted = getattr(sc.expect, key)
        if wanted is not None and wanted != value:
            why = "；".join(decision.reasons(0))
            result.problems.append(f"{key}: expected {wanted!r}, got {value!r} ({why})")
    if sc.steps and not eligible:
        result.problems.append("steps: the person is not eligible, so no step can run")
        return result
    if sc.steps:
        _run_steps(regions, region, sc, people, result)
    return result


def _run_steps(
    regions: Regions, region: Region, sc: Scenario, people: Population, result: ScenarioResult
) -> None:
    budget = regions.entitlement_rule(region, sc.on, sc.level, people)
    names = [b.name for b in budget.buckets()] if budget is not None else []
    spent = np.zeros((1, len(names)), dtype=np.int64)
    reviews = np.zeros(1, dtype=np.int64)
    bought: list[tuple[date, str, int, int]] = []  # (day, item, quantity, fen) placed so far
    interval = review_interval(budget)
    last_counted = sc.on  # the grant, then each counted review
    for i, step in enumerate(sc.steps):
        label = f"steps[{i}] ({step.buy or 'review'})"
        problems: list[str] = []
        if step.review:
            day = step.on or sc.on
            if interval is not None and (day - last_counted).days < interval.days:
                problems.append(
                    f"a review on {day} comes {(day - last_counted).days} days after the last "
                    f"(the region counts reviews at least {interval.days} days "
                    "apart): give the step a later `on`"
                )
            else:
                reviews += 1
                last_counted = day
        else:
            assert step.buy is not None
            _buy(
                regions,
                region,
                sc,
                step,
                step.buy,
                people,
                budget,
                spent,
                reviews,
                bought,
                problems,
            )
        if step.expect.available is not None and budget is None:
            problems.append("available: no individual entitlement at this level")
        elif step.expect.available is not None:
            assert budget is not None
            _, available = budget.standing(spent, reviews)
            left = {n: int(available[0, t]) for t, n in enumerate(names)}
            for stage, fen in step.expect.available.items():
                if stage not in left:
                    problems.append(f"available: no stage {stage!r}; stages: {', '.join(names)}")
                elif left[stage] != fen:
                    problems.append(f"available[{stage}]: expected {fen} fen, got {left[stage]}")
        result.problems.extend(f"{label}: {p}" for p in problems)


def _buy(
    regions: Regions,
    region: Region,
    sc: Scenario,
    step: Step,
    code: str,
    people: Population,
    budget: EntitlementRule | None,
    spent: np.ndarray,
    reviews: np.ndarray,
    bought: list[tuple[date, str, int, int]],
    problems: list[str],
) -> None:
    try:
        item = region.catalogue.item(code)
    except KeyError:
        problems.append(f"buy: {code!r} is not an item of {region.id}'s catalogue")
        return
    on = step.on or sc.on
    expect = step.expect
    refusal: tuple[str, str] | None = None
    amount = 0
    if not bool(item.who.mask(people)[0]):
        refusal = ("item.who", f"「{item.name}」的服务对象条件不符")
    else:
        try:
            amount = item.price_on(on) * step.quantity
        except LookupError as exc:
            refusal = ("item.price", str(exc))
    if refusal is None:
        refusal = item_limit(item, on, step.quantity, amount, bought)
    tier = -1
    cost = 0
    if refusal is None and item.spends_entitlement and budget is None:
        refusal = ("entitlement.missing", f"「{item.name}」须使用服务额度，本对象没有个人服务额度")
    elif refusal is None and budget is not None and item.spends_entitlement:
        cost = budget.cost(item, step.quantity, amount) if budget.kind == "cap" else 0
        alloc = budget.allocate(spent, reviews, np.array([cost]), np.array([item.category]))
        tier = int(alloc.tier[0])
        if tier < 0:
            refusal = ("budget", alloc.refusal[0] or "")
    if expect.amount_fen is not None and refusal is None and amount != expect.amount_fen:
        problems.append(f"amount_fen: expected {expect.amount_fen}, got {amount}")
    if refusal is not None:
        rule, message = refusal
        if expect.refused is None:
            problems.append(f"refused by {rule}: {message}")
        elif expect.refused != rule:
            problems.append(f"refused: expected {expect.refused}, got {rule}: {message}")
        for words in expect.says:
            if words not in message:
                problems.append(f"says: {words!r} is not in the refusal: {message}")
        return
    stage = budget.buckets()[tier].name if budget is not None and tier >= 0 else ""
    if expect.refused is not None:
        problems.append(f"refused: expected {expect.refused}, but {stage or 'nothing'} paid")
        return
    if tier >= 0:
        spent[0, tier] += cost
    bought.append((on, item.code, step.quantity, amount))
    if expect.stage is not None and expect.stage != stage:
        problems.append(f"stage: expected {expect.stage}, got {stage}")
    if expect.split is not None:
        funding = regions.funding_rule(region, on)
        parts = funding.split(np.array([amount]), np.array([item.category]))[0]
        got = {s: int(p) for s, p in zip(funding.sources, parts, strict=True) if p}
        wanted = {s: f for s, f in expect.split.items() if f}
        if got != wanted:
            problems.append(f"split: expected {wanted}, got {got}")


def item_limit(
    item: Item, on: date, quantity: int, amount: int, bought: list[tuple[date, str, int, int]]
) -> tuple[str, str] | None:
    """The catalogue's per-person limits on an item (a month's and a year's units, a year's
    money), worded as the service loop words them."""
    mine = [(day, q, fen) for day, code, q, fen in bought if code == item.code]
    for label, limit, same in (
        ("本月", item.max_per_month, lambda d: (d.year, d.month) == (on.year, on.month)),
        ("本年度", item.max_per_year, lambda d: d.year == on.year),
    ):
        if limit is None:
            continue
        used = sum(q for day, q, _ in mine if same(day))
        if used + quantity > limit:
            unit = UNIT_NAMES[item.unit]
            return (
                "item.frequency",
                f"「{item.name}」{label}限{limit}{unit}，已用{used}，本单{quantity}，"
                f"剩余{max(limit - used, 0)}",
            )
    if item.max_fen_per_year is not None:
        used_fen = sum(fen for day, _, fen in mine if day.year == on.year)
        if used_fen + amount > item.max_fen_per_year:
            return (
                "item.annual_cap",
                f"「{item.name}」每年最多{yuan(item.max_fen_per_year)}，已用{yuan(used_fen)}，"
                f"本单{yuan(amount)}，剩余{yuan(max(item.max_fen_per_year - used_fen, 0))}",
            )
    return None
