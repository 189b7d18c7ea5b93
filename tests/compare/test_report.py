"""JSON, HTML and the table carry the versions and the population's seed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import msgspec
import pytest

from jiuzhu.core import __version__
from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.compare.engine import PlanSettings, compare
from jiuzhu.plugins.compare.population import PopulationSettings, generate
from jiuzhu.plugins.compare.report import render_html, render_json, table_text
from jiuzhu.plugins.compare.results import Comparison, from_json

from .helpers import ON


@pytest.fixture(scope="module")
def result(regions: Regions) -> Comparison:
    return compare(
        regions,
        generate(PopulationSettings(people=1500, seed=271828)),
        settings=PlanSettings(on=ON),
    )


def test_json_records_versions_and_seed(result: Comparison, regions: Regions) -> None:
    data = json.loads(render_json(result))
    assert data["jiuzhu_version"] == __version__
    assert data["population"]["seed"] == 271828
    assert data["population"]["settings"]["seed"] == 271828
    assert data["population"]["settings"]["people"] == 1500
    assert data["plan"]["on"] == "2025-06-01"
    assert {r["id"] for r in data["regions"]} == set(regions.by_id)
    for r in data["regions"]:
        assert r["plugin_version"]  # the distribution's version when registered directly
        assert r["data_version"] == regions.get(r["id"]).info.version
        assert set(r["rule_versions"]) == {"eligibility", "budget", "funding"}
    assert from_json(render_json(result)) == result  # decodes back to the same result
    assert msgspec.json.decode(render_json(result))["kinds"][0] == "慰问"


def test_html_is_self_contained_with_versions_and_seed(result: Comparison) -> None:
    html = render_html(result)
    assert html.startswith("<!doctype html>")
    assert f'<td id="jiuzhu-version">{__version__}</td>' in html
    assert '<b id="seed">271828</b>' in html
    for r in result.regions:
        assert r.name in html and r.data_version in html and r.plugin_version in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 5
    for chart in svgs:  # each chart is well-formed SVG (browsers drop broken inline SVG)
        ElementTree.fromstring(chart)
    assert "<script" not in html
    # nothing is fetched: no external src/href (the SVG namespace is not a fetch)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html


def test_table(result: Comparison) -> None:
    text = table_text(result)
    assert "符合条件 eligible" in text and "needs met" in text
    assert "seed 271828" in text and f"jiuzhu {__version__}" in text


def test_roster_provenance_in_html(regions: Regions, tmp_path: Path) -> None:
    from jiuzhu.plugins.compare.roster import read_roster, write_roster

    path = tmp_path / "r.csv"
    write_roster(generate(PopulationSettings(people=40, seed=1)), path)
    people = read_roster(path)
    c = compare(regions, people, settings=PlanSettings(on=ON), region_ids=["ordos"])
    html = render_html(c)
    assert "r.csv" in html and people.info.roster_sha256 in html
    assert json.loads(render_json(c))["population"]["roster_sha256"] == people.info.roster_sha256
