"""The engine runs each region's own rules (the service loop's hooks) over columns."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.compare.engine import Plans, PlanSettings, RegionModel, compare, plan
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import (
    STATUSES,
    ByAge,
    ByHeadAge,
    NeedDist,
    PopulationSettings,
    WeightsByAge,
    generate,
)

from .helpers import ON, model_answer, needs_row


def test_same_seed_same_results(regions: Regions) -> None:
    s = PopulationSettings(people=3000, seed=11)
    a = compare(regions, generate(s), settings=PlanSettings(on=ON))
    b = compare(regions, generate(s), settings=PlanSettings(on=ON))
    assert model_answer(a) == model_answer(b)
    c = compare(
        regions, generate(PopulationSettings(people=3000, seed=12)), settings=PlanSettings(on=ON)
    )
    assert model_answer(a) != model_answer(c)


def test_chunking_does_not_change_results(regions: Regions) -> None:
    people = generate(PopulationSettings(people=2500, seed=4))
    whole = compare(regions, people, settings=PlanSettings(on=ON), chunk_size=10_000)
    parts = compare(regions, people, settings=PlanSettings(on=ON), chunk_size=333)
    assert model_answer(whole) == model_answer(parts)


def test_eligibility_counts_equal_the_hook(regions: Regions) -> None:
    people = generate(PopulationSettings(people=4000, seed=8))
    result = compare(regions, people, settings=PlanSettings(on=ON))
    for r in result.regions:
        region = regions.get(r.id)
        hook = regions.pm.hook.jiuzhu_eligibility(region=region, people=people.population, on=ON)
        assert r.eligibility.eligible == int(hook.eligible.sum())
        assert r.eligibility.people == len(people)
        for i, rule in enumerate(r.eligibility.includes):
            assert rule.id == hook.includes[i].id
            assert rule.people == int((hook.qualifies_by == i).sum())
        for j, rule in enumerate(r.eligibility.excludes):
            assert rule.id == hook.excludes[j].id
            assert rule.matched == int((hook.excluded_by == j).sum())
            assert rule.people == int(((hook.excluded_by == j) & (hook.qualifies_by >= 0)).sum())
        assert r.eligibility.not_qualified == int((hook.qualifies_by < 0).sum())
        assert r.eligibility.eligible + r.eligibility.excluded + r.eligibility.not_qualified == len(
            people
        )


def test_ordos_plan_follows_40_40_20(regions: Regions) -> None:
    """Seed 002's worked example (康玉梅): 慰问 + 清洁, then 按摩理疗, then 就业."""
    ordos = regions.get("ordos")
    model = RegionModel.build(regions, ordos, PlanSettings(), ON)
    pop = Population.of([PersonFacts(age=45, groups=frozenset({"低保"}), disability_grade=4)])
    needs = needs_row(慰问=1, 助洁=1, 康复=5, 就业链接=1)
    eligible = regions.eligibility(ordos, pop, ON).eligible
    assert eligible[0]
    plans = plan(model, pop, needs, eligible)
    assert plans.spent.tolist() == [[40000, 40000, 20000]]
    bought = {model.items[j].item.name: int(u) for j, u in enumerate(plans.units[:, 0]) if u}
    assert bought == {"节庆慰问": 1, "全屋清洁": 1, "按摩理疗": 5, "就业能力提升与资源链接": 1}
    assert plans.unmet.sum() == 0


def test_ordos_without_reviews_stays_in_stage_one(regions: Regions) -> None:
    ordos = regions.get("ordos")
    model = RegionModel.build(regions, ordos, PlanSettings(reviews=0), ON)
    pop = Population.of([PersonFacts(age=45, groups=frozenset({"低保"}), disability_grade=4)])
    plans = plan(model, pop, needs_row(慰问=1, 助洁=1, 康复=5, 就业链接=1), np.array([True]))
    assert plans.spent.tolist() == [[40000, 0, 0]]
    assert plans.unmet[KINDS.index("就业链接"), 0] == 1


