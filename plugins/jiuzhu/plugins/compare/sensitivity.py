"""What drives the differences: a sensitivity table and a structure/parameter split.

Sensitivity (``--sensitivity``): every illustrative numeric parameter of every compared
region — the annual amount, each unit price, each cap, each item's minutes, the staffing
hours — and, for a synthetic population, each kind of need's share and mean units, is moved
by -20 % and +20 %, one at a time, and the headline figures are compared with the unchanged
run. Rows are sorted by how far the largest headline moved.

Decomposition (``--decompose``): the comparison is run as is, with every region given the
same annual amount, with the same prices, and with both. What still differs when both are
the same is a difference of *model structure* (who is eligible, the stages, what the
catalogue offers, caps); the rest is a difference of *parameters*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from jiuzhu.core.catalogue import Item
from jiuzhu.core.dated import in_force
from jiuzhu.core.plugins import Regions

from . import provenance as prov
from .engine import PlanSettings, compare
from .entitlement import budget_scheme
from .kinds import KINDS, need_map
from .population import People, generate
from .results import Comparison, Decomposition, RegionResult, Scenario, SensitivityRow

STEP = 0.20
RANKED = ("eligible", "served", "spent_fen", "needs_met_share", "hours")
HEADLINES: dict[str, Callable[[RegionResult], float]] = {
    "eligible": lambda r: r.eligibility.eligible,
    "served": lambda r: r.persons_served,
    "spent_fen": lambda r: r.entitlement.spent_fen,
    "needs_met_share": lambda r: r.needs_met_share,
    "hours": lambda r: r.hours,
    "staff": lambda r: r.staffing.staff,
}


def _headlines(r: RegionResult) -> dict[str, float]:
    return {k: float(f(r)) for k, f in HEADLINES.items()}


def _change(new: float, old: float) -> float:
    if old == 0:
        return 0.0 if new == 0 else 1.0
    return round((new - old) / abs(old), 4)


def parameters(regions: Regions, region_id: str, on: object) -> list[tuple[str, str, float]]:
    """(path under the region, label, value) of every illustrative numeric parameter."""
    region = regions.get(region_id)
    out: list[tuple[str, str, float]] = []
    scheme = budget_scheme(region)
    version = in_force(scheme.versions, on) if scheme else None  # type: ignore[arg-type]
    if (
        version is not None
        and version.annual_fen is not None
        and prov.basis_of(version.source, version.illustrative) != prov.SOURCED
    ):
        out.append(("budget.annual_fen", "每人每年额度", version.annual_fen))
    needs = need_map(region)
    mapped = {c for e in (needs.kinds if needs else []) for c in e.items}
    for item in region.catalogue.items:
        if item.code not in mapped:
            continue
        out += _item_parameters(item)
    staffing = region.sections.get("staffing")
    if staffing is not None and getattr(staffing, "illustrative", False):
        out.append(
            (
                "staffing.hours_per_worker_per_year",
                "每名全职人员每年服务小时",
                staffing.hours_per_worker_per_year,
            )
        )
    return out


def _item_parameters(item: Item) -> list[tuple[str, str, float]]:
    base = f"catalogue.items.{item.code}"
    out: list[tuple[str, str, float]] = []
    illustrative = item.illustrative or item.price_illustrative or not item.source
    if illustrative and item.unit_price_fen and not item.price_changes:
        out.append((f"{base}.unit_price_fen", f"{item.name} 单价", item.unit_price_fen))
    for cap in ("max_per_month", "max_per_year", "max_fen_per_year"):
        value = getattr(item, cap)
        if value is not None:
            out.append((f"{base}.{cap}", f"{item.name} {cap}", value))
    out.append((f"{base}.minutes_per_unit", f"{item.name} 每单位分钟", item.minutes_per_unit))
    return out


def _moved(value: float, factor: float, path: str) -> int:
    moved = round(value * factor)
    if path.endswith(("max_per_month", "max_per_year", "max_fen_per_year")):
        moved = max(moved, 1)  # caps are positive
    return int(moved)


def sensitivity(
    regions: Regions,
    people: People,
    region_ids: Sequence[str],
    settings: PlanSettings,
    progress: Callable[[int, int], None] | None = None,
) -> list[SensitivityRow]:
    """Each illustrative parameter -20 % and +20 %, one at a time (see the module doc)."""
    rows: list[SensitivityRow] = []
    plan = [(rid, p) for rid in region_ids for p in parameters(regions, rid, settings.on)]
    base = {
        rid: compare(regions, people, region_ids=[rid], settings=for_region(settings, rid)).region(
            rid
        )
        for rid in region_ids
    }
    for done, (rid, (path, label, value)) in enumerate(plan, start=1):
        moved: dict[str, dict[str, float]] = {}
        values = {}
        for side, factor in (("low", 1 - STEP), ("high", 1 + STEP)):
            new = _moved(value, factor, path)
            values[side] = float(new)
            spec = f"{rid}.{path}={new}"
            own = for_region(settings, rid)
            s = msgspec.structs.replace(own, overrides=[*own.overrides, spec])
            r = compare(regions, people, region_ids=[rid], settings=s).region(rid)
            before, after = _headlines(base[rid]), _headlines(r)
            moved[side] = {k: _change(after[k], before[k]) for k in HEADLINES}
        rows.append(_row(rid, path, label, value, values, moved))
        if progress is not None:
            progress(done, len(plan) + len(population_parameters(people)))
    rows += population_sensitivity(regions, people, region_ids, settings, base, progress, len(plan))
    rows.sort(key=lambda r: (-r.largest, r.region, r.parameter))
    return rows


def for_region(settings: PlanSettings, rid: str) -> PlanSettings:
    """The settings for a run over one region: the user's --set for that region (or for
    every region, `*`), without those naming the others."""
    own = [o for o in settings.overrides if o.split(".", 1)[0].strip() in (rid, "*")]
    return msgspec.structs.replace(settings, overrides=own)


def _row(
    rid: str,
    path: str,
    label: str,
    value: float,
    values: dict[str, float],
    moved: dict[str, dict[str, float]],
) -> SensitivityRow:
    # staff moves in whole teams (jumpy on small populations): reported, not ranked on
    largest, largest_headline = max(
        (abs(x), k) for side in moved.values() for k, x in side.items() if k in RANKED
    )
    return SensitivityRow(
        region=rid,
        parameter=path,
        label=label,
        base=float(value),
        low=values["low"],
        high=values["high"],
        headlines_low=moved["low"],
        headlines_high=moved["high"],
        largest=largest,
        largest_headline=largest_headline,
    )


def population_parameters(people: People) -> list[tuple[str, str, str, float]]:
    """(kind, field, label, value) of the synthetic population's illustrative need
    distributions: each kind's share and mean units a year. A roster has none."""
    ps = people.info.settings
    if ps is None or "needs" in ps.sources:
        return []
    out = []
    for kind in KINDS:
        dist = ps.needs.get(kind)
        if dist is None or dist.share == 0:
            continue
        out.append((kind, "share", f"人群：需求「{kind}」的发生率", dist.share))
        out.append((kind, "mean_units", f"人群：需求「{kind}」的年均次数", dist.mean_units))
    return out


