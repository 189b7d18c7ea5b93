"""jiuzhu.core.testing: load_alone keeps the plugin's version; check_region_plugin takes
the people to test with (a region serving some areas only needs people living there)."""

from __future__ import annotations

import shutil
import types
from collections.abc import Callable
from pathlib import Path

import jiuzhu.regions.ordos as ordos
from jiuzhu.core import RegionSource, hookimpl
from jiuzhu.core.facts import PersonFacts
from jiuzhu.core.testing import check_region_plugin, load_alone, typical_people


def test_load_alone_keeps_the_plugins_version() -> None:
    regions = load_alone("ordos", ordos)
    assert regions.sources["ordos"].version == "0.1.0"
    assert regions.get("ordos").plugin_version == "0.1.0"
    assert load_alone("ordos", ordos, version="9.9").get("ordos").plugin_version == "9.9"


def area_bound_region(tmp_path: Path) -> types.ModuleType:
    """Ordos's data, but serving only people living in 东胜区 (150602)."""
    data = tmp_path / "data"
    shutil.copytree(Path(ordos.__file__).parent / "data", data)
    text = (data / "region.toml").read_text(encoding="utf-8")
    (data / "region.toml").write_text(text.replace('id = "ordos"', 'id = "dongsheng"'), "utf-8")
    rules = (data / "eligibility.toml").read_text(encoding="utf-8")
    rules = rules.replace(
        '    { fact = "age", lt = 60 },\n',
        '    { fact = "age", lt = 60 },\n    { fact = "area_code", prefix = "150602" },\n',
    )
    here = '{ fact = "area_code", prefix = "150602" }'
    rules = rules.replace(
        'all = [{ fact = "groups", has = "分散供养特困" }]',
        f'all = [{{ fact = "groups", has = "分散供养特困" }}, {here}]',
    )
    (data / "eligibility.toml").write_text(rules, encoding="utf-8")
    module = types.ModuleType("dongsheng")

    @hookimpl
    def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
        register(RegionSource(id="dongsheng", data_dir=data))

    module.jiuzhu_register_regions = jiuzhu_register_regions  # type: ignore[attr-defined]
    return module


def test_check_region_plugin_finds_people_in_the_regions_areas(tmp_path: Path) -> None:
    regions = load_alone("dongsheng", area_bound_region(tmp_path))
    region = regions.get("dongsheng")
    assert any(p.area_code.startswith("150602") for p in typical_people(region))
    assert check_region_plugin(regions) == []


def test_check_region_plugin_accepts_the_people_to_test_with(tmp_path: Path) -> None:
    regions = load_alone("dongsheng", area_bound_region(tmp_path))
    elsewhere = [
        PersonFacts(age=40, groups=frozenset({"低保"}), disability_grade=4, area_code="150603")
    ]
    assert check_region_plugin(regions, people=elsewhere) == [
        "dongsheng: eligibility admits none of the given test people; pass "
        "check_region_plugin(regions, people=[PersonFacts(...)]) with people who qualify"
    ]
    inside = [
        PersonFacts(age=40, groups=frozenset({"低保"}), disability_grade=4, area_code="150602")
    ]
    assert check_region_plugin(regions, people=inside) == []
