"""Splitting each spend among a region's funding sources by dated percentage shares.

Uses the largest-remainder method row by row, so every split sums exactly to the spend
(no fen created or lost) and ties go to the source listed first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt

from jiuzhu.core import Region, hookimpl
from jiuzhu.core.dated import in_force
from jiuzhu.core.rules import IntArray

from .scheme import FundingScheme, FundingSource, FundingVersion, ShareOverride

__all__ = ["FundingScheme", "FundingSource", "FundingVersion", "ShareOverride", "ShareSplit"]


def split_rows(amount: IntArray, shares: IntArray) -> IntArray:
    """amount (n,), shares (n, k) percents summing to 100 per row -> parts (n, k)."""
    amount = np.asarray(amount, dtype=np.int64)
    sign = np.where(amount < 0, -1, 1).astype(np.int64)
    mag = np.abs(amount)
    raw = mag[:, None] * shares
    parts = raw // 100
    rem = raw % 100
    leftover = mag - parts.sum(axis=1)
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    rows = np.arange(order.shape[0])[:, None]
    rank[rows, order] = np.arange(order.shape[1])[None, :]
    parts += (rank < leftover[:, None]).astype(np.int64)
    result: IntArray = parts * sign[:, None]
    return result


class ShareSplit:
    """The FundingRule for one FundingVersion."""

    def __init__(self, scheme: FundingScheme, version: FundingVersion) -> None:
        self.sources = tuple(s.code for s in scheme.sources)
        self.source_names = {s.code: s.name for s in scheme.sources}
        self.rule_version = version.valid_from
        self._base = np.array([version.shares.get(s, 0) for s in self.sources], dtype=np.int64)
        self._by_category = {
            cat: np.array([o.shares.get(s, 0) for s in self.sources], dtype=np.int64)
            for o in version.overrides
            for cat in o.categories
        }

    def shares_for(self, category: str) -> IntArray:
        return self._by_category.get(category, self._base)

    def split(self, amount: IntArray, category: npt.NDArray[np.str_]) -> IntArray:
        n = len(amount)
        shares = np.broadcast_to(self._base, (n, len(self.sources))).copy()
        for cat, row in self._by_category.items():
            shares[np.asarray(category) == cat] = row
        return split_rows(np.asarray(amount, dtype=np.int64), shares)


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("funding", FundingScheme, required=True)


@hookimpl
def jiuzhu_funding_rule(region: Region, on: date) -> ShareSplit | None:
    scheme = region.section("funding", FundingScheme)
    if scheme is None:
        return None
    return ShareSplit(scheme, in_force(scheme.versions, on))


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    scheme = region.section("funding", FundingScheme)
    if scheme is None:
        return None
    cats = {c.code for c in region.catalogue.categories}
    out: list[str] = []
    for vi, version in enumerate(scheme.versions):
        for oi, override in enumerate(version.overrides):
            for c in override.categories:
                if c not in cats:
                    out.append(
                        f"{region.data_dir / 'funding.toml'}: versions[{vi}].overrides[{oi}]."
                        f"categories: {c!r} is not a catalogue category"
                    )
    return out