def population_sensitivity(
    regions: Regions,
    people: People,
    region_ids: Sequence[str],
    settings: PlanSettings,
    base: dict[str, RegionResult],
    progress: Callable[[int, int], None] | None,
    done: int,
) -> list[SensitivityRow]:
    """Each need distribution's share and mean -20 %/+20 %: the population is drawn again
    with the same seed and run through every region at once."""
    ps = people.info.settings
    params = population_parameters(people)
    if ps is None:
        return []
    rows = []
    total = done + len(params)
    for kind, field, label, value in params:
        moved: dict[str, dict[str, dict[str, float]]] = {rid: {} for rid in region_ids}
        values: dict[str, float] = {}
        for side, factor in (("low", 1 - STEP), ("high", 1 + STEP)):
            new = value * factor
            new = min(new, 1.0) if field == "share" else max(new, 1.0)
            values[side] = round(new, 4)
            dist = msgspec.structs.replace(ps.needs[kind], **{field: new})
            changed = msgspec.structs.replace(ps, needs={**ps.needs, kind: dist})
            result = compare(regions, generate(changed), region_ids=region_ids, settings=settings)
            for rid in region_ids:
                before, after = _headlines(base[rid]), _headlines(result.region(rid))
                moved[rid][side] = {k: _change(after[k], before[k]) for k in HEADLINES}
        path = f"population.needs.{kind}.{field}"
        rows += [_row(rid, path, label, value, values, moved[rid]) for rid in region_ids]
        done += 1
        if progress is not None:
            progress(done, total)
    return rows


SCENARIOS = [
    ("as is", []),
    ("same budget", ["budget"]),
    ("same prices", ["prices"]),
    ("same budget and prices", ["budget", "prices"]),
]


def decompose(
    regions: Regions,
    people: People,
    region_ids: Sequence[str],
    settings: PlanSettings,
    as_is: Comparison | None = None,
) -> Decomposition:
    """The comparison as is and with budget, prices or both normalised (module doc)."""
    scenarios = []
    for name, normalise in SCENARIOS:
        if not normalise and as_is is not None and not settings.normalise:
            result = as_is
        else:
            s = msgspec.structs.replace(settings, normalise=normalise)
            result = compare(regions, people, region_ids=region_ids, settings=s)
        values = {h: {r.id: round(f(r), 4) for r in result.regions} for h, f in HEADLINES.items()}
        spread = {
            h: round(max(v.values()) - min(v.values()), 4) if v else 0.0 for h, v in values.items()
        }
        scenarios.append(Scenario(name=name, normalise=normalise, values=values, spread=spread))
    first, last = scenarios[0], scenarios[-1]
    structural = {
        h: round(last.spread[h] / first.spread[h], 4) if first.spread[h] else 0.0 for h in HEADLINES
    }
    return Decomposition(scenarios=scenarios, structural_share=structural)
