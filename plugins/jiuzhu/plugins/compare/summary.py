"""Summing up a comparison: each region's totals into its results, with the provenance of
every figure computed from the inputs it used (see provenance.py)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import msgspec

from jiuzhu.core import __version__
from jiuzhu.core.facts import Population
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import IntArray

from . import dimensions as dims
from . import provenance as prov
from .calibration import calibrate
from .config import Staffing
from .engine import PlanSettings, RegionModel, Totals
from .entitlement import funding_scheme
from .kinds import KINDS
from .population import People
from .results import (
    CategoryResult,
    Comparison,
    Dimensions,
    EligibilityResult,
    EntitlementResult,
    FigureProvenance,
    ItemResult,
    NeedResult,
    PlanSettingsInfo,
    RegionResult,
    RuleCount,
    SourceResult,
    StaffingResult,
    TierResult,
)
from .versions import plugin_version


def comparison_of(
    models: Sequence[RegionModel],
    totals: Sequence[Totals],
    people: People,
    s: PlanSettings,
    on: date,
    normalised: dict[str, str],
    seconds: float,
    engine: str = "local",
) -> Comparison:
    results = [summarise(m, t) for m, t in zip(models, totals, strict=True)]
    return Comparison(
        jiuzhu_version=__version__,
        population=people.info,
        plan=PlanSettingsInfo(
            on=on,
            reviews=s.reviews,
            kind_order=list(s.kind_order),
            overrides=list(s.overrides),
            normalise=list(s.normalise),
            normalised=normalised,
            ratings=msgspec.to_builtins(s.ratings),
        ),
        kinds=list(KINDS),
        regions=results,
        seconds=round(seconds, 3),
        engine=engine,
        calibration=[
            c for m, r in zip(models, results, strict=True) for c in calibrate(m.region, r)
        ],
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ints(a: IntArray | None, n: int) -> list[int]:
    return [0] * n if a is None else [int(x) for x in a]


def staffing(region: Region, hours_minutes: int, served: int) -> StaffingResult:
    """The provider staff a plan requires under the region's staffing rules."""
    rule = region.section("staffing", Staffing)
    defaulted = rule is None
    if rule is None:
        rule = Staffing(illustrative=True)
    hours = hours_minutes / 60
    workers = math.ceil(hours_minutes / (60 * rule.hours_per_worker_per_year))
    teams = math.ceil(workers / rule.min_team_size) if workers else 0
    teams_by = "hours"
    if rule.max_recipients_per_team and served:
        by_served = math.ceil(served / rule.max_recipients_per_team)
        if by_served > teams:
            teams, teams_by = by_served, "recipients"
    staff = max(workers, teams * rule.min_team_size)
    if staff > workers:
        teams_by = teams_by if teams_by == "recipients" else "team size"
    return StaffingResult(
        hours=round(hours, 1),
        hours_per_worker_per_year=rule.hours_per_worker_per_year,
        workers=workers,
        teams=teams,
        staff=staff,
        teams_by=teams_by,
        intermediate_social_workers=teams * rule.min_intermediate_social_workers,
        junior_social_workers=teams * rule.min_junior_social_workers,
        min_team_size=rule.min_team_size,
        max_recipients_per_team=rule.max_recipients_per_team,
        source=rule.source,
        illustrative=rule.illustrative,
        defaulted=defaulted,
    )


