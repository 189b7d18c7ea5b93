"""Time floors: care a region owes each month (e.g. Qiaojia's long-term recipients: at least
25 days and 60 hours of on-site care a month).

A floor never refuses an order: visits book the minutes they served when checked out, and
a period that ends below the floor is a shortfall — a supervision finding per case and
period (days served, minutes served), recorded on the case by
``jiuzhu entitlements close-period``. Which cases are owed a floor is chosen by assessment
level and/or person criteria (time_floor.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.base import Base
from jiuzhu.core.catalogue import Item
from jiuzhu.core.conditions import Criteria
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


class FloorVersion(Base, frozen=True, kw_only=True):
    """What is owed from one date: minutes and days of care per period."""

    valid_from: date  # applies to entitlements granted from this day until the next version
    period: Literal["month", "quarter", "year"] = "month"  # what the floor is counted over
    min_minutes: int  # care owed per period, in minutes (3600 = 60 hours)
    min_days: int = 0  # distinct days with a visit in the period
    levels: list[str] = []  # assessment levels owed the floor (empty: any)
    who: Criteria | None = None  # person criteria (absent: anyone)
    name: str = ""  # e.g. "长期服务对象照护"
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if self.min_minutes <= 0:
            raise ValueError("min_minutes must be positive")
        longest = {"month": 31, "quarter": 92, "year": 366}[self.period]
        if not 0 <= self.min_days <= longest:
            raise ValueError(f"min_days must be 0..{longest} for a {self.period}")
        if not self.source and not self.illustrative:
            raise ValueError("name a source, or mark the version illustrative = true")


class TimeFloorScheme(Base, frozen=True, kw_only=True):
    """time_floor.toml: care a region owes some cases each period (a floor, not a cap)."""

    name: str  # the guarantee's name as the region's documents give it
    versions: list[FloorVersion]  # dated, and by level or criteria

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("give at least one version")

    def summary_text(self) -> str:
        lines = [self.name]
        for v in self.versions:
            who = f" levels {'、'.join(v.levels)}" if v.levels else " any level"
            mark = " [示例]" if v.illustrative else ""
            lines.append(
                f"  from {v.valid_from}{who}: at least {v.min_days} days and "
                f"{amount_text('minutes', v.min_minutes)} a {v.period}{mark}"
            )
        return "\n".join(lines)


class TimeFloor:
    """The entitlement rule of one floor version: unit minutes, kind floor."""

    scheme = "time_floor"
    unit: Unit = "minutes"
    kind: Kind = "floor"

    def __init__(self, version: FloorVersion, scheme_name: str = "") -> None:
        self.version = version
        self.period: Period = version.period
        self.name = version.name or scheme_name or "照护时间保障"
        self.label = f"time_floor@{version.valid_from.isoformat()}"
        if version.levels:
            self.label += f"[{'、'.join(version.levels)}]"

    def buckets(self) -> list[Bucket]:
        return [
            Bucket(
                name=self.name[:40],
                cap=self.version.min_minutes,
                min_days=self.version.min_days,
                detail=f"不少于{self.version.min_days}天" if self.version.min_days else "",
            )
        ]

    def allows(self, category: str) -> list[bool]:
        return [True]

    def review_stages(self) -> list[int]:
        return []

    def review_interval(self) -> ReviewInterval | None:
        return None

    def cost(self, item: Item, quantity: int, amount_fen: int) -> int:
        return item_cost(self.unit, item, quantity, amount_fen)

    def standing(self, used: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        """Always open; 'available' is what is still owed this period."""
        used = np.asarray(used, dtype=np.int64).reshape(-1, 1)
        owed = np.maximum(self.version.min_minutes - used, 0)
        return np.ones_like(used, dtype=np.bool_), owed

    def allocate(
        self,
        used: IntArray,
        reviews: IntArray,
        cost: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        n = len(np.asarray(cost).reshape(-1))
        return Allocation(tier=np.zeros(n, dtype=np.int64), refusal=[None] * n)

    def shortfall(self, used: IntArray, days: IntArray) -> Shortfall | None:
        used = np.asarray(used, dtype=np.int64).reshape(-1)
        n = len(used)
        return Shortfall(
            owed=np.full(n, self.version.min_minutes, dtype=np.int64),
            served=used,
            days_owed=np.full(n, self.version.min_days, dtype=np.int64),
            days=np.asarray(days, dtype=np.int64).reshape(-1),
            unit=self.unit,
        )


def version_for(
    scheme: TimeFloorScheme, on: date, level: str, people: Population
) -> FloorVersion | None:
    """The version in force on ``on`` for a case at ``level`` (criteria need a person)."""
    fits = [
        v
        for v in scheme.versions
        if (not v.levels or level in v.levels)
        and (v.who is None or (len(people) == 1 and bool(v.who.mask(people)[0])))
    ]
    return in_force(fits, on) if fits else None


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("time_floor", TimeFloorScheme)


@hookimpl
def jiuzhu_entitlement_rule(
    region: Region, on: date, level: str, people: Population
) -> TimeFloor | None:
    scheme = region.section("time_floor", TimeFloorScheme)
    if scheme is None:
        return None
    version = version_for(scheme, on, level, people)
    return None if version is None else TimeFloor(version, scheme.name)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    scheme = region.section("time_floor", TimeFloorScheme)
    if scheme is None:
        return None
    levels = {lv.name for lv in region.instrument.levels}
    return [
        f"{region.data_dir / 'time_floor.toml'}: versions[{i}].levels: {lv!r} is not a level "
        f"of the assessment ({', '.join(sorted(levels))})"
        for i, v in enumerate(scheme.versions)
        for lv in v.levels
        if lv not in levels
    ]
