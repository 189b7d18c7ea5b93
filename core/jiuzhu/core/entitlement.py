"""The entitlement protocol: what any scheme answers, in its own unit and period.

The core knows *that* a case may hold an entitlement — an amount of money (fen), time
(minutes) or visits (count) per year, quarter or month, in one or more buckets (stages,
tiers) — and how usage is booked: caps are reserved when an order is placed (and refunded
on cancel or early close), floors are booked when a visit is checked out and never refuse.
Which scheme applies (money tiers released in stages, a monthly time floor, N visits a
quarter) and every number in it come from plugins through ``jiuzhu_entitlement_rule``.

Rules are columnar (n entitlements at once), so one rule serves the service loop and the
comparison.

Lock order (every money- or usage-moving unit of work): case → entitlement → order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np
import numpy.typing as npt

from .money import yuan
from .rules import Allocation, BoolArray, IntArray

if TYPE_CHECKING:
    from .catalogue import Item

Unit = Literal["fen", "minutes", "count"]
Period = Literal["year", "quarter", "month"]
Kind = Literal["cap", "floor"]
UNITS: tuple[str, ...] = get_args(Unit)
PERIODS: tuple[str, ...] = get_args(Period)
UNIT_LABELS: dict[str, str] = {"fen": "元", "minutes": "小时", "count": "次"}
PERIOD_LABELS: dict[str, str] = {"year": "年度", "quarter": "季度", "month": "月"}
PERIODS_PER_YEAR: dict[str, int] = {"year": 1, "quarter": 4, "month": 12}


def amount_text(unit: str, amount: int) -> str:
    """An amount in its unit, for people: '12.50元', '3.5小时', '4次'."""
    if unit == "fen":
        return yuan(amount)
    if unit == "minutes":
        sign = "-" if amount < 0 else ""
        hours, minutes = divmod(abs(amount), 60)
        if not minutes:
            return f"{sign}{hours}小时"
        if minutes in (15, 30, 45):
            return f"{sign}{hours + minutes / 60:g}小时"
        return f"{sign}{hours}小时{minutes}分钟" if hours else f"{sign}{minutes}分钟"
    if unit == "count":
        return f"{amount}次"
    raise ValueError(f"unknown unit {unit!r}; known: {', '.join(UNITS)}")


def period_key(day: date, period: str) -> str:
    """The key of the period holding ``day``: '2025', '2025-Q1' or '2025-03'."""
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    raise ValueError(f"unknown period {period!r}; known: {', '.join(PERIODS)}")


def period_of(key: str) -> Period:
    """Which kind of period a key names; ValueError for anything else."""
    parts = key.split("-")
    ok = len(parts[0]) == 4 and parts[0].isdigit()
    if ok and len(parts) == 1:
        return "year"
    if ok and len(parts) == 2 and parts[1] in ("Q1", "Q2", "Q3", "Q4"):
        return "quarter"
    month = parts[1] if len(parts) == 2 else ""
    if ok and len(month) == 2 and month.isdigit() and 1 <= int(month) <= 12:
        return "month"
    raise ValueError(f"not a period: {key!r} (give 2025, 2025-Q1 or 2025-03)")


def period_bounds(key: str) -> tuple[date, date]:
    """(first day, first day after) of a period, as local dates (Asia/Shanghai)."""
    kind = period_of(key)
    year = int(key[:4])
    if kind == "year":
        return date(year, 1, 1), date(year + 1, 1, 1)
    if kind == "quarter":
        q = int(key[-1])
        start = date(year, 3 * q - 2, 1)
    else:
        start = date(year, int(key[5:]), 1)
    months = 3 if kind == "quarter" else 1
    m = start.month - 1 + months
    return start, date(year + m // 12, m % 12 + 1, 1)


def period_label(key: str) -> str:
    """'2025年', '2025年第1季度', '2025年3月'."""
    kind = period_of(key)
    if kind == "year":
        return f"{key}年"
    if kind == "quarter":
        return f"{key[:4]}年第{key[-1]}季度"
    return f"{key[:4]}年{int(key[5:])}月"


@dataclass(frozen=True)
class Bucket:
    """One part of an entitlement per period: a stage or tier of a cap (``cap``: what it
    may spend), or what a floor owes (``cap`` in the unit, ``min_days`` distinct days)."""

    name: str
    cap: int
    min_days: int = 0
    categories: tuple[str, ...] = ()  # catalogue categories it may buy; empty: any
    detail: str = ""  # e.g. "40%"
    opens: str = ""  # what opens it, for people ("" : open from the grant)


@dataclass(frozen=True)
class Shortfall:
    """A floor's finding per entitlement for one period (columnar, n rows)."""

    owed: IntArray  # the floor, in the rule's unit
    served: IntArray
    days_owed: IntArray
    days: IntArray
    unit: str = "minutes"

    @property
    def short(self) -> IntArray:
        result: IntArray = np.maximum(self.owed - self.served, 0)
        return result

    @property
    def days_short(self) -> IntArray:
        result: IntArray = np.maximum(self.days_owed - self.days, 0)
        return result

    def is_short(self, i: int) -> bool:
        return bool(self.short[i] > 0 or self.days_short[i] > 0)

    def text(self, i: int) -> str:
        owed = [f"{int(self.days_owed[i])}天"] if self.days_owed[i] else []
        served = [f"{int(self.days[i])}天"] if self.days_owed[i] else []
        short = [f"{int(self.days_short[i])}天"] if self.days_short[i] else []
        owed.append(amount_text(self.unit, int(self.owed[i])))
        served.append(amount_text(self.unit, int(self.served[i])))
        if self.short[i]:
            short.append(amount_text(self.unit, int(self.short[i])))
        text = f"应不少于{'、'.join(owed)}，实际{'、'.join(served)}"
        return text + (f"，差{'、'.join(short)}" if short else "，已达标")


