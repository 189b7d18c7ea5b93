"""Entitlement schemes with tiers (budget.toml): the vocabulary, not the mechanism.

The mechanism that spends tier by tier lives in jiuzhu.plugins.tiered_budget.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from .base import Base


class Tier(Base, frozen=True, kw_only=True):
    """One stage of the year's entitlement (e.g. 第一阶段, 40%)."""

    name: str  # the stage's name, shown in refusals and on the case file
    share_percent: int  # its share of annual_fen; the shares of a version sum to 100
    # what opens the tier: at grant; once the previous tier is used to a share; after a
    # stage review (a return visit or re-assessment recorded on the case).
    opens: Literal["grant", "previous_used", "review"] = "grant"
    min_previous_used_percent: int = 100  # with opens = "previous_used": the share used
    categories: list[str] = []  # empty: any category of the catalogue
    # what happens to the tier's unspent money when the next stage opens: it is added to
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
    """The entitlement in force from one date: the yearly amount and its tiers."""

    valid_from: date  # applies to entitlements granted from this day until the next version
    annual_fen: int  # the yearly amount per person, in fen (100000 = 1,000 yuan)
    tiers: list[Tier]  # in order; the first opens at grant
    source: str = ""  # where the amount and shares come from
    illustrative: bool = False  # true: filled in, not from a source
    stage_review: StageReview | None = None  # required when a tier opens after a review

    def __post_init__(self) -> None:
        if self.annual_fen <= 0:
            raise ValueError("annual_fen must be positive")
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

    def tier_caps(self) -> list[int]:
        """Each tier's cap in fen; rounding goes to the last tier so caps sum exactly."""
        caps = [self.annual_fen * t.share_percent // 100 for t in self.tiers]
        caps[-1] += self.annual_fen - sum(caps)
        return caps


class BudgetScheme(Base, frozen=True, kw_only=True):
    """budget.toml: what each eligible person may spend a year, and in which stages."""

    name: str  # the scheme's name as the region's documents give it
    period: Literal["calendar_year"] = "calendar_year"  # an entitlement runs Jan 1 – Dec 31
    versions: list[SchemeVersion]  # dated: each applies from its valid_from

    def __post_init__(self) -> None:
        starts = [v.valid_from for v in self.versions]
        if len(set(starts)) != len(starts):
            raise ValueError("two versions apply from the same date")
