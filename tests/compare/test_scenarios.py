"""Scenarios (--normalise, --set), the sensitivity table, the structure/parameter split and
the calibration against published figures (issue 17 points 4 and 5)."""

from __future__ import annotations

import json

import click
import msgspec
import numpy as np
import pytest
from click.testing import CliRunner

from jiuzhu.core import cli as core_cli
from jiuzhu.core.base import Invalid
from jiuzhu.core.plugins import Regions, make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.plugins.compare.engine import PlanSettings, compare
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import People, PopulationSettings, generate
from jiuzhu.plugins.compare.report import render_html, table_text
from jiuzhu.plugins.compare.scenario import first_kinds
from jiuzhu.plugins.compare.sensitivity import decompose, parameters, sensitivity

from .helpers import ON


@pytest.fixture(scope="module")
def people() -> People:
    return generate(PopulationSettings(people=1500, seed=8))


def test_normalise_budget_gives_every_region_the_sourced_amount(
    regions: Regions, people: People
) -> None:
    r = compare(regions, people, settings=PlanSettings(on=ON, normalise=["budget"]))
    money = [x for x in r.regions if x.entitlement.kind == "cap"]
    assert {x.entitlement.annual_fen for x in money} == {100000}  # Ordos's 1,000 yuan
    assert r.plan.normalised == {"budget": "100000 fen"}
    for x in money:
        assert x.provenance["entitlement.annual_fen"].basis == "scenario"
    # a time floor (Qiaojia) has no yearly amount: it is left as it is
    assert [x.id for x in r.regions if x.entitlement.kind == "floor"] == ["qiaojia"]


def test_normalise_prices_gives_one_price_per_kind(regions: Regions, people: People) -> None:
    r = compare(regions, people, settings=PlanSettings(on=ON, normalise=["prices"]))
    by_kind: dict[str, set[int]] = {}
    for x in r.regions:
        kinds = first_kinds(regions.get(x.id))
        for item in x.items:
            if item.code in kinds and item.unit_price_fen:
                by_kind.setdefault(kinds[item.code], set()).add(item.unit_price_fen)
    assert by_kind and all(len(prices) == 1 for prices in by_kind.values())
    assert "助餐" in r.plan.normalised["prices"]


def test_set_changes_one_value(regions: Regions, people: People) -> None:
    s = PlanSettings(
        on=ON,
        overrides=[
            "changji.catalogue.items.zhucan.unit_price_fen=2500",
            "*.staffing.hours_per_worker_per_year=1800",
        ],
    )
    r = compare(regions, people, settings=s)
    zhucan = next(i for i in r.region("changji").items if i.code == "zhucan")
    assert zhucan.unit_price_fen == 2500
    assert {x.staffing.hours_per_worker_per_year for x in r.regions} == {1800}
    p = r.region("changji").provenance["items[zhucan].units"]
    assert "price[zhucan]" in p.scenario
    assert r.plan.overrides == s.overrides


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ordos.budget.annual_fen", "give REGION.PATH=VALUE"),
        ("nowhere.budget.annual_fen=1", "unknown region 'nowhere'"),
        ("ordos.budget.annual_fen=-5", "annual_fen must be positive"),
        ("ordos.catalogue.items.no_such.unit_price_fen=1", "no such element"),
        ("ordos.bugdet.annual_fen=1", "not a data file of ordos"),
        ("ordos.budget.anual_fen=1", "anual_fen"),
    ],
)
def test_bad_set_is_named(regions: Regions, people: People, spec: str, message: str) -> None:
    with pytest.raises(Invalid) as err:
        compare(regions, people, settings=PlanSettings(on=ON, overrides=[spec]))
    assert message in str(err.value) and "--set" in str(err.value)


