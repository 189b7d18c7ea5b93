"""A hand-vectorized NumPy pass computing the comparison's figures for one region.

It reads the region's data directly — eligibility conditions, the budget version's tiers,
item prices and caps, the needs map, the funding shares — and inlines the tiered budget
(no hook dispatch, no BudgetRule or FundingRule objects, one standing computation per
purchase). It is the yardstick of ``compare_bench.py --baseline``: the engine, which goes
through the hooks, must produce the same figures and stay within 1.5x of this pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from jiuzhu.core.dated import in_force
from jiuzhu.core.facts import Population
from jiuzhu.core.regions import Region
from jiuzhu.plugins.compare.kinds import KINDS, need_map
from jiuzhu.plugins.eligibility import EligibilityRules
from jiuzhu.plugins.funding import FundingScheme, split_rows
from jiuzhu.plugins.tiered_budget import BudgetScheme

I64 = npt.NDArray[np.int64]


@dataclass
class Figures:
    eligible: int
    served: int
    full_use: int
    tier_spent: list[int]
    item_units: dict[str, int]
    item_persons: dict[str, int]
    met: list[int]
    by_source: list[int]
    includes: list[int]  # people qualified first by each include rule
    excludes: list[int]  # qualified people removed first by each exclude rule
    excludes_matched: list[int]  # everyone each exclude rule (first) matches
    need_all: list[int]
    need_eligible: list[int]
    need_people: list[int]
    need_fully_met: list[int]
    cat_persons: list[int]

    def add(self, other: Figures) -> Figures:
        return Figures(
            eligible=self.eligible + other.eligible,
            served=self.served + other.served,
            full_use=self.full_use + other.full_use,
            tier_spent=[a + b for a, b in zip(self.tier_spent, other.tier_spent, strict=True)],
            item_units={k: v + other.item_units[k] for k, v in self.item_units.items()},
            item_persons={k: v + other.item_persons[k] for k, v in self.item_persons.items()},
            met=[a + b for a, b in zip(self.met, other.met, strict=True)],
            by_source=[a + b for a, b in zip(self.by_source, other.by_source, strict=True)],
            **{
                f: [a + b for a, b in zip(getattr(self, f), getattr(other, f), strict=True)]
                for f in (
                    "includes",
                    "excludes",
                    "excludes_matched",
                    "need_all",
                    "need_eligible",
                    "need_people",
                    "need_fully_met",
                    "cat_persons",
                )
            },
        )


def baseline(
    region: Region,
    pop: Population,
    needs: npt.NDArray[np.int32],
    on: date,
    kind_order: list[str] | None = None,
) -> Figures:
    rules = region.section("eligibility", EligibilityRules)
    assert rules is not None
    n = len(pop)
    first_inc = np.full(n, len(rules.include), dtype=np.int64)  # first rule that holds
    for i in reversed(range(len(rules.include))):
        first_inc[rules.include[i].mask(pop)] = i
    first_exc = np.full(n, len(rules.exclude), dtype=np.int64)
    for i in reversed(range(len(rules.exclude))):
        first_exc[rules.exclude[i].mask(pop)] = i
    qualified = first_inc < len(rules.include)
    excluded = first_exc < len(rules.exclude)
    includes = np.bincount(first_inc, minlength=len(rules.include) + 1)[:-1]
    excludes = np.bincount(first_exc[qualified], minlength=len(rules.exclude) + 1)[:-1]
    matched = np.bincount(first_exc, minlength=len(rules.exclude) + 1)[:-1]
    index = np.flatnonzero(qualified & ~excluded)
    m = len(index)
    sub = Population(
        **{f: getattr(pop, f)[index] for f in Population.__dataclass_fields__ if f != "extra"}
    )

    scheme = region.section("budget", BudgetScheme)
    assert scheme is not None, f"{region.id}: the baseline inlines a yearly money budget only"
    version = in_force(scheme.versions, on)
    tiers = version.tiers
    k = len(tiers)
    caps = np.array(version.tier_caps(), dtype=np.int64)
    review = [t for t, tier in enumerate(tiers) if t > 0 and tier.opens == "review"]
    stages = [0, *review]
    cats = [c.code for c in region.catalogue.categories]

    codes, prices, maxu, maxf, allowed, who = [], [], [], [], [], []
    for item in region.catalogue.items:
        codes.append(item.code)
        prices.append(item.price_on(on))
        capv = [c for c in (item.max_per_year,) if c is not None]
        if item.max_per_month is not None:
            capv.append(item.max_per_month * 12)
        maxu.append(min(capv) if capv else None)
        maxf.append(item.max_fen_per_year)
        allowed.append(np.array([not t.categories or item.category in t.categories for t in tiers]))
        who.append(item.who.mask(sub) if (item.who.all or item.who.any) else None)
    pos = {c: i for i, c in enumerate(codes)}
    nm = need_map(region)
    assert nm is not None
    routes: list[list[tuple[npt.NDArray[np.bool_] | None, list[int]]]] = [[] for _ in KINDS]
    for entry in nm.kinds:
        if entry.offered:
            mask = entry.who.mask(sub) if (entry.who.all or entry.who.any) else None
            routes[KINDS.index(entry.kind)].append((mask, [pos[c] for c in entry.items]))

    start = np.ascontiguousarray(needs[index].T, dtype=np.int32)
    remaining = start.copy()
    spent = np.zeros((k, m), dtype=np.int64)  # tier-major
    units = np.zeros((len(codes), m), dtype=np.int32)
    met = np.zeros(len(KINDS), dtype=np.int64)
    order = [KINDS.index(x) for x in (kind_order or KINDS)]

    def standing(c: npt.NDArray[np.intp], stage: int) -> tuple[npt.NDArray[np.bool_], I64]:
        """live (k, len(c)) and available (k, len(c)), carry-over applied."""
        s = spent[:, c]
        live = np.zeros((k, len(c)), dtype=np.bool_)
        budget = np.repeat(caps[:, None], len(c), axis=1)
        is_open = np.ones(len(c), dtype=np.bool_)
        for t, tier in enumerate(tiers):
            if t == 0 or tier.opens == "grant":
                opened = np.ones(len(c), dtype=np.bool_)
            elif tier.opens == "review":
                opened = is_open & (stage >= t)
            else:
                opened = is_open & (
                    s[t - 1] * 100 >= budget[t - 1] * tier.min_previous_used_percent
                )
            live[t] = opened
            if t > 0 and tier.opens != "grant":
                live[t - 1] &= ~opened
                if tiers[t - 1].leftover == "carry":
                    budget[t] += np.where(opened, np.maximum(budget[t - 1] - s[t - 1], 0), 0)
            is_open = opened
        return live, np.where(live, np.maximum(budget - s, 0), 0)

    for stage in stages:
        possible = np.array(
            [t == 0 or tier.opens != "review" or stage >= t for t, tier in enumerate(tiers)]
        )
        for _ in range(k):
            bought = 0
            for kind in order:
                need = remaining[kind]
                everyone = np.flatnonzero(need > 0)
                for mask, items in routes[kind]:
                    cand = everyone if mask is None else everyone[mask[everyone]]
                    for j in items:
                        if not len(cand):
                            break
                        if not (allowed[j] & possible).any():
                            continue
                        c = cand if who[j] is None else cand[who[j][cand]]
                        if not len(c):
                            continue
                        q = need[c].astype(np.int64)
                        col = units[j]
                        if maxu[j] is not None:
                            q = np.minimum(q, maxu[j] - col[c])
                        price = prices[j]
                        if price > 0:
                            if maxf[j] is not None:
                                q = np.minimum(
                                    q, (maxf[j] - col[c].astype(np.int64) * price) // price
                                )
                            live, avail = standing(c, stage)
                            ok_t = live & allowed[j][:, None]
                            room = np.where(ok_t, avail, 0).max(axis=0)
                            q = np.minimum(q, room // price)
                        go = q > 0
                        if not go.any():
                            continue
                        c, q = c[go], q[go]
                        if price > 0:
                            amount = q * price
                            fits = ok_t[:, go] & (avail[:, go] >= amount)
                            tier = np.argmax(fits, axis=0)  # the lowest tier that fits
                            spent[tier, c] += amount
                        col[c] += q.astype(np.int32)
                        need[c] -= q.astype(np.int32)
                        got = int(q.sum())
                        met[kind] += got
                        bought += got
                        cand = cand[need[cand] > 0]
                    everyone = cand if mask is None else everyone[need[everyone] > 0]
            if not bought:
                break

    funding = region.section("funding", FundingScheme)
    assert funding is not None
    fversion = in_force(funding.versions, on)
    sources = [s.code for s in funding.sources]
    base = np.array([fversion.shares.get(s, 0) for s in sources], dtype=np.int64)
    by_cat = {
        c: np.array([o.shares.get(s, 0) for s in sources], dtype=np.int64)
        for o in fversion.overrides
        for c in o.categories
    }
    by_source = np.zeros(len(sources), dtype=np.int64)
    for j in range(len(codes)):
        if prices[j] == 0:
            continue
        values, counts = np.unique(units[j][units[j] > 0], return_counts=True)
        if not len(values):
            continue
        shares = by_cat.get(region.catalogue.items[j].category, base)
        parts = split_rows(values.astype(np.int64) * prices[j], np.tile(shares, (len(values), 1)))
        by_source += (parts * counts[:, None]).sum(axis=0)
    got = units > 0
    cat_of = np.array([cats.index(i.category) for i in region.catalogue.items])
    cat_persons = [int(got[cat_of == c].any(axis=0).sum()) for c in range(len(cats))]
    wanted = start > 0
    return Figures(
        eligible=m,
        served=int(got.any(axis=0).sum()),
        full_use=int((spent.sum(axis=0) >= version.annual_fen).sum()),
        tier_spent=[int(x) for x in spent.sum(axis=1)],
        item_units={c: int(units[j].sum()) for j, c in enumerate(codes)},
        item_persons={c: int(got[j].sum()) for j, c in enumerate(codes)},
        met=[int(x) for x in met],
        by_source=[int(x) for x in by_source],
        includes=[int(x) for x in includes],
        excludes=[int(x) for x in excludes],
        excludes_matched=[int(x) for x in matched],
        need_all=[int(x) for x in needs.sum(axis=0, dtype=np.int64)],
        need_eligible=[int(x) for x in start.sum(axis=1, dtype=np.int64)],
        need_people=[int(x) for x in wanted.sum(axis=1)],
        need_fully_met=[int(x) for x in (wanted & (remaining == 0)).sum(axis=1)],
        cat_persons=cat_persons,
    )