def test_item_limits_and_who_are_respected(regions: Regions) -> None:
    people = generate(PopulationSettings(people=6000, seed=21))
    for region in regions:
        model = RegionModel.build(regions, region, PlanSettings(), ON)
        elig = regions.eligibility(region, people.population, ON)
        plans = plan(model, people.population, people.needs, elig.eligible)
        sub = people.population
        for j, pi in enumerate(model.items):
            units = plans.units[j]
            if pi.item.who.all or pi.item.who.any:
                allowed = pi.item.who.mask(sub)[plans.index]
                assert not units[~allowed].any(), (region.id, pi.item.code)
            if pi.item.max_per_year is not None:
                assert units.max(initial=0) <= pi.item.max_per_year
            if pi.item.max_per_month is not None:
                assert units.max(initial=0) <= 12 * pi.item.max_per_month
            if pi.item.max_fen_per_year is not None:
                assert (units.astype(np.int64) * pi.price).max(
                    initial=0
                ) <= pi.item.max_fen_per_year
        # never more than was needed: every unit bought met one unit of need
        need = people.needs[plans.index].T
        assert (plans.unmet >= 0).all() and (plans.unmet <= need).all()
        assert int((need - plans.unmet).sum()) == int(plans.route_units.sum())
        assert int(plans.units.sum()) == int(plans.route_units.sum())


def assert_within_budget(model: RegionModel, plans: Plans) -> None:
    """Per person and per tier, with carry-over as the scheme says (an oracle for tests).
    A floor (Qiaojia's time floor) limits nothing: only caps are checked."""
    if model.entitlement.kind != "cap" or model.entitlement.unit != "fen":
        assert (plans.spent >= 0).all()
        return
    tiers = model.budget.version.tiers
    caps = model.caps
    spent = plans.spent
    assert (spent >= 0).all()
    assert (spent.sum(axis=1) <= model.budget.version.annual_fen).all()
    budget = np.zeros(len(spent), dtype=np.int64)
    for t, tier in enumerate(tiers):
        carry = 0
        if t > 0 and tier.opens != "grant" and tiers[t - 1].leftover == "carry":
            carry = np.maximum(budget - spent[:, t - 1], 0)
        budget = caps[t] + carry
        assert (spent[:, t] <= budget).all(), (model.region.id, tier.name)
    # and the budget rule itself sees nothing overspent
    _live, available = model.budget.standing(spent, np.full(len(spent), plans.reviews))
    assert (available >= 0).all()


probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def population_settings(draw: st.DrawFn) -> PopulationSettings:
    weights = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
    statuses = {name: ByHeadAge(working=draw(weights), elderly=draw(weights)) for name in STATUSES}
    statuses["低保"] = ByHeadAge(working=0.1, elderly=0.1)  # every group can be drawn
    needs = draw(
        st.dictionaries(
            st.sampled_from(KINDS),
            st.builds(
                NeedDist,
                share=probability,
                mean_units=st.floats(min_value=1.0, max_value=80.0),
                max_units=st.integers(min_value=1, max_value=400),
            ),
            max_size=len(KINDS),
        )
    )
    grades = st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=5, max_size=5)
    return PopulationSettings(
        people=draw(st.integers(min_value=0, max_value=150)),
        seed=draw(st.integers(min_value=0, max_value=2**32)),
        statuses=statuses,
        needs=needs,
        disability=WeightsByAge(child=draw(grades), working=draw(grades), elderly=draw(grades)),
        major_illness=ByAge(child=draw(probability), working=draw(probability), elderly=0.5),
        temporary_relief=draw(probability),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    s=population_settings(),
    reviews=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    on=st.sampled_from([date(2024, 12, 1), ON, date(2026, 3, 1)]),
)
def test_budgets_are_never_overspent(
    regions: Regions, s: PopulationSettings, reviews: int | None, on: date
) -> None:
    people = generate(s)
    for region in regions:
        model = RegionModel.build(regions, region, PlanSettings(reviews=reviews), on)
        elig = regions.eligibility(region, people.population, on)
        plans = plan(model, people.population, people.needs, elig.eligible)
        assert_within_budget(model, plans)
        prices = np.array([pi.price for pi in model.items], dtype=np.int64)
        assert np.array_equal(prices @ plans.units.astype(np.int64), plans.spent.sum(axis=1))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), n=st.integers(min_value=0, max_value=400))
