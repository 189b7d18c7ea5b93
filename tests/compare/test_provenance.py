"""Every figure carries its provenance, computed from the inputs it used (issue 17 point 3):
the JSON per figure, the table with marks, the HTML with classes and a legend."""

from __future__ import annotations

import json

import pytest

from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.compare.engine import PlanSettings, compare
from jiuzhu.plugins.compare.population import (
    People,
    PopulationInfo,
    PopulationSettings,
    generate,
)
from jiuzhu.plugins.compare.report import ROWS, render_html, render_json, table_text
from jiuzhu.plugins.compare.results import Comparison

from .helpers import ON, needs_row


@pytest.fixture(scope="module")
def result(regions: Regions) -> Comparison:
    return compare(
        regions, generate(PopulationSettings(people=3000, seed=4)), settings=PlanSettings(on=ON)
    )


def people_of(*persons: tuple[PersonFacts, dict[str, int]]) -> People:
    import numpy as np

    pop = Population.of([p for p, _ in persons])
    needs = np.concatenate([needs_row(**n) for _, n in persons]) if persons else needs_row()
    info = PopulationInfo(source="roster", people=len(persons), roster="test")
    return People(population=pop, needs=needs, info=info)


def test_every_summary_figure_has_provenance_in_the_json(result: Comparison) -> None:
    data = json.loads(render_json(result))
    for r in data["regions"]:
        for _label, key, _cell in ROWS:
            if key:
                p = r["provenance"][key]
                assert p["basis"] in ("sourced", "illustrative", "scenario")
                for k in p["illustrative"] + p["scenario"]:
                    assert k in r["inputs"]  # every flagged input is named and described
        for kind in data["kinds"]:
            assert f"needs[{kind}].met_share" in r["provenance"]


def test_sourced_and_illustrative_amounts(result: Comparison) -> None:
    """Ordos's 1,000 yuan is sourced (seed 002); the other regions' amounts are not."""
    ordos = result.region("ordos")
    assert ordos.provenance["entitlement.annual_fen"].basis == "sourced"
    for rid in ("changji", "binzhou", "shizuishan"):
        p = result.region(rid).provenance["entitlement.annual_fen"]
        assert p.basis == "illustrative" and p.illustrative == ["budget.annual_fen"]
    # spending uses illustrative prices everywhere, and names them
    spent = ordos.provenance["entitlement.spent_fen"]
    assert spent.basis == "illustrative"
    assert any(k.startswith("price[") for k in spent.illustrative)
    assert "price[festival_visit]" not in spent.illustrative  # 300 yuan is sourced


def test_provenance_follows_what_the_figure_used(regions: Regions) -> None:
    """Ordos's eligible count is sourced while only sourced rules decide; one person in a
    care home brings in the illustrative exclusion, and the same figure turns illustrative."""
    kang = (PersonFacts(age=50, groups=frozenset({"低保"}), disability_grade=4), {"慰问": 1})
    tekun: tuple[PersonFacts, dict[str, int]] = (
        PersonFacts(age=50, groups=frozenset({"分散供养特困"})),
        {},
    )
    care_home: tuple[PersonFacts, dict[str, int]] = (
        PersonFacts(age=75, groups=frozenset({"分散供养特困"}), covered_by=frozenset({"机构养老"})),
        {},
    )
    on = PlanSettings(on=ON)
    a = compare(regions, people_of(kang, tekun), settings=on, region_ids=["ordos"])
    b = compare(regions, people_of(kang, tekun, care_home), settings=on, region_ids=["ordos"])
    pa = a.region("ordos").provenance["eligibility.eligible"]
    pb = b.region("ordos").provenance["eligibility.eligible"]
    assert pa.basis == "sourced" and pa.illustrative == []
    assert pb.basis == "illustrative"
    assert pb.illustrative == ["eligibility.exclude.institutional_care"]
    # the festival visit alone (sourced price) was bought: its item figure names no price
    items = a.region("ordos").provenance["items[festival_visit].units"]
    assert "price[festival_visit]" not in items.illustrative


def test_scenario_changes_are_marked(regions: Regions) -> None:
    result = compare(
        regions,
        generate(PopulationSettings(people=500, seed=2)),
        settings=PlanSettings(on=ON, overrides=["ordos.budget.annual_fen=150000"]),
        region_ids=["ordos"],
    )
    p = result.region("ordos").provenance["entitlement.annual_fen"]
    assert p.basis == "scenario" and p.scenario == ["budget.annual_fen"]
    assert result.region("ordos").entitlement.annual_fen == 150000
    assert "1,500.00元†" in table_text(result)


def test_table_marks_and_legend(result: Comparison) -> None:
    text = table_text(result)
    assert "1,000.00元 " in text or "1,000.00元│" in text.replace(" ", "")  # Ordos: no mark
    assert "2,000.00元*" in text  # Changji's amount is illustrative
    assert "* = 用到示例参数" in text


def test_html_styles_provenance_with_a_legend(result: Comparison) -> None:
    html = render_html(result)
    assert 'id="legend"' in html and "prov-illustrative" in html and "prov-scenario" in html
    assert '<td class="num prov-sourced" title="所用' in html  # Ordos's amount
    assert html.count('class="num prov-illustrative"') > 20
    assert "图中数字用到示例参数" in html
