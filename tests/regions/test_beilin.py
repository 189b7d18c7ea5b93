"""Beilin (西安市碑林区, seed 002) as a region: 融救 = 53 policies of 17 departments through the
one form; 联助 = the reported social forces (188/288/1,055/374) and 1,375 need sentinels
beside the library's own entries; loaded alone it checks clean."""

from __future__ import annotations

import jiuzhu.regions.beilin as beilin_plugin
from jiuzhu.core.plugins import Regions
from jiuzhu.core.testing import check_region_plugin, load_alone
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.resources.config import ResourceConfig


def test_loads_alone_and_checks_clean() -> None:
    assert check_region_plugin(load_alone("beilin", beilin_plugin)) == []


def test_rongjiu_is_53_policies_of_17_departments(regions: Regions) -> None:
    plist = regions.get("beilin").section("policies", PolicyList)
    assert plist is not None
    assert len(plist.policies) == 53 and len(plist.departments) == 17
    sourced = {p.code for p in plist.policies if not p.illustrative}
    assert sourced == {"dabing", "canjizheng", "service_aid"}
    assert all("seed 002" in plist.policy(c).source for c in sourced)


def test_lianzhu_counts_are_the_seeds(regions: Regions) -> None:
    cfg = regions.get("beilin").section("resources", ResourceConfig)
    assert cfg is not None and cfg.name == "融救联助"
    reported = {tuple(c.kinds): c.reported for c in cfg.counts}
    assert reported == {
        ("organisation",): 188,
        ("unit",): 288,
        ("volunteer",): 1055,
        ("business",): 374,
        ("sentinel",): 1375,
    }
    assert all("seed 002" in c.source for c in cfg.counts)
    sentinels = [r for r in cfg.library if r.kind == "sentinel"]
    assert sentinels and all(r.location for r in sentinels)
    room = next(r for r in cfg.library if r.code == "xiaohongchuan")
    assert not room.illustrative and "小红船为民服务直播间" in room.source
    # seed 002 describes no case-team model for Beilin: the rule is marked illustrative
    assert cfg.teams.illustrative
