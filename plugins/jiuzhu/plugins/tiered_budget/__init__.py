"""Staged, tiered entitlements (e.g. 1,000 yuan a year released 40/40/20).

State is derived, never stored twice: from what each tier has used in the period and how
many stage reviews a case has had, the mechanism computes which tiers are open, what
carried over, and what is left. Tiers that open at grant run side by side; a tier opened
by a stage trigger (previous tier used, or a review) closes the tier before it, whose
leftover carries forward or lapses as the scheme says. Everything is columnar over n
entitlements. The unit (fen, minutes, count) and period (year, quarter, month) are the
region's (budget.toml), so "4 visits a quarter" is a one-tier scheme in unit count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.catalogue import Item
from jiuzhu.core.dated import in_force
from jiuzhu.core.entitlement import (
    Bucket,
    Kind,
    Period,
    ReviewInterval,
    Shortfall,
    Unit,
    amount_text,
    item_cost,
)
from jiuzhu.core.facts import Population
from jiuzhu.core.rules import Allocation, BoolArray, IntArray

from .scheme import BudgetScheme, SchemeVersion, StageReview, Tier

__all__ = ["BudgetScheme", "SchemeVersion", "StageReview", "Tier", "TieredBudget", "version_for"]


def opens_text(tier: Tier, prev: Tier | None, index: int) -> str:
    if tier.opens == "grant":
        return "授予时即开放"
    if tier.opens == "review":
        return f"完成第{index}次阶段评估（回访或复评）后开放"
    assert prev is not None
    return f"{prev.name}使用达到{tier.min_previous_used_percent}%后开放"


class TieredBudget:
    """The entitlement rule for one scheme version (and the original BudgetRule)."""

    scheme = "tiered_budget"
    kind: Kind = "cap"

    def __init__(
        self,
        version: SchemeVersion,
        category_names: dict[str, str] | None = None,
        unit: Unit = "fen",
        period: Period = "year",
        name: str = "",
    ) -> None:
        self.version = version
        self.unit: Unit = unit
        self.period: Period = period
        self.name = name or "分阶段服务额度"
        self.label = f"budget@{version.valid_from.isoformat()}"
        if version.levels:
            self.label += f"[{'、'.join(version.levels)}]"
        self._names = category_names or {}
        self.tiers = version.tiers
        self._caps = np.array(version.tier_caps(), dtype=np.int64)

    # -- the protocol ------------------------------------------------------------------
    def buckets(self) -> list[Bucket]:
        return [
            Bucket(
                name=t.name,
                cap=int(cap),
                categories=tuple(t.categories),
                detail=f"{t.share_percent}%",
                opens="" if t.opens == "grant" else opens_text(t, self.tiers[i - 1], i),
            )
            for i, (t, cap) in enumerate(zip(self.tiers, self._caps, strict=True))
        ]

    def review_stages(self) -> list[int]:
        return [t for t, tier in enumerate(self.tiers) if t > 0 and tier.opens == "review"]

    def review_interval(self) -> ReviewInterval | None:
        stage = self.version.stage_review
        if stage is None:
            return None
        return ReviewInterval(stage.min_interval_days, stage.illustrative, stage.source)

    def cost(self, item: Item, quantity: int, amount_fen: int) -> int:
        return item_cost(self.unit, item, quantity, amount_fen)

    def shortfall(self, used: IntArray, days: IntArray) -> Shortfall | None:
        return None

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
            left = amount_text(self.unit, int(available[t]))
            state = f"{tier.name}（{tier.share_percent}%）剩余{left}"
            if not allowed:
                limited = "、".join(self._names.get(c, c) for c in tier.categories)
                state += f"，不可用于「{self._names.get(category, category)}」类服务（限{limited}）"
            parts.append(state)
        msg = f"本单{amount_text(self.unit, amount)}超出当前可用额度：" + "；".join(
            parts or ["无开放的阶段"]
        )
        nxt = next((t for t in range(len(self.tiers)) if not live[t] and t > _last(live)), None)
        if nxt is not None:
            prev = self.tiers[nxt - 1] if nxt > 0 else None
            msg += f"。下一阶段{self.tiers[nxt].name}：{opens_text(self.tiers[nxt], prev, nxt)}"
        else:
            msg += f"。本{_PERIOD_WORD[self.period]}已无后续阶段"
        return msg


_PERIOD_WORD = {"year": "年度", "quarter": "季度", "month": "月"}


def _last(live: BoolArray) -> int:
    idx = np.flatnonzero(live)
    return int(idx[-1]) if len(idx) else -1


def version_for(
    scheme: BudgetScheme, on: date, level: str, people: Population
) -> SchemeVersion | None:
    """The version in force on ``on`` for a case at assessment ``level`` whose person is
    ``people`` (a population of one; with none, versions with criteria are skipped)."""
    fits = []
    for v in scheme.versions:
        if v.levels and level not in v.levels:
            continue
        if v.who is not None and (len(people) != 1 or not bool(v.who.mask(people)[0])):
            continue
        fits.append(v)
    if not fits:
        return None
    return in_force(fits, on)


def rule_for(scheme: BudgetScheme, region: Region, version: SchemeVersion) -> TieredBudget:
    names = {c.code: c.name for c in region.catalogue.categories}
    return TieredBudget(version, names, scheme.unit, scheme.period_name, scheme.name)


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("budget", BudgetScheme)


@hookimpl
def jiuzhu_entitlement_rule(
    region: Region, on: date, level: str, people: Population
) -> TieredBudget | None:
    scheme = region.section("budget", BudgetScheme)
    if scheme is None:
        return None
    version = version_for(scheme, on, level, people)
    return None if version is None else rule_for(scheme, region, version)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    scheme = region.section("budget", BudgetScheme)
    if scheme is None:
        return None
    path = region.data_dir / "budget.toml"
    cats = {c.code for c in region.catalogue.categories}
    levels = {lv.name for lv in region.instrument.levels}
    out: list[str] = []
    for vi, version in enumerate(scheme.versions):
        for ti, tier in enumerate(version.tiers):
            for c in tier.categories:
                if c not in cats:
                    out.append(
                        f"{path}: versions[{vi}].tiers[{ti}].categories: "
                        f"{c!r} is not a catalogue category ({', '.join(sorted(cats))})"
                    )
        for level in version.levels:
            if level not in levels:
                out.append(
                    f"{path}: versions[{vi}].levels: {level!r} is not a level of the "
                    f"assessment ({', '.join(sorted(levels))})"
                )
    return out


@hookimpl
def jiuzhu_budget_rule(region: Region, on: date) -> TieredBudget | None:
    """The original hook, for callers written against it: the version for any case (no
    level, no criteria). Never differs from jiuzhu_entitlement_rule's answer, so the core's
    fallback to it changes nothing."""
    scheme = region.section("budget", BudgetScheme)
    if scheme is None:
        return None
    version = version_for(scheme, on, "", Population.of([]))
    return None if version is None else rule_for(scheme, region, version)