def summarise(model: RegionModel, t: Totals) -> RegionResult:
    region = model.region
    regions = model.regions
    elig = regions.eligibility(region, Population.of([]), model.on)  # labels of the rules
    ni = len(model.items)
    item_units = _ints(t.item_units, ni)
    item_fen = [u * pi.price for u, pi in zip(item_units, model.items, strict=True)]
    item_persons = _ints(t.item_persons, ni)
    minutes = [u * pi.item.minutes_per_unit for u, pi in zip(item_units, model.items, strict=True)]
    # 人次: one definition with the service loop's statistics (catalogue.Item.visits)
    visits = [pi.item.visits(u) for u, pi in zip(item_units, model.items, strict=True)]
    cats = region.catalogue.categories
    cat_persons = _ints(t.cat_persons, len(cats))
    categories = []
    for c, cat in enumerate(cats):
        js = [j for j, pi in enumerate(model.items) if pi.category == c]
        categories.append(
            CategoryResult(
                code=cat.code,
                name=cat.name,
                spent_fen=sum(item_fen[j] for j in js),
                persons=cat_persons[c],
                person_times=sum(visits[j] for j in js),
                hours=round(sum(minutes[j] for j in js) / 60, 1),
            )
        )
    route_units = _ints(t.route_units, len(model.routes))
    met = [0] * len(KINDS)
    for r, route in enumerate(model.routes):
        met[route.kind] += route_units[r]
    need_all = _ints(t.need_all, len(KINDS))
    need_el = _ints(t.need_eligible, len(KINDS))
    need_people = _ints(t.need_people, len(KINDS))
    fully = _ints(t.need_fully_met, len(KINDS))
    needs = [
        NeedResult(
            kind=kind,
            items=[model.items[j].item.code for r in model.by_kind[k] for j in r.items],
            offered=k not in model.not_offered,
            reason=model.not_offered[k][0] if k in model.not_offered else "",
            need_units=need_all[k],
            eligible_need_units=need_el[k],
            met_units=met[k],
            unmet_units=need_el[k] - met[k],
            met_share=_share(met[k], need_el[k]),
            people_in_need=need_people[k],
            people_fully_met=fully[k],
        )
        for k, kind in enumerate(KINDS)
    ]
    tier_spent = _ints(t.tier_spent, len(model.caps))
    spent = sum(tier_spent)
    version = model.budget.version
    ent = model.entitlement
    tiers = [
        TierResult(
            name=tier.name,
            share_percent=tier.share_percent,
            cap_fen=int(model.caps[i]),
            spent_fen=tier_spent[i],
            categories=list(tier.categories),
            opens=tier.opens,
        )
        for i, tier in enumerate(version.tiers)
    ]
    by_source = _ints(t.by_source, len(model.funding.sources))
    names = {s.code: s for s in funding_scheme(region).sources}
    funding = [
        SourceResult(
            code=code,
            name=names[code].name if code in names else code,
            level=names[code].level if code in names else "",
            spent_fen=by_source[i],
            share=_share(by_source[i], spent),
        )
        for i, code in enumerate(model.funding.sources)
    ]
    items = [
        ItemResult(
            code=pi.item.code,
            name=pi.item.name,
            category=pi.item.category,
            kind="、".join(dict.fromkeys(KINDS[r.kind] for r in model.routes if j in r.items)),
            unit=pi.item.unit,
            unit_price_fen=pi.price,
            units=item_units[j],
            spent_fen=item_fen[j],
            persons=item_persons[j],
            hours=round(minutes[j] / 60, 1),
        )
        for j, pi in enumerate(model.items)
    ]
    total_need = sum(need_el)
    rule_version = t.rule_version or elig.rule_version
    includes = _ints(t.includes, len(elig.includes))
    excludes = _ints(t.excludes, len(elig.excludes))
    staff = staffing(region, sum(minutes), t.served)
    provenance = figure_provenance(model, t, item_units, route_units, includes, excludes)
    dimensions = (
        dims.summarise(model, model.dims, t, sum(visits), staff.teams, 0)
        if model.settings.dimensions
        else Dimensions()
    )
    source = regions.sources.get(region.id)
    return RegionResult(
        id=region.id,
        name=region.info.name,
        name_en=region.info.name_en,
        plugin=source.plugin if source else "",
        plugin_version=plugin_version(regions, region.id),
        data_version=region.info.version,
        rule_versions={
            "eligibility": rule_version,
            "budget": ent.label or f"budget@{version.valid_from.isoformat()}",
            "funding": f"funding@{model.funding.rule_version.isoformat()}",
        },
        eligibility=EligibilityResult(
            rule_version=rule_version,
            people=t.people,
            eligible=t.eligible,
            not_qualified=t.not_qualified,
            excluded=t.excluded,
            includes=[
                RuleCount(id=r.id, label=r.label, people=c)
                for r, c in zip(elig.includes, includes, strict=True)
            ],
            excludes=[
                RuleCount(id=r.id, label=r.label, people=c, matched=mt)
                for r, c, mt in zip(
                    elig.excludes,
                    excludes,
                    _ints(t.excludes_matched, len(elig.excludes)),
                    strict=True,
                )
            ],
        ),
        entitlement=EntitlementResult(
            scheme=ent.name,
            valid_from=version.valid_from,
            annual_fen=version.annual_fen,
            total_fen=version.annual_fen * t.eligible,
            spent_fen=spent,
            used_share=_share(spent, version.annual_fen * t.eligible),
            spent_per_eligible_fen=spent // t.eligible if t.eligible else 0,
            spent_per_served_fen=spent // t.served if t.served else 0,
            full_use=t.full_use,
            tiers=tiers,
            illustrative=model.inputs["budget.annual_fen"].basis != prov.SOURCED,
            unit=ent.unit,
            kind=ent.kind,
            period=ent.period,
            annual=ent.annual,
            used=spent if ent.kind == "cap" and ent.unit == "fen" else 0,
            level=ent.level,
            annual_text=ent.annual_text,
        ),
        funding=funding,
        needs=needs,
        categories=categories,
        items=items,
        staffing=staff,
        persons_served=t.served,
        households_eligible=t.eligible_households,
        households_served=t.served_households,
        dimensions=dimensions,
        person_times=sum(visits),
        hours=round(sum(minutes) / 60, 1),
        needs_met_share=_share(sum(met), total_need),
        notes=list(model.notes),
        inputs=dict(model.inputs),
        provenance=provenance,
    )


