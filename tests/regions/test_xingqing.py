"""Xingqing (银川市兴庆区, seed 004) as a region: the “兴系你” 帮扶清单 of 80 policies of 11
departments through the one form, a resource library of 40+ units (reported), the 许愿池,
the “1+1+N” team rule; loaded alone it checks clean."""

from __future__ import annotations

import jiuzhu.regions.xingqing as xingqing_plugin
from jiuzhu.core.plugins import Regions
from jiuzhu.core.testing import check_region_plugin, load_alone
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.resources.config import ResourceConfig

SEED = "seed 004"


def test_loads_alone_and_checks_clean() -> None:
    assert check_region_plugin(load_alone("xingqing", xingqing_plugin)) == []


def test_the_help_list_is_80_policies_of_11_departments(regions: Regions) -> None:
    plist = regions.get("xingqing").section("policies", PolicyList)
    assert plist is not None
    assert len(plist.policies) == 80 and len(plist.departments) == 11
    sourced = {p.code for p in plist.policies if not p.illustrative}
    # the policies seed 004 names for Xingqing, and the charity projects and wishes
    assert sourced == {"dibao", "linshi", "orphan", "service_aid", "charity_project", "wish"}
    assert all(SEED in plist.policy(c).source for c in sourced)
    assert all(p.illustrative for p in plist.policies if p.code not in sourced)
    assert SEED in plist.department("mz").source


def test_pilot_streets_library_and_team_rule(regions: Regions) -> None:
    region = regions.get("xingqing")
    streets = {a.name for a in region.info.areas if a.parent == region.info.code}
    assert streets == {"中山南街街道", "新华街街道", "胜利街街道", "掌政镇"}  # 4个试点镇街
    cfg = region.section("resources", ResourceConfig)
    assert cfg is not None and cfg.name == "兴系你"
    assert [(c.reported, c.kinds) for c in cfg.counts] == [
        (40, ["organisation", "unit", "business"])
    ]
    named = {r.name for r in cfg.library if not r.illustrative}
    assert {"宁夏公益慈善事业促进会", "银川指北针数据统计调研有限公司"} <= named
    assert all(SEED in r.source for r in cfg.library if not r.illustrative)
    assert "1名专业社工+1名乡镇(街道)救助专干+N名资源方代表" in cfg.teams.source
    assert [g.label for g in cfg.teams.grades] == ["一般", "重点", "疑难"]
    assert cfg.wishes.street_level in region.info.levels
    assert [f.source_code for f in cfg.funds] == ["charity"]