def test_sensitivity_moves_illustrative_parameters_only(regions: Regions) -> None:
    small = generate(PopulationSettings(people=600, seed=5))
    params = {p for p, _l, _v in parameters(regions, "ordos", ON)}
    assert "budget.annual_fen" not in params  # Ordos's amount is sourced
    assert "catalogue.items.festival_visit.unit_price_fen" not in params  # 300 yuan: sourced
    assert "catalogue.items.meal_assist.unit_price_fen" in params
    rows = sensitivity(regions, small, ["changji"], PlanSettings(on=ON))
    budget = next(r for r in rows if r.parameter == "budget.annual_fen")
    assert (budget.low, budget.high) == (160000.0, 240000.0)
    assert budget.headlines_low["spent_fen"] <= 0 <= budget.headlines_high["spent_fen"]
    assert rows == sorted(rows, key=lambda r: -r.largest)
    minutes = next(r for r in rows if r.parameter.endswith("zhucan.minutes_per_unit"))
    assert minutes.headlines_high["spent_fen"] == 0 and minutes.headlines_high["hours"] > 0
    # the synthetic population's need distributions are illustrative parameters too
    meals = next(r for r in rows if r.parameter == "population.needs.助餐.share")
    assert meals.region == "changji" and meals.high == round(meals.base * 1.2, 4)
    assert meals.headlines_high["eligible"] == 0  # needs do not change who is eligible


def test_one_kind_of_need_is_drawn_from_its_own_stream() -> None:
    """Changing one kind's distribution changes that kind's column only (one at a time)."""
    base = PopulationSettings(people=3000, seed=2)
    dist = msgspec.structs.replace(base.needs["助餐"], share=0.3)
    changed = msgspec.structs.replace(base, needs={**base.needs, "助餐": dist})
    a, b = generate(base).needs, generate(changed).needs
    k = KINDS.index("助餐")
    assert not np.array_equal(a[:, k], b[:, k])
    assert np.array_equal(np.delete(a, k, axis=1), np.delete(b, k, axis=1))


def test_decomposition_separates_structure_from_parameters(
    regions: Regions, people: People
) -> None:
    d = decompose(regions, people, sorted(regions.by_id), PlanSettings(on=ON))
    names = [s.name for s in d.scenarios]
    assert names == ["as is", "same budget", "same prices", "same budget and prices"]
    as_is, both = d.scenarios[0], d.scenarios[-1]
    # eligibility is structure: normalising money does not move it
    assert as_is.values["eligible"] == both.values["eligible"]
    assert d.structural_share["eligible"] == 1.0
    spread = as_is.spread["spent_fen"]
    assert d.structural_share["spent_fen"] == round(both.spread["spent_fen"] / spread, 4)


def test_changji_calibration_beside_the_published_figures(regions: Regions, people: People) -> None:
    r = compare(regions, people, settings=PlanSettings(on=ON), region_ids=["changji"])
    (cal,) = r.calibration
    assert cal.target == "昌吉市汇同社会工作服务中心"
    assert "上门做饭855人2363人次" in cal.source
    rows = {row.item: row for row in cal.rows}
    assert (rows["zhucan"].published_persons, rows["zhucan"].published_times) == (855, 2363)
    assert (rows["kangfu_huli"].published_persons, rows["kangfu_huli"].published_times) == (
        853,
        1989,
    )
    assert (rows["zhuyi"].published_persons, rows["zhuyi"].published_times) == (448, 709)
    assert (rows["zhujie"].published_persons, rows["zhujie"].published_times) == (998, 2354)
    items = {i.code: i for i in r.region("changji").items}
    for code, row in rows.items():
        assert (row.model_persons, row.model_times) == (items[code].persons, items[code].units)
    assert abs(sum(row.published_mix for row in cal.rows) - 1) < 0.001
    assert any("助医" in n for n in cal.notes)  # priced by the hour: intensity not comparable
    assert "校准 calibration" in table_text(r) and 'id="calibration"' in render_html(r)


