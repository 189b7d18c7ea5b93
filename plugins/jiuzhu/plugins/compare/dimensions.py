"""The other dimensions of a pilot model (issue 17 point 6), beside who is eligible and what
the plans buy:

- **one-form coverage** (一类事一次办, Shizuishan; any region with a ``policies.toml``): for
  each household, the policies of the joint form whose pre-tick rule (``who``) holds for a
  member — policies per household, by kind, and households with cash *and* services;
- **supervision outcomes**: ratings drawn from a rating distribution (``RatingSettings``)
  for the providers the staffing needs, each provider's light from the region's own
  ``jiuzhu_provider_light`` hook (the traffic light plugin's thresholds in
  ``supervision.toml``);
- **time entitlements in hours**: where the entitlement is a time floor (Qiaojia: 60 hours
  a month), the hours owed beside the hours the plans deliver, and who is served short;
- **finding people** (政策找人): shown only where a plugin answers
  ``jiuzhu_found_by_warnings`` — how many people the region's warning rules flag, and how
  many eligible people who did not apply they reach.

Household figures use the runs of household ids in a chunk (a chunk never splits a
household). Columns, not loops over people: a policy's rule is one mask per chunk, and a
household's union is a ``logical_or.reduceat`` over its run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
import numpy.typing as npt

from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria
from jiuzhu.core.facts import Population
from jiuzhu.core.regions import Region
from jiuzhu.core.supervision import ProviderStats

from . import provenance as prov
from .results import (
    Dimensions,
    FindingResult,
    InputInfo,
    OneFormResult,
    PolicyCount,
    SupervisionResult,
    TimeResult,
)

if TYPE_CHECKING:
    from .engine import RegionModel, Totals

BoolArray = npt.NDArray[np.bool_]
KINDS_OF_POLICY = ("cash", "service", "in_kind", "other")
KIND_NAMES = {"cash": "现金", "service": "服务", "in_kind": "实物", "other": "其他"}
HISTOGRAM = 11  # households by number of policies: 0 .. 9, 10 or more


class RatingSettings(Base, frozen=True, kw_only=True):
    """How recipients rate services, for the supervision dimension. A provider's share of
    satisfied ratings is drawn from a Beta distribution with mean ``satisfied_mean`` and
    concentration ``spread`` (larger: providers alike); each rated person-time is satisfied
    with that probability. ``satisfied_mean`` 0.92 is Changji's published satisfaction
    (seed 001: 服务对象满意度达92%以上) applied to every region; the rest is illustrative."""

    satisfied_mean: float = 0.92
    spread: float = 40.0
    rated_share: float = 0.8  # of person-times, the share rated
    overdue_mean: float = 0.05  # a provider's mean share of overdue orders
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("satisfied_mean", "rated_share", "overdue_mean"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"ratings.{name} must be between 0 and 1 (exclusive)")
        if self.spread <= 0:
            raise ValueError("ratings.spread must be positive")


def _policy_list(region: Region) -> Any:
    try:
        from jiuzhu.plugins.one_form.config import PolicyList
    except ImportError:  # pragma: no cover - the one-form plugin is part of the distribution
        return None
    return region.section("policies", PolicyList)


@dataclass
class DimensionModel:
    """What a region's other dimensions need, resolved once per comparison."""

    policies: Any = None  # PolicyList
    criteria: list[Criteria] = field(default_factory=list)  # distinct pre-tick rules
    rule_of: list[int] = field(default_factory=list)  # policy -> index into criteria (-1)
    kind_of: list[int] = field(default_factory=list)  # policy -> index into KINDS_OF_POLICY
    floor: bool = False  # a time floor in minutes: hours owed vs delivered
    minutes: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    found_labels: list[str] = field(default_factory=list)
    finds: bool = False  # some plugin answers jiuzhu_found_by_warnings for the region


def build(model: RegionModel, inputs: dict[str, InputInfo]) -> DimensionModel:
    """The dimension model of ``model``'s region; adds the dimensions' inputs."""
    region = model.region
    d = DimensionModel()
    policies = _policy_list(region)
    if policies is not None:
        d.policies = policies
        seen: dict[bytes, int] = {}
        for p in policies.policies:
            d.kind_of.append(KINDS_OF_POLICY.index(p.kind))
            inputs[f"one_form.policies[{p.code}]"] = InputInfo(
                label=f"联办表政策「{p.name}」的预选条件",
                basis=prov.basis_of(p.source, p.illustrative),
                source=p.source,
            )
            if p.who is None or not (p.who.all or p.who.any):
                d.rule_of.append(-1)
                continue
            key = msgspec.json.encode(p.who)
            if key not in seen:
                seen[key] = len(d.criteria)
                d.criteria.append(p.who)
            d.rule_of.append(seen[key])
    ent = model.entitlement
    if ent.kind == "floor" and ent.unit == "minutes":
        d.floor = True
        d.minutes = np.array([pi.item.minutes_per_unit for pi in model.items], dtype=np.int64)
    # supervision: the region's light rule (traffic_light's supervision.toml)
    rule = _light_rule(region)
    if rule is not None:
        inputs["supervision.traffic_light"] = InputInfo(
            label="服务机构红绿灯阈值",
            basis=prov.basis_of(rule.source, rule.illustrative),
            source=rule.source,
        )
    inputs["supervision.ratings"] = InputInfo(
        label="服务评价分布（满意率均值取昌吉公布的92%，离散度为示例）", basis=prov.ILLUSTRATIVE
    )
    inputs["finding.rules"] = InputInfo(label="预警规则（由插件提供）", basis=prov.ILLUSTRATIVE)
    inputs["population.applied"] = InputInfo(
        label="自行申请的比例（人群设置）", basis=prov.ILLUSTRATIVE
    )
    return d


