"""Data-driven eligibility (eligibility.toml): inclusion and exclusion rules on person facts.

A person is eligible when some `include` rule holds and no `exclude` rule does. Rules are
columnar (jiuzhu.core.conditions), so one definition serves the loop and the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria
from jiuzhu.core.facts import Population
from jiuzhu.core.rules import Eligibility, RuleLabel


class NamedCriteria(Criteria, frozen=True, kw_only=True):
    id: str
    label: str
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError(f"rule {self.id}: name a source or mark it illustrative = true")


class EligibilityRules(Base, frozen=True, kw_only=True):
    valid_from: date
    summary: str = ""
    include: list[NamedCriteria] = []
    exclude: list[NamedCriteria] = []

    def __post_init__(self) -> None:
        if not self.include:
            raise ValueError("give at least one include rule")
        ids = [r.id for r in [*self.include, *self.exclude]]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")


def evaluate(rules: EligibilityRules, people: Population) -> Eligibility:
    n = len(people)
    qualifies = np.full(n, -1, dtype=np.int64)
    for i in reversed(range(len(rules.include))):  # first matching rule wins
        qualifies[rules.include[i].mask(people)] = i
    excluded = np.full(n, -1, dtype=np.int64)
    for i in reversed(range(len(rules.exclude))):
        excluded[rules.exclude[i].mask(people)] = i
    return Eligibility(
        eligible=(qualifies >= 0) & (excluded < 0),
        qualifies_by=qualifies,
        excluded_by=excluded,
        includes=tuple(RuleLabel(r.id, r.label, r.source, r.illustrative) for r in rules.include),
        excludes=tuple(RuleLabel(r.id, r.label, r.source, r.illustrative) for r in rules.exclude),
        rule_version=f"eligibility@{rules.valid_from.isoformat()}",
    )


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("eligibility", EligibilityRules, required=True)


@hookimpl
def jiuzhu_eligibility(region: Region, people: Population, on: date) -> Eligibility | None:
    rules = region.section("eligibility", EligibilityRules)
    if rules is None:
        return None
    return evaluate(rules, people)
