"""What rule hooks return: columnar results over a Population.

A rule hook gets a whole population (one person in the service loop, a million in the
comparison) and answers with arrays, so one implementation serves both speeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RuleLabel:
    id: str
    label: str
    source: str = ""
    illustrative: bool = False  # the rule (or part of it) was filled in, not sourced


@dataclass(frozen=True)
class Eligibility:
    """`qualifies_by[i]` indexes `includes` (-1: no rule qualifies the person);
    `excluded_by[i]` indexes `excludes` (-1: not excluded)."""

    eligible: BoolArray
    qualifies_by: IntArray
    excluded_by: IntArray
    includes: tuple[RuleLabel, ...]
    excludes: tuple[RuleLabel, ...]
    rule_version: str

    def reasons(self, i: int) -> list[str]:
        out: list[str] = []
        q, x = int(self.qualifies_by[i]), int(self.excluded_by[i])
        if q >= 0:
            out.append(f"符合：{self.includes[q].label}")
        else:
            out.append("不符合任何纳入条件：" + "；".join(r.label for r in self.includes))
        if x >= 0:
            out.append(f"排除：{self.excludes[x].label}")
        return out


@dataclass(frozen=True)
class Allocation:
    """Which bucket (tier) pays each spend (-1: refused) and, if refused, why."""

    tier: IntArray
    refusal: list[str | None]


class BudgetRule(Protocol):
    """A money-tier rule for a calendar year, as the original ``jiuzhu_budget_rule`` hook
    returns it. The core sees it through the entitlement protocol (unit fen, kind cap,
    period year; see jiuzhu.core.entitlement.BudgetRuleAdapter). ``version`` has
    ``valid_from`` and ``tiers`` (each with a ``name``)."""

    version: Any

    def caps(self) -> list[int]: ...

    def standing(self, spent: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        """(live (n, k): the tier is open and not yet closed by the next stage,
        available (n, k): what each tier can still spend, carry-over applied)."""
        ...

    def allows(self, category: str) -> list[bool]:
        """For each tier, whether it may buy items of ``category``."""
        ...

    def available(self, spent: IntArray, reviews: IntArray) -> tuple[IntArray, IntArray]:
        """Given spent per tier (n, k) and stage reviews done (n,), return the current
        tier (n,) and what each tier still has (n, k), carry-over applied."""
        ...

    def allocate(
        self,
        spent: IntArray,
        reviews: IntArray,
        amount: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        """Pick the tier paying each spend (the lowest live tier that allows the category
        and has room), or refuse it with a message naming the tier and what is left."""
        ...


class FundingRule(Protocol):
    """Splits spends among funding sources (jiuzhu.plugins.funding). A rule may also carry
    ``source_names`` (code -> name) for pages and statistics."""

    sources: tuple[str, ...]
    rule_version: date

    def split(self, amount: IntArray, category: npt.NDArray[np.str_]) -> IntArray:
        """(n,) amounts -> (n, len(sources)) parts; each row sums exactly to its amount."""
        ...