def _light_rule(region: Region) -> Any:
    try:
        from jiuzhu.plugins.traffic_light import Supervision
    except ImportError:  # pragma: no cover
        return None
    section = region.section("supervision", Supervision)
    return section.traffic_light if section is not None else None


def _runs(household: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Start of each household's run of rows."""
    if not len(household):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, household[1:] != household[:-1]])


def run_chunk(
    model: RegionModel,
    dm: DimensionModel,
    pop: Population,
    eligible: BoolArray,
    index: npt.NDArray[np.intp],
    units: npt.NDArray[np.int32],
    served: BoolArray,
    household: npt.NDArray[np.int64],
    t: Totals,
) -> None:
    """Add one chunk's dimension totals into ``t`` (``served`` over ``index``)."""
    n = len(pop)
    if dm.policies is not None:
        starts = _runs(household)
        h = len(starts)
        t.of_households += h
        if h:
            # every distinct pre-tick rule is a bit of one word per person (64 a word); a
            # household's rules are the bitwise or of its run — one reduceat per word
            held: list[npt.NDArray[np.int64]] = []
            for w in range(0, len(dm.criteria), 64):
                bits = np.zeros(n, dtype=np.int64)
                for c, crit in enumerate(dm.criteria[w : w + 64]):
                    bits |= crit.mask(pop).astype(np.int64) << c
                held.append(np.bitwise_or.reduceat(bits, starts))
            counts = np.zeros(h, dtype=np.int64)
            kind_any = np.zeros((len(KINDS_OF_POLICY), h), dtype=np.bool_)
            per_policy = np.zeros(len(dm.rule_of), dtype=np.int64)
            for c in range(len(dm.criteria)):
                hh_any = ((held[c // 64] >> (c % 64)) & 1).astype(np.bool_)
                for p, r in enumerate(dm.rule_of):
                    if r == c:
                        counts += hh_any
                        kind_any[dm.kind_of[p]] |= hh_any
                        per_policy[p] = np.count_nonzero(hh_any)
            member_served = np.zeros(n, dtype=np.int8)
            member_served[index[served]] = 1
            hh_served = np.maximum.reduceat(member_served, starts).astype(np.bool_)
            services = hh_served | kind_any[KINDS_OF_POLICY.index("service")]
            t.add(
                "of_histogram",
                np.bincount(np.minimum(counts, HISTOGRAM - 1), minlength=HISTOGRAM),
            )
            t.add("of_by_kind", np.count_nonzero(kind_any, axis=1))
            t.add("of_policy_households", per_policy)
            t.of_cash_and_services += int(np.count_nonzero(kind_any[0] & services))
    if dm.floor and len(index):
        delivered = dm.minutes @ units.astype(np.int64)  # (m,) minutes each person got
        owed = model.entitlement.annual
        t.floor_people += len(index)
        t.floor_delivered_minutes += int(delivered.sum())
        short = np.maximum(owed - delivered, 0)
        t.floor_short_minutes += int(short.sum())
        t.floor_short_people += int((short > 0).sum())
    found = model.regions.pm.hook.jiuzhu_found_by_warnings(
        region=model.region, people=pop, on=model.on
    )
    if found is not None:
        dm.finds = True
        if not dm.found_labels:
            dm.found_labels = list(found)
        flagged = np.zeros(n, dtype=np.bool_)
        per_rule = np.zeros(len(dm.found_labels), dtype=np.int64)
        for r, label in enumerate(dm.found_labels):
            mask = np.asarray(found.get(label, np.zeros(n, np.bool_)), dtype=np.bool_)
            per_rule[r] = int(mask.sum())
            flagged |= mask
        applied = pop.extra.get("applied")
        applied = np.ones(n, np.bool_) if applied is None else np.asarray(applied, np.bool_)
        t.add("found_rules", per_rule)
        t.found_any += int(flagged.sum())
        t.found_eligible += int((flagged & eligible).sum())
        t.eligible_not_applied += int((eligible & ~applied).sum())
        t.found_beyond += int((flagged & eligible & ~applied).sum())
        t.applied_known = t.applied_known or "applied" in pop.extra
        t.found_labels = tuple(dm.found_labels)


def _ints(a: Any, n: int) -> list[int]:
    return [0] * n if a is None else [int(x) for x in a]


def supervision(
    model: RegionModel, person_times: int, providers: int, seed: int
) -> SupervisionResult | None:
    """Providers' lights from a rating distribution, through the region's own
    ``jiuzhu_provider_light`` (None: no plugin rates this region's providers)."""
    s: RatingSettings = model.settings.ratings
    providers = max(providers, 1) if person_times else 0
    rng = np.random.Generator(
        np.random.PCG64(
            np.random.SeedSequence([s.seed, seed, zlib.crc32(model.region.id.encode())])
        )
    )
    rated = round(person_times * s.rated_share)
    per: npt.NDArray[np.int64] = (
        rng.multinomial(rated, np.full(providers, 1 / providers))
        if providers
        else np.zeros(0, np.int64)
    )
    a = s.satisfied_mean * s.spread
    quality = rng.beta(a, s.spread - a, size=providers)
    oa = s.overdue_mean * s.spread
    late = rng.beta(oa, s.spread - oa, size=providers)
    lights: dict[str, int] = {}
    blocked = 0
    for i in range(providers):
        ratings = int(per[i])
        satisfied = int(rng.binomial(ratings, quality[i]))
        done = round(ratings / s.rated_share)
        stats = ProviderStats(
            provider_id=i + 1,
            ratings=ratings,
            # a satisfied rating scores 4–5, an unsatisfied one 1–3 (illustrative)
            mean_score=round((4.5 * satisfied + 2.0 * (ratings - satisfied)) / ratings, 2)
            if ratings
            else 0.0,
            satisfied_share=satisfied / ratings if ratings else 0.0,
            orders_done=done,
            orders_overdue=int(rng.binomial(done, late[i])),
        )
        standing = model.regions.pm.hook.jiuzhu_provider_light(region=model.region, stats=stats)
        if standing is None:
            return None
        lights[standing.label] = lights.get(standing.label, 0) + 1
        blocked += bool(standing.blocks_dispatch)
    rule = _light_rule(model.region)
    return SupervisionResult(
        providers=providers,
        ratings=rated,
        lights=lights,
        blocked=blocked,
        rule_source=rule.source if rule is not None else "",
        illustrative=True,
    )


def summarise(
    model: RegionModel,
    dm: DimensionModel,
    t: Totals,
    person_times: int,
    providers: int,
    seed: int,
) -> Dimensions:
    one_form = None
    if dm.policies is not None:
        hist = _ints(t.of_histogram, HISTOGRAM)
        with_policy = t.of_households - hist[0]
        total = sum(k * c for k, c in enumerate(hist))
        per_policy = _ints(t.of_policy_households, len(dm.rule_of))
        by_kind = _ints(t.of_by_kind, len(KINDS_OF_POLICY))
        policies = dm.policies.policies
        top = sorted(
            (
                PolicyCount(code=p.code, name=p.name, kind=p.kind, households=per_policy[i])
                for i, p in enumerate(policies)
                if dm.rule_of[i] >= 0
            ),
            key=lambda x: -x.households,
        )
        one_form = OneFormResult(
            name=dm.policies.name,
            policies=len(policies),
            pre_ticked=sum(1 for r in dm.rule_of if r >= 0),
            households=t.of_households,
            households_with_policy=with_policy,
            policies_per_household=round(total / with_policy, 2) if with_policy else 0.0,
            histogram=hist,
            by_kind={KINDS_OF_POLICY[k]: by_kind[k] for k in range(len(KINDS_OF_POLICY))},
            cash_and_services=t.of_cash_and_services,
            policies_by_households=top,
        )
    time = None
    if dm.floor:
        owed = model.entitlement.annual * t.floor_people
        time = TimeResult(
            people=t.floor_people,
            owed_hours_per_person=round(model.entitlement.annual / 60, 1),
            owed_hours=round(owed / 60, 1),
            delivered_hours=round(t.floor_delivered_minutes / 60, 1),
            shortfall_hours=round(t.floor_short_minutes / 60, 1),
            people_short=t.floor_short_people,
        )
    finding = None
    labels = dm.found_labels or list(t.found_labels)  # partitions ran elsewhere (Dask)
    if dm.finds or t.found_labels:
        finding = FindingResult(
            rules={
                label: c for label, c in zip(labels, _ints(t.found_rules, len(labels)), strict=True)
            },
            found=t.found_any,
            found_eligible=t.found_eligible,
            eligible_not_applied=t.eligible_not_applied,
            found_beyond_applicants=t.found_beyond,
            applied_known=t.applied_known,
        )
    return Dimensions(
        one_form=one_form,
        supervision=supervision(model, person_times, providers, seed),
        time=time,
        finding=finding,
    )


def provenance_keys(dm: DimensionModel) -> dict[str, list[str]]:
    """The inputs each dimension's figures used, besides the plan's (see summary.py)."""
    policies = [
        f"one_form.policies[{p.code}]"
        for i, p in enumerate(dm.policies.policies if dm.policies is not None else [])
        if dm.rule_of[i] >= 0
    ]
    return {
        "one_form": policies,
        "supervision": ["supervision.ratings", "supervision.traffic_light", "staffing"],
        "finding": ["finding.rules", "population.applied"],
    }
