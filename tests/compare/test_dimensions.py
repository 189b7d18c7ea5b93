"""The other dimensions (issue 17 point 6): one-form coverage per household, providers'
lights from a rating distribution, time floors in hours, and finding people when a plugin
provides warnings — each figure with its provenance."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import numpy as np
import pytest

from jiuzhu.core import hookimpl
from jiuzhu.core.facts import Population
from jiuzhu.core.plugins import Regions, load_regions, make_plugin_manager
from jiuzhu.core.regions import Region
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.plugins.compare.dimensions import RatingSettings
from jiuzhu.plugins.compare.engine import PlanSettings, compare
from jiuzhu.plugins.compare.population import People, PopulationSettings, generate, households
from jiuzhu.plugins.compare.report import render_html, table_text
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.traffic_light import Supervision

from .helpers import ON


@pytest.fixture(scope="module")
def people() -> People:
    return generate(PopulationSettings(people=4000, seed=12))


def test_one_form_policies_per_household(regions: Regions, people: People) -> None:
    """Counted person by person, household by household, in plain Python: the same."""
    r = compare(regions, people, settings=PlanSettings(on=ON), region_ids=["shizuishan"])
    of = r.region("shizuishan").dimensions.one_form
    assert of is not None and of.policies == 43  # seed 004: 43项救助政策
    region = regions.get("shizuishan")
    form = region.section("policies", PolicyList)
    assert form is not None
    pop = people.population
    household, _head = households(pop)
    masks = {p.code: p.who.mask(pop) for p in form.policies if p.who and (p.who.all or p.who.any)}
    assert of.pre_ticked == len(masks)
    hist = [0] * 11
    per_policy = dict.fromkeys(masks, 0)
    cash = 0
    for h in np.unique(household):
        members = household == h
        held = [code for code, m in masks.items() if m[members].any()]
        hist[min(len(held), 10)] += 1
        for code in held:
            per_policy[code] += 1
        kinds = {p.kind for p in form.policies if p.code in held}
        if "cash" in kinds:
            cash += 1
    assert of.households == len(np.unique(household))
    assert of.histogram == hist
    assert {p.code: p.households for p in of.policies_by_households} == per_policy
    assert of.by_kind["cash"] == cash
    assert of.cash_and_services <= cash
    assert of.households_with_policy == of.households - hist[0]


def test_lights_follow_the_region_rule(regions: Regions, people: People) -> None:
    """Providers' lights come from the traffic light's thresholds: poor ratings turn them
    red, near-perfect ones green; every provider gets one light."""
    plan = PlanSettings(on=ON)
    r = compare(regions, people, settings=plan, region_ids=["binzhou"]).region("binzhou")
    sv = r.dimensions.supervision
    assert sv is not None and sum(sv.lights.values()) == sv.providers == r.staffing.teams
    poor = msgspec.structs.replace(plan, ratings=RatingSettings(satisfied_mean=0.4, spread=200))
    bad = compare(regions, people, settings=poor, region_ids=["binzhou"]).region("binzhou")
    assert bad.dimensions.supervision is not None
    assert bad.dimensions.supervision.lights == {"红灯": bad.staffing.teams}
    assert bad.dimensions.supervision.blocked == bad.staffing.teams  # red blocks dispatch
    fine = msgspec.structs.replace(
        plan, ratings=RatingSettings(satisfied_mean=0.995, spread=5000, overdue_mean=0.001)
    )
    good = compare(regions, people, settings=fine, region_ids=["binzhou"]).region("binzhou")
    assert good.dimensions.supervision is not None
    assert good.dimensions.supervision.lights == {"绿灯": good.staffing.teams}
    rule = regions.get("binzhou").section("supervision", Supervision)
    assert rule is not None and rule.traffic_light.red_below_satisfied_percent == 75
    assert "supervision.traffic_light" in bad.provenance["dimensions.supervision"].illustrative


def test_time_floor_in_hours(regions: Regions) -> None:
    """Qiaojia owes long-term recipients at least 60 hours a month (seed 003: 每月可享受
    不少于25天60小时的照护服务): owed beside delivered, and who is served short."""
    pilot = generate(PopulationSettings(people=2000, seed=3, area_code="530622001001"))
    r = compare(regions, pilot, settings=PlanSettings(on=ON), region_ids=["qiaojia"])
    q = r.region("qiaojia")
    tm = q.dimensions.time
    assert tm is not None and tm.owed_hours_per_person == 720.0  # 60 hours x 12 months
    assert tm.people == q.eligibility.eligible > 0
    assert tm.owed_hours == 720.0 * tm.people
    assert tm.delivered_hours == q.hours  # every hour the plans bought counts
    assert tm.shortfall_hours >= tm.owed_hours - tm.delivered_hours - 0.1
    assert 0 < tm.people_short <= tm.people
    assert q.dimensions.one_form is None  # Qiaojia has no joint form
    money = compare(regions, pilot, settings=PlanSettings(on=ON), region_ids=["ordos"])
    assert money.region("ordos").dimensions.time is None  # a money budget: no floor
    assert "时间保障" in table_text(r)


class Finder:
    """A monitoring plugin's answer: Binzhou's warning flags a major illness (seed 002:
    大额医疗支出触发家庭困难预警)."""

    @hookimpl
    def jiuzhu_found_by_warnings(
        self, region: Region, people: Population, on: date
    ) -> dict[str, Any] | None:
        if region.id != "binzhou":
            return None
        return {
            "大额医疗支出": np.asarray(people.major_illness, dtype=np.bool_),
            "独居高龄": np.asarray(people.living_alone & (people.age >= 80), dtype=np.bool_),
        }


def test_finding_people_only_where_a_plugin_provides_it(regions: Regions, people: People) -> None:
    plan = PlanSettings(on=ON)
    plain = compare(regions, people, settings=plan, region_ids=["binzhou", "ordos"])
    assert all(r.dimensions.finding is None for r in plain.regions)
    assert "政策找人" not in table_text(plain) and "政策找人 finding" not in render_html(plain)
    pm = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("finder", Finder())]
    )
    found = compare(load_regions(pm), people, settings=plan, region_ids=["binzhou", "ordos"])
    fd = found.region("binzhou").dimensions.finding
    assert found.region("ordos").dimensions.finding is None
    assert fd is not None
    pop = people.population
    major = pop.major_illness
    old_alone = pop.living_alone & (pop.age >= 80)
    assert fd.rules == {"大额医疗支出": int(major.sum()), "独居高龄": int(old_alone.sum())}
    flagged = major | old_alone
    eligible = regions.eligibility(regions.get("binzhou"), pop, ON).eligible
    applied = pop.extra["applied"]
    assert fd.found == int(flagged.sum())
    assert fd.found_eligible == int((flagged & eligible).sum())
    assert fd.eligible_not_applied == int((eligible & ~applied).sum())
    assert fd.found_beyond_applicants == int((flagged & eligible & ~applied).sum()) > 0
    assert fd.applied_known
    # applying is a household's act: all members or none
    household, _ = households(pop)
    for h in np.unique(household[:300]):
        assert len(set(applied[household == h].tolist())) == 1
    assert "政策找人" in table_text(found)
    prov = found.region("binzhou").provenance["dimensions.finding"]
    assert "finding.rules" in prov.illustrative


class Counting(Finder):
    calls = 0

    @hookimpl
    def jiuzhu_found_by_warnings(
        self, region: Region, people: Population, on: date
    ) -> dict[str, Any] | None:
        Counting.calls += 1
        return None


def test_dimensions_can_be_left_out(regions: Regions, people: People) -> None:
    """Left out, they cost nothing: not even the warning hook is asked (the benchmark's
    ratio is of the plans alone)."""
    pm = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("counting", Counting())]
    )
    compare(load_regions(pm), people, settings=PlanSettings(on=ON, dimensions=False))
    assert Counting.calls == 0
    compare(load_regions(pm), people, settings=PlanSettings(on=ON), region_ids=["ordos"])
    assert Counting.calls == 1
    r = compare(regions, people, settings=PlanSettings(on=ON, dimensions=False))
    assert all(x.dimensions == x.dimensions.__class__() for x in r.regions)
    full = compare(regions, people, settings=PlanSettings(on=ON))
    # the plans are the same either way
    for a, b in zip(r.regions, full.regions, strict=True):
        assert (a.entitlement.spent_fen, a.persons_served) == (
            b.entitlement.spent_fen,
            b.persons_served,
        )
    html = render_html(full)
    assert 'id="dimensions-table"' in html and "联办表覆盖" in html


def test_finding_people_survives_partitions_run_elsewhere(people: People) -> None:
    """On Dask the chunks run in workers' models; the client summarises with its own, which
    never saw the hook's answer: the labels travel in the totals."""
    from jiuzhu.plugins.compare.engine import RegionModel, Totals, run_chunk
    from jiuzhu.plugins.compare.summary import summarise

    pm = make_plugin_manager(
        entry_points=False, plugins=[*all_builtin_plugins(), ("finder", Finder())]
    )
    regions = load_regions(pm)
    region = regions.get("binzhou")
    worker = RegionModel.build(regions, region, PlanSettings(on=ON), ON)
    parts = []
    for pop, needs in people.chunks(1500):
        t = Totals()
        run_chunk(worker, pop, needs, t)
        parts.append(t)
    merged = parts[0]
    for t in parts[1:]:
        merged = merged.merge(t)
    client = RegionModel.build(regions, region, PlanSettings(on=ON), ON)
    fd = summarise(client, merged).dimensions.finding
    assert fd is not None and list(fd.rules) == ["大额医疗支出", "独居高龄"]
    assert fd.rules["大额医疗支出"] == int(people.population.major_illness.sum())
