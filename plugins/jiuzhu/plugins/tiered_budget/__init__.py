"""Staged, tiered entitlement budgets (e.g. 1,000 yuan a year released 40/40/20).

State is derived, never stored twice: from what each tier has spent and how many stage
reviews a case has had, the mechanism computes which tiers are open, what carried over,
and what is left. Tiers that open at grant run side by side; a tier opened by a stage
trigger (previous tier used, or a review) closes the tier before it, whose leftover
carries forward or lapses as the scheme says. Everything is columnar over n entitlements.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.dated import in_force
from jiuzhu.core.entitlement import SchemeVersion, Tier
from jiuzhu.core.money import yuan
from jiuzhu.core.rules import Allocation, BoolArray, IntArray


def opens_text(tier: Tier, prev: Tier | None, index: int) -> str:
    if tier.opens == "grant":
        return "授予时即开放"
    if tier.opens == "review":
        return f"完成第{index}次阶段评估（回访或复评）后开放"
    assert prev is not None
    return f"{prev.name}使用达到{tier.min_previous_used_percent}%后开放"


class TieredBudget:
    """The BudgetRule for one scheme version."""

    def __init__(
        self, version: SchemeVersion, category_names: dict[str, str] | None = None
    ) -> None:
        self.version = version
        self._names = category_names or {}
        self.tiers = version.tiers
        self._caps = np.array(version.tier_caps(), dtype=np.int64)

    def caps(self) -> list[int]:
        return [int(c) for c in self._caps]

    def allows(self, category: str) -> list[bool]:
        return [not t.categories or category in t.categories for t in self.tiers]

    def standing(self, spent: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        """(live (n,k): tier open and not closed, available (n,k))."""
        spent = np.asarray(spent, dtype=np.int64).reshape(-1, len(self.tiers))
        reviews = np.asarray(reviews, dtype=np.int64).reshape(-1)
        n, k = spent.shape
        is_open = np.zeros((n, k), dtype=np.bool_)
        budget = np.zeros((n, k), dtype=np.int64)
        live = np.zeros((n, k), dtype=np.bool_)
        for t, tier in enumerate(self.tiers):
            budget[:, t] = self._caps[t]
            if t == 0 or tier.opens == "grant":
                is_open[:, t] = True
            elif tier.opens == "review":
                is_open[:, t] = is_open[:, t - 1] & (reviews >= t)
            else:
                need = budget[:, t - 1] * tier.min_previous_used_percent
                is_open[:, t] = is_open[:, t - 1] & (spent[:, t - 1] * 100 >= need)
            live[:, t] = is_open[:, t]
            if t > 0 and tier.opens != "grant":
                # a stage trigger closes the tier before it; its leftover moves on or lapses
                opened = is_open[:, t]
                live[opened, t - 1] = False
                if self.tiers[t - 1].leftover == "carry":
                    left = np.maximum(budget[:, t - 1] - spent[:, t - 1], 0)
                    budget[:, t] += np.where(opened, left, 0)
        available = np.where(live, np.maximum(budget - spent, 0), 0)
        return live, available

    def available(self, spent: IntArray, reviews: IntArray) -> tuple[IntArray, IntArray]:
        live, available = self.standing(spent, reviews)
        k = len(self.tiers)
        # the current tier: the highest live one
        current = k - 1 - np.argmax(live[:, ::-1], axis=1)
        return current.astype(np.int64), available

    def allocate(
        self,
        spent: IntArray,
        reviews: IntArray,
        amount: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        live, available = self.standing(spent, reviews)
        amount = np.asarray(amount, dtype=np.int64).reshape(-1)
        category = np.asarray(category).reshape(-1)
        n, k = available.shape
        tier = np.full(n, -1, dtype=np.int64)
        for t in reversed(range(k)):  # the lowest tier that fits wins
            cats = self.tiers[t].categories
            allowed = np.ones(n, dtype=np.bool_) if not cats else np.isin(category, cats)
            fits = live[:, t] & allowed & (available[:, t] >= amount)
            tier[fits] = t
        refusal: list[str | None] = [None] * n
        if explain:
            for i in np.flatnonzero(tier < 0):
                refusal[i] = self.explain(live[i], available[i], int(amount[i]), str(category[i]))
        return Allocation(tier=tier, refusal=refusal)

    def explain(self, live: BoolArray, available: IntArray, amount: int, category: str) -> str:
        parts = []
        for t, tier in enumerate(self.tiers):
            if not live[t]:
                continue
            allowed = not tier.categories or category in tier.categories
            state = f"{tier.name}（{tier.share_percent}%）剩余{yuan(int(available[t]))}"
            if not allowed:
                limited = "、".join(self._names.get(c, c) for c in tier.categories)
                state += f"，不可用于「{self._names.get(category, category)}」类服务（限{limited}）"
            parts.append(state)
        msg = f"本单{yuan(amount)}超出当前可用额度：" + "；".join(parts or ["无开放的阶段"])
        nxt = next((t for t in range(len(self.tiers)) if not live[t] and t > _last(live)), None)
        if nxt is not None:
            prev = self.tiers[nxt - 1] if nxt > 0 else None
            msg += f"。下一阶段{self.tiers[nxt].name}：{opens_text(self.tiers[nxt], prev, nxt)}"
        else:
            msg += "。本年度已无后续阶段"
        return msg


def _last(live: BoolArray) -> int:
    idx = np.flatnonzero(live)
    return int(idx[-1]) if len(idx) else -1


@hookimpl
def jiuzhu_budget_rule(region: Region, on: date) -> TieredBudget | None:
    names = {c.code: c.name for c in region.catalogue.categories}
    return TieredBudget(in_force(region.budget.versions, on), names)