def test_qiaojia_calibration_beside_the_published_totals(regions: Regions) -> None:
    """seed 003: 截至目前,巧家县累计支出服务类社会救助资金91.07万元,为198户236名长期服务对象
    提供服务16210人次45275.75小时."""
    pilot = generate(PopulationSettings(people=2000, seed=4, area_code="530622001001"))
    r = compare(regions, pilot, settings=PlanSettings(on=ON), region_ids=["qiaojia"])
    (cal,) = r.calibration
    assert "为198户236名长期服务对象提供服务16210人次45275.75小时" in cal.source
    m = {x.key: x for x in cal.totals}
    published = {k: v.published for k, v in m.items()}
    assert published["persons"] == 236 and published["households"] == 198
    assert published["times"] == 16210 and published["hours"] == 45275.75
    assert published["yuan"] == 910700
    assert published["hours/person"] == round(45275.75 / 236, 2)  # 191.85
    assert published["persons/household"] == round(236 / 198, 2)
    q = r.region("qiaojia")
    items = {i.code: i for i in q.items}
    covered = [items[c] for c in ("shenghuo_zhaohu", "jiankang_jiance", "guanai_peiban")]
    hours = sum(i.hours for i in covered)
    assert q.persons_served > 0 and m["persons"].model == q.persons_served
    assert m["households"].model == q.households_served <= q.persons_served
    assert m["hours"].model == hours
    assert m["hours/person"].model == round(hours / q.persons_served, 2)
    assert m["yuan/hour"].model == m["yuan/hour"].published == 20.11  # derived price
    assert not m["persons"].comparable and m["hours/person"].comparable
    assert "公布总数" in table_text(r) and 'class="calibration-totals"' in render_html(r)


def test_households_served_are_counted_once(regions: Regions) -> None:
    pilot = generate(PopulationSettings(people=3000, seed=4, area_code="530622001001"))
    r = compare(
        regions, pilot, settings=PlanSettings(on=ON), region_ids=["qiaojia"], chunk_size=700
    )
    whole = compare(regions, pilot, settings=PlanSettings(on=ON), region_ids=["qiaojia"])
    q, w = r.region("qiaojia"), whole.region("qiaojia")
    assert (q.households_served, q.households_eligible) == (
        w.households_served,
        w.households_eligible,
    )
    pop = pilot.population
    household = pop.extra["household"]
    eligible = regions.eligibility(regions.get("qiaojia"), pop, ON).eligible
    assert q.households_eligible == len(np.unique(household[eligible]))
    assert q.households_served < q.persons_served  # members of one household count once


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> click.Group:
    def builtins() -> object:
        return make_plugin_manager(entry_points=False, plugins=all_builtin_plugins())

    monkeypatch.setattr(core_cli, "make_plugin_manager", builtins)
    return core_cli.cli


def test_cli_scenario_options(cli: click.Group) -> None:
    args = ["compare", "--people", "300", "--on", "2025-06-01", "--format", "json"]
    res = CliRunner().invoke(
        cli,
        [
            *args,
            "--normalise",
            "budget",
            "--set",
            "ordos.catalogue.items.massage.unit_price_fen=9000",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["plan"]["normalise"] == ["budget"]
    assert {
        r["entitlement"]["annual_fen"] for r in data["regions"] if r["entitlement"]["kind"] == "cap"
    } == {100000}
    res = CliRunner().invoke(cli, [*args, "--decompose", "--regions", "ordos,changji"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["explanation"]["decomposition"]["scenarios"][3]["normalise"] == [
        "budget",
        "prices",
    ]
    bad = CliRunner().invoke(cli, [*args, "--set", "ordos.budget.annual_fen=abc"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "annual_fen" in bad.output


def test_sensitivity_over_several_regions_keeps_a_set_for_one_of_them(regions: Regions) -> None:
    """`--set ordos.… --sensitivity` over every region: each region's runs take the --set
    that names it (or `*`) and none that names another region."""
    small = generate(PopulationSettings(people=300, seed=3))
    settings = PlanSettings(on=ON, overrides=["ordos.budget.annual_fen=150000"])
    rows = sensitivity(regions, small, ["binzhou", "ordos"], settings)
    assert {r.region for r in rows} >= {"binzhou", "ordos"}
    # the ordos runs are based on the scenario's 1,500 yuan
    ordos = compare(regions, small, region_ids=["ordos"], settings=settings).region("ordos")
    plain = compare(regions, small, region_ids=["ordos"], settings=PlanSettings(on=ON))
    assert ordos.entitlement.annual_fen == 150000 != plain.region("ordos").entitlement.annual_fen