def figure_provenance(
    model: RegionModel,
    t: Totals,
    item_units: list[int],
    route_units: list[int],
    includes: list[int],
    excludes: list[int],
) -> dict[str, FigureProvenance]:
    """Each figure's provenance from the inputs it used (see provenance.py)."""
    inputs = model.inputs
    elig = model.regions.eligibility(model.region, Population.of([]), model.on)
    fired_inc = [
        f"eligibility.include.{r.id}" for r, c in zip(elig.includes, includes, strict=True) if c
    ]
    fired_exc = [
        f"eligibility.exclude.{r.id}" for r, c in zip(elig.excludes, excludes, strict=True) if c
    ]
    who = fired_inc + fired_exc
    if not fired_inc:  # nobody qualified: every include rule decided that
        who += [f"eligibility.include.{r.id}" for r in elig.includes]
    budget = ["budget.annual_fen", *(f"budget.tiers[{i}]" for i in range(len(model.caps)))]
    bought = [j for j, u in enumerate(item_units) if u]
    item_keys = []
    for j in bought:
        code = model.items[j].item.code
        item_keys += [k for k in (f"price[{code}]", f"caps[{code}]", f"who[{code}]") if k in inputs]
    used_routes = [r.key for r, u in zip(model.routes, route_units, strict=True) if u]
    plan_keys = [*who, *budget, *item_keys, *used_routes, "plan.kind_order"]
    minutes = [f"minutes[{model.items[j].item.code}]" for j in bought]

    def f(*keys: Iterable[str]) -> FigureProvenance:
        return prov.figure([k for ks in keys for k in ks], inputs)

    out: dict[str, FigureProvenance] = {
        "eligibility.eligible": f(who),
        "entitlement.annual_fen": f(["budget.annual_fen"]),
        "entitlement.total_fen": f(who, ["budget.annual_fen"]),
    }
    out["households_eligible"] = f(who)
    for name in (
        "households_served",
        "entitlement.spent_fen",
        "entitlement.used_share",
        "entitlement.spent_per_eligible_fen",
        "entitlement.spent_per_served_fen",
        "entitlement.full_use",
        "persons_served",
        "person_times",
        "needs_met_share",
    ):
        out[name] = f(plan_keys)
    for i in range(len(model.caps)):
        out[f"entitlement.tiers[{i}].cap_fen"] = f(["budget.annual_fen"])
        out[f"entitlement.tiers[{i}].spent_fen"] = f(plan_keys)
    for code in model.funding.sources:
        out[f"funding[{code}].spent_fen"] = f(plan_keys, ["funding.shares"])
    out["hours"] = f(plan_keys, minutes)
    out["staffing.staff"] = f(plan_keys, minutes, ["staffing"])
    for k, kind in enumerate(KINDS):
        if k in model.not_offered:
            out[f"needs[{kind}].met_share"] = f([f"needs[{model.not_offered[k][1]}]"])
        else:
            own = [r.key for r in model.by_kind[k]]
            out[f"needs[{kind}].met_share"] = f(plan_keys, own)
    for pi in model.items:
        out[f"items[{pi.item.code}].units"] = f(plan_keys, [f"price[{pi.item.code}]"])
    for cat in model.region.catalogue.categories:
        out[f"categories[{cat.code}].spent_fen"] = f(plan_keys)
    extra = {k: [x for x in v if x in inputs] for k, v in dims.provenance_keys(model.dims).items()}
    out["dimensions.one_form"] = f(extra["one_form"])
    out["dimensions.one_form.cash_and_services"] = f(extra["one_form"], plan_keys)
    out["dimensions.supervision"] = f(plan_keys, minutes, extra["supervision"])
    out["dimensions.time"] = f(plan_keys, minutes, ["budget.annual_fen"])
    out["dimensions.finding"] = f(who, extra["finding"])
    return out