def test_funding_split_sums_equal_spend(regions: Regions, seed: int, n: int) -> None:
    result = compare(
        regions, generate(PopulationSettings(people=n, seed=seed)), settings=PlanSettings(on=ON)
    )
    for r in result.regions:
        spent = r.entitlement.spent_fen
        assert sum(s.spent_fen for s in r.funding) == spent
        assert sum(t.spent_fen for t in r.entitlement.tiers) == spent
        assert sum(c.spent_fen for c in r.categories) == spent
        assert sum(i.spent_fen for i in r.items) == spent
        assert all(s.spent_fen >= 0 for s in r.funding)


def test_funding_follows_the_rule(regions: Regions) -> None:
    """Each source's total equals the funding hook's split of every item's spend."""
    people = generate(PopulationSettings(people=2000, seed=6))
    result = compare(regions, people, settings=PlanSettings(on=ON))
    for r in result.regions:
        region = regions.get(r.id)
        model = RegionModel.build(regions, region, PlanSettings(), ON)
        elig = regions.eligibility(region, people.population, ON)
        plans = plan(model, people.population, people.needs, elig.eligible)
        rule = regions.pm.hook.jiuzhu_funding_rule(region=region, on=ON)
        expected = np.zeros(len(rule.sources), dtype=np.int64)
        for j, pi in enumerate(model.items):
            amounts = plans.units[j].astype(np.int64) * pi.price
            amounts = amounts[amounts > 0]
            if len(amounts):
                cats = np.full(len(amounts), pi.item.category)
                expected += rule.split(amounts, cats).sum(axis=0)
        assert [s.spent_fen for s in r.funding] == expected.tolist()


def test_staffing_follows_the_region_rule(regions: Regions) -> None:
    result = compare(
        regions,
        generate(PopulationSettings(people=3000, seed=2)),
        settings=PlanSettings(on=ON),
        region_ids=["changji"],
    )
    st_ = result.region("changji").staffing
    assert st_.min_team_size == 12
    assert st_.teams >= 1
    assert st_.staff >= 12 * st_.teams
    assert st_.intermediate_social_workers == st_.teams
    assert st_.junior_social_workers == 3 * st_.teams
    assert st_.workers * st_.hours_per_worker_per_year >= st_.hours


def test_empty_population(regions: Regions) -> None:
    result = compare(regions, generate(PopulationSettings(people=0)), settings=PlanSettings(on=ON))
    for r in result.regions:
        assert r.eligibility.eligible == 0 and r.entitlement.spent_fen == 0
        assert r.staffing.staff == 0


def test_unknown_region_is_refused(regions: Regions) -> None:
    from jiuzhu.core.base import Invalid

    with pytest.raises(Invalid, match="nowhere"):
        compare(regions, generate(PopulationSettings(people=10)), region_ids=["nowhere"])


def test_staff_set_by_recipients_is_said(regions: Regions) -> None:
    """Where max_recipients_per_team (illustrative) sets the teams, the staff figure follows
    the number served, not the hours: the result and the table say so (issue 17 point 4)."""
    from jiuzhu.plugins.compare.report import table_text

    result = compare(
        regions,
        generate(PopulationSettings(people=20000, seed=2)),
        settings=PlanSettings(on=ON),
        region_ids=["binzhou", "changji"],
    )
    bz = result.region("binzhou").staffing
    assert bz.teams_by == "recipients" and bz.max_recipients_per_team
    assert bz.teams == -(-result.region("binzhou").persons_served // bz.max_recipients_per_team)
    assert bz.staff > bz.workers
    assert result.region("changji").staffing.teams_by in ("hours", "team size")
    assert "（按服务人数）" in table_text(result)