@dataclass(frozen=True)
class ReviewInterval:
    """The least number of days between stage reviews that count: a review sooner after
    the grant or the previous counted review opens nothing (a re-assessment is recorded,
    a review visit refused), so a stage cannot be skipped by two reviews in a minute."""

    days: int
    illustrative: bool = False  # the interval was filled in, not taken from a source
    source: str = ""


def review_interval(rule: object) -> ReviewInterval | None:
    """``rule.review_interval()``, or None for a rule without the method (written before
    it was part of the protocol)."""
    method = getattr(rule, "review_interval", None)
    result: ReviewInterval | None = None if method is None else method()
    return result


@runtime_checkable
class EntitlementRule(Protocol):
    """One scheme version for one case (returned by ``jiuzhu_entitlement_rule``).

    Arrays are columnar: ``used`` is (n, k) — what each of n entitlements has booked in
    each of the k buckets in the current period — and ``reviews`` (n,) the stage reviews
    each has had (return visits of kind review, re-assessments)."""

    scheme: str  # the mechanism: "tiered_budget", "time_floor", …
    unit: Unit
    kind: Kind  # "cap": refuse beyond; "floor": owed, never refuses, shortfall reported
    period: Period
    label: str  # the rule version, recorded on the entitlement and each order
    name: str  # for people

    def buckets(self) -> list[Bucket]:
        """The buckets of one period, in order (their caps sum to the period's amount)."""
        ...

    def allows(self, category: str) -> list[bool]:
        """For each bucket, whether it may pay for items of ``category``."""
        ...

    def review_stages(self) -> list[int]:
        """Numbers of stage reviews at which more of the entitlement opens ([] if none)."""
        ...

    def review_interval(self) -> ReviewInterval | None:
        """The least days between counted stage reviews (None: every review counts)."""
        ...

    def cost(self, item: Item, quantity: int, amount_fen: int) -> int:
        """What an order of ``quantity`` units of ``item`` costing ``amount_fen`` costs in
        this rule's unit (fen: the amount; minutes: the item's minutes; count: visits)."""
        ...

    def standing(self, used: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        """(live (n, k): the bucket is open, available (n, k): what it may still take)."""
        ...

    def allocate(
        self,
        used: IntArray,
        reviews: IntArray,
        cost: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        """The bucket paying each cost, or -1 and a message naming the bucket and what
        is left in the rule's unit. A floor never refuses."""
        ...

    def shortfall(self, used: IntArray, days: IntArray) -> Shortfall | None:
        """For a floor: what was owed and served in a period (``used`` (n,) the unit
        booked, ``days`` (n,) distinct days served). None for a cap."""
        ...


def item_cost(unit: str, item: Item, quantity: int, amount_fen: int) -> int:
    """The usual ``cost``: money in fen, an item's minutes, or its visits (人次)."""
    if unit == "fen":
        return amount_fen
    if unit == "minutes":
        return item.minutes_per_unit * quantity
    return item.visits(quantity)


@dataclass
class BudgetRuleAdapter:
    """A rule from the original ``jiuzhu_budget_rule`` hook (money tiers for a calendar
    year) seen through the protocol: unit fen, kind cap, period year."""

    rule: Any  # a jiuzhu.core.rules.BudgetRule
    scheme: str = "budget_rule"
    unit: Unit = "fen"
    kind: Kind = "cap"
    period: Period = "year"
    name: str = ""
    label: str = field(init=False)

    def __post_init__(self) -> None:
        version = self.rule.version
        self.label = f"budget@{version.valid_from.isoformat()}"
        if not self.name:
            self.name = f"服务额度（{version.valid_from.isoformat()}起）"

    def _tiers(self) -> Sequence[Any]:
        tiers: Sequence[Any] = self.rule.version.tiers
        return tiers

    def buckets(self) -> list[Bucket]:
        out = []
        for tier, cap in zip(self._tiers(), self.rule.caps(), strict=True):
            share = getattr(tier, "share_percent", None)
            out.append(
                Bucket(
                    name=str(tier.name),
                    cap=int(cap),
                    categories=tuple(getattr(tier, "categories", ())),
                    detail=f"{share}%" if share is not None else "",
                )
            )
        return out

    def allows(self, category: str) -> list[bool]:
        return list(self.rule.allows(category))

    def review_stages(self) -> list[int]:
        tiers = self._tiers()
        return [t for t in range(1, len(tiers)) if getattr(tiers[t], "opens", "") == "review"]

    def review_interval(self) -> ReviewInterval | None:
        stage = getattr(self.rule.version, "stage_review", None)
        if stage is None:
            return None
        return ReviewInterval(
            int(stage.min_interval_days),
            bool(getattr(stage, "illustrative", False)),
            str(getattr(stage, "source", "")),
        )

    def cost(self, item: Item, quantity: int, amount_fen: int) -> int:
        return amount_fen

    def standing(self, used: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        live, available = self.rule.standing(used, reviews)
        return live, available

    def allocate(
        self,
        used: IntArray,
        reviews: IntArray,
        cost: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        result: Allocation = self.rule.allocate(used, reviews, cost, category, explain)
        return result

    def shortfall(self, used: IntArray, days: IntArray) -> Shortfall | None:
        return None
