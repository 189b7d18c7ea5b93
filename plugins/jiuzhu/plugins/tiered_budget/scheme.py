"""A region's staged, tiered entitlement scheme (budget.toml): its vocabulary.

Versions are dated (OpenFisca style) and may be chosen by assessment level (``levels``)
and by person criteria (``who``): "budget versions chosen by assessment level or criteria".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria
from jiuzhu.core.entitlement import PERIOD_LABELS, Unit, amount_text


class Tier(Base, frozen=True, kw_only=True):
    """One stage of the period's entitlement (e.g. 第一阶段, 40%)."""

    name: str  # the stage's name, shown in refusals and on the case file
    share_percent: int  # its share of the amount; the shares of a version sum to 100
    # what opens the tier: at grant; once the previous tier is used to a share; after a
    # stage review (a return visit or re-assessment recorded on the case).
    opens: Literal["grant", "previous_used", "review"] = "grant"
    min_previous_used_percent: int = 100  # with opens = "previous_used": the share used
    categories: list[str] = []  # empty: any category of the catalogue
    # what happens to the tier's unspent amount when the next stage opens: it is added to
    # the next tier (carry) or is lost (lapse)
    leftover: Literal["carry", "lapse"] = "carry"
    purpose: str = ""  # what the stage is for, shown to clerks and recipients
    source: str = ""  # where the trigger and categories come from, if sourced
    illustrative: bool = False  # the trigger or the categories were filled in

    def __post_init__(self) -> None:
        if not 0 < self.share_percent <= 100:
            raise ValueError(f"tier {self.name}: share_percent must be 1..100")
        if not 0 < self.min_previous_used_percent <= 100:
            raise ValueError(f"tier {self.name}: min_previous_used_percent must be 1..100")


class StageReview(Base, frozen=True, kw_only=True):
    """When a stage review (a review visit or a re-assessment) counts towards opening the
    next tier: at least ``min_interval_days`` after the grant and after the previous
    counted review, so a stage cannot be skipped by two reviews in a minute."""

    min_interval_days: int
    source: str = ""  # where the interval comes from, if sourced
    illustrative: bool = False  # the interval was filled in

    def __post_init__(self) -> None:
        if not 1 <= self.min_interval_days <= 366:
            raise ValueError("stage_review.min_interval_days must be 1..366")
        if not self.source and not self.illustrative:
            raise ValueError("stage_review: name a source or mark it illustrative = true")


class SchemeVersion(Base, frozen=True, kw_only=True):
    """The entitlement in force from one date: the amount and its tiers."""

    valid_from: date  # applies to entitlements granted from this day until the next version
    amount: int | None = None  # per period, in the scheme's unit (e.g. 100000 fen; 4 visits)
    annual_fen: int | None = None  # the original spelling: money a year, in fen
    tiers: list[Tier]  # in order; the first opens at grant
    levels: list[str] = []  # assessment levels this version is for (empty: any level)
    who: Criteria | None = None  # who this version is for (absent: anyone)
    source: str = ""  # where the amount and shares come from
    illustrative: bool = False  # true: filled in, not from a source
    stage_review: StageReview | None = None  # required when a tier opens after a review

    def __post_init__(self) -> None:
        if (self.amount is None) == (self.annual_fen is None):
            raise ValueError("give amount (per period, in the scheme's unit) or annual_fen")
        if self.total <= 0:
            which = "annual_fen" if self.annual_fen is not None else "amount"
            raise ValueError(f"{which} must be positive")
        if not self.tiers:
            raise ValueError("give at least one tier")
        total = sum(t.share_percent for t in self.tiers)
        if total != 100:
            shares = " + ".join(str(t.share_percent) for t in self.tiers)
            raise ValueError(f"tier shares must sum to 100%, got {shares} = {total}%")
        if self.tiers[0].opens != "grant":
            raise ValueError("the first tier must open at grant")
        if self.stage_review is None and any(t.opens == "review" for t in self.tiers):
            raise ValueError(
                "a tier opens after a stage review: give [versions.stage_review] "
                "min_interval_days (the least number of days between counted reviews)"
            )

    @property
    def total(self) -> int:
        """The amount per period, in the scheme's unit."""
        value = self.amount if self.amount is not None else self.annual_fen
        assert value is not None
        return value

    def tier_caps(self) -> list[int]:
        """Each tier's cap; rounding goes to the last tier so caps sum exactly."""
        caps = [self.total * t.share_percent // 100 for t in self.tiers]
        caps[-1] += self.total - sum(caps)
        return caps


class BudgetScheme(Base, frozen=True, kw_only=True):
    """budget.toml: what each case may use per period, and in which stages."""

    name: str  # the scheme's name as the region's documents give it
    unit: Unit = "fen"  # fen (money), minutes (time) or count (visits)
    # the period an amount is for ("calendar_year" is the original spelling of "year")
    period: Literal["calendar_year", "year", "quarter", "month"] = "year"
    versions: list[SchemeVersion]  # dated: each applies from its valid_from

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("give at least one version")
        keys = [
            (v.valid_from, tuple(sorted(v.levels)), msgspec.json.encode(v.who))
            for v in self.versions
        ]
        if len(set(keys)) != len(keys):
            raise ValueError("two versions for the same people apply from the same date")
        if self.unit != "fen" and any(v.annual_fen is not None for v in self.versions):
            raise ValueError(f"unit is {self.unit}: give each version's amount, not annual_fen")

    @property
    def period_name(self) -> Literal["year", "quarter", "month"]:
        return "year" if self.period == "calendar_year" else self.period

    def summary_text(self) -> str:
        lines = [f"{self.name} — {self.unit}, per {self.period_name}"]
        for v in self.versions:
            who = f" levels {'、'.join(v.levels)}" if v.levels else ""
            mark = " [示例]" if v.illustrative else ""
            lines.append(
                f"  from {v.valid_from}{who}: {amount_text(self.unit, v.total)} a "
                f"{PERIOD_LABELS[self.period_name]}{mark}"
            )
            for tier, cap in zip(v.tiers, v.tier_caps(), strict=True):
                cats = "、".join(tier.categories) or "all categories"
                lines.append(
                    f"    {tier.name} {tier.share_percent}% = {amount_text(self.unit, cap)}; "
                    f"opens: {tier.opens}; {cats}; leftover: {tier.leftover}"
                )
        return "\n".join(lines)
