"""The entitlement a comparison plans under, through the core's entitlement protocol.

The comparison asks the same hook the service loop does (``jiuzhu_entitlement_rule``, with
``jiuzhu_budget_rule`` as the fallback) for a case with no assessment level; where a region
grants individual entitlements only by level (Qiaojia: a time floor for long-term
recipients) it models the first level that has one, and says so.

A money cap for a calendar year (the tiered budget) is planned under as it is. Anything
else — a floor owed (never a limit), a cap in another unit or period, or no individual
entitlement — limits no plan: ``Uncapped`` stands in for it, so needs are bought in full
within the items' own limits, and the result reports what the rule owes or allows in its
unit beside what the plans cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from jiuzhu.core.entitlement import PERIODS_PER_YEAR, EntitlementRule, amount_text
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import Allocation, BoolArray, IntArray
from jiuzhu.plugins.funding import FundingScheme
from jiuzhu.plugins.tiered_budget import BudgetScheme

BIG = 2**40  # room no plan reaches


def budget_scheme(region: Region) -> BudgetScheme | None:
    """The region's budget.toml (None: it plans under another scheme, or none)."""
    return region.section("budget", BudgetScheme)


def funding_scheme(region: Region) -> FundingScheme:
    scheme = region.section("funding", FundingScheme)
    if scheme is None:
        raise LookupError(f"{region.id} has no funding.toml")
    return scheme


@dataclass(frozen=True)
class EntitlementInfo:
    """What the modelled rule is, for the result."""

    name: str
    unit: str = "fen"
    kind: str = "cap"  # cap | floor | none
    period: str = "year"
    annual: int = 0  # per person and year, in the unit
    level: str = ""  # the assessment level modelled ("" : none needed)
    label: str = ""

    @property
    def annual_text(self) -> str:
        return amount_text(self.unit, self.annual) if self.kind != "none" else "—"


@dataclass
class _Tier:
    name: str
    share_percent: int = 100
    opens: str = "grant"
    categories: list[str] = field(default_factory=list)
    leftover: str = "lapse"
    source: str = ""
    illustrative: bool = False


@dataclass
class _Version:
    valid_from: date
    annual_fen: int
    tiers: list[_Tier]
    source: str = ""
    illustrative: bool = False


class Uncapped:
    """A budget rule that limits nothing: one open tier with room no plan reaches."""

    def __init__(self, name: str, on: date, source: str = "", illustrative: bool = True):
        self.version = _Version(
            valid_from=on,
            annual_fen=0,
            tiers=[_Tier(name=name[:40], source=source, illustrative=illustrative)],
            source=source,
            illustrative=illustrative,
        )

    def caps(self) -> list[int]:
        return [0]

    def allows(self, category: str) -> list[bool]:
        return [True]

    def standing(self, spent: IntArray, reviews: IntArray) -> tuple[BoolArray, IntArray]:
        spent = np.asarray(spent, dtype=np.int64).reshape(-1, 1)
        return np.ones_like(spent, dtype=np.bool_), np.full_like(spent, BIG)

    def allocate(
        self,
        spent: IntArray,
        reviews: IntArray,
        amount: IntArray,
        category: npt.NDArray[np.str_],
        explain: bool = True,
    ) -> Allocation:
        n = len(np.asarray(amount).reshape(-1))
        return Allocation(tier=np.zeros(n, dtype=np.int64), refusal=[None] * n)


def _money_tiers(rule: EntitlementRule) -> bool:
    version = getattr(rule, "version", None)
    return (
        rule.unit == "fen"
        and rule.kind == "cap"
        and rule.period == "year"
        and version is not None
        and hasattr(version, "tiers")
        and hasattr(version, "annual_fen")
        and getattr(version, "annual_fen", None) is not None
    )


def plan_rule(
    regions: Regions, region: Region, on: date, notes: list[str]
) -> tuple[Any, EntitlementInfo]:
    """(the budget rule the plans are bought under, what the modelled rule is)."""
    rule = regions.entitlement_rule(region, on, "")
    level = ""
    if rule is None:
        for lv in region.instrument.levels:
            rule = regions.entitlement_rule(region, on, lv.name)
            if rule is not None:
                level = lv.name
                notes.append(
                    f"个人服务额度按评估等级授予，人口数据无评估等级：按「{lv.name}」的规则"
                    f"（{rule.name}）建模"
                )
                break
    if rule is None:
        notes.append("本地区不授予个人服务额度：方案按需求全额购买（在各项目自身限额内）")
        info = EntitlementInfo(name="无个人服务额度", kind="none")
        return Uncapped("无个人服务额度", on), info
    per_year = PERIODS_PER_YEAR[rule.period]
    annual = sum(b.cap for b in rule.buckets()) * per_year
    info = EntitlementInfo(
        name=rule.name,
        unit=rule.unit,
        kind=rule.kind,
        period=rule.period,
        annual=annual,
        level=level,
        label=rule.label,
    )
    if _money_tiers(rule):
        return rule, info
    version = getattr(rule, "version", None)
    source = str(getattr(version, "source", ""))
    illustrative = bool(getattr(version, "illustrative", not source))
    if rule.kind == "floor":
        notes.append(
            f"{rule.name}为保障下限（每年{amount_text(rule.unit, annual)}），不限制方案："
            "方案按需求全额购买，结果列出应保障量"
        )
    else:
        notes.append(f"{rule.name}按{rule.unit}/{rule.period}计，方案不按其限额购买（只比较金额）")
    return Uncapped(rule.name, on, source, illustrative), info
