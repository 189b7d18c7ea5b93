"""monitoring.toml: the shipped regions decode; a bad file is named by file, key path and
what was expected (the project's strict loader)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiuzhu.core import strict_toml
from jiuzhu.core.base import ConfigError
from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.monitoring.config import Monitoring

from .helpers import mon

BINZHOU = Path(__file__).parents[2] / "regions/jiuzhu/regions/binzhou/data/monitoring.toml"


@pytest.mark.parametrize("region_id", ["binzhou", "shizuishan", "changji"])
def test_shipped_regions_declare_feeds_rules_and_levels(regions: Regions, region_id: str) -> None:
    m = mon(regions.get(region_id))
    assert {lv.code for lv in m.levels} == {"red", "orange", "yellow"}
    assert m.kinds
    assert [r for r in m.rules if not r.helper]
    assert all(r.source or r.illustrative for r in m.rules)


def test_binzhou_medical_rule_is_the_public_threshold_marked_illustrative(regions: Regions) -> None:
    rule = next(r for r in mon(regions.get("binzhou")).rules if r.code == "large_medical_stay")
    assert (rule.kind, rule.op, rule.value, rule.level) == ("threshold", ">=", 1_000_000, "red")
    assert rule.illustrative and "seed 002" in rule.source


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        strict_toml.decode(text, Monitoring, "monitoring.toml")
    return err.value.problems


def test_unknown_key_and_wrong_type_are_named_by_path() -> None:
    text = BINZHOU.read_text(encoding="utf-8")
    text = text.replace("recertify_months = 12", 'recertify_months = "twelve"\ncolour = 1')
    problems = _problems(text)
    assert any("recertify_months: expected an integer" in p for p in problems), problems
    assert any("colour: unknown key" in p for p in problems), problems
    assert all(p.startswith("monitoring.toml: ") for p in problems)


def test_bad_level_and_column_type_are_named() -> None:
    text = BINZHOU.read_text(encoding="utf-8").replace('level = "red"', 'level = "purple"', 1)
    text = text.replace('type = "money" }', 'type = "euro" }', 1)
    problems = _problems(text)
    assert any("rules[large_medical_stay].level: expected one of" in p for p in problems)
    assert any("kinds[medical].columns[total_fen].type: expected one of" in p for p in problems)


def test_cross_checks_name_the_rule() -> None:
    text = BINZHOU.read_text(encoding="utf-8").replace(
        'column = "out_of_pocket_fen"\nop = ">="\nvalue = 1000000\ndescription = "单次',
        'column = "name"\nop = ">="\nvalue = 1000000\ndescription = "单次',
    )
    assert any("rules[large_medical_stay].column: 'name' is text" in p for p in _problems(text))
    text = BINZHOU.read_text(encoding="utf-8").replace('feed = "school_fees"', 'feed = "tax"')
    assert any("rules[school_arrears].feed: 'tax' is not a feed kind" in p for p in _problems(text))
