"""The resource library: searchable by need and area; import all-or-nothing; counts beside
what the sources report (seed 004: 40余家单位 in Xingqing's library)."""

from __future__ import annotations

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.plugins.resources import library
from jiuzhu.plugins.resources.config import Offer, Resource
from tests.conftest import actor_for

from .helpers import ANHE, KANGXIN, XINHUA, library_ready


def test_search_by_need_and_area(svc, regions) -> None:
    admin = library_ready(svc, regions)
    # seed 004: 救助社工快速对接多家医疗器械企业，为于女士配置腹透无菌室
    found = {r.code for r in library.search(svc, admin, need="医疗器械")}
    assert found == {"med_device"}
    # an offer registered for the district serves every community in it; one registered
    # for 胜利街 does not serve 新华街's 安和社区
    library.add_resource(
        svc,
        admin,
        Resource(
            code="anhe_only",
            name="安和社区志愿服务队",
            kind="organisation",
            area_code=ANHE,
            offers=[Offer(content="代购送餐", needs=["助餐"])],
            illustrative=True,
        ),
    )
    meals_anhe = {r.code for r in library.search(svc, admin, need="助餐", area_code=ANHE)}
    meals_kangxin = {r.code for r in library.search(svc, admin, need="助餐", area_code=KANGXIN)}
    assert meals_anhe == {"anhe_only"}  # the 养老企业 example serves 胜利街 only
    assert meals_kangxin == {"elder_care_co"}
    # by area alone: what serves the community, and what is located there (the sentinel)
    at_kangxin = {r.code for r in library.search(svc, admin, area_code=KANGXIN)}
    assert "kangxin_station" in at_kangxin and "anhe_only" not in at_kangxin
    assert {r.code for r in library.search(svc, admin, kind="sentinel")} == {"kangxin_station"}
    # need matches words of the content too
    assert "nxgycs" in {r.code for r in library.search(svc, admin, need="学习桌椅")}
    with pytest.raises(Invalid) as bad:
        library.search(svc, admin, area_code="999999")
    assert bad.value.field == "area_code"
    assert XINHUA in library.ancestors(regions.get("xingqing"), ANHE)


def test_import_is_all_or_nothing_and_idempotent(svc, regions) -> None:
    admin = actor_for(regions, "xingqing")
    items = library.config(regions.get("xingqing")).library
    bad = [
        *items,
        Resource(code="x", name="坏数据", kind="organisation", area_code="1", illustrative=True),
    ]
    with pytest.raises(Invalid) as exc:
        library.import_library(svc, admin, bad)
    assert "area_code" in exc.value.field
    assert library.search(svc, admin) == []  # nothing written
    assert library.import_library(svc, admin, items) == (len(items), 0)
    assert library.import_library(svc, admin, items) == (0, len(items))


def test_counts_beside_the_sources(svc, regions) -> None:
    admin = library_ready(svc, regions)
    rows = {c.label: c for c in library.counts(svc, admin)}
    units = next(c for c in rows.values() if c.reported == 40)
    assert "seed 004" in units.source
    assert units.in_library == 6  # organisations and businesses imported from resources.toml
    assert rows["需求哨点"].in_library == 1 and rows["需求哨点"].reported is None


def test_csv_rows_become_resources_with_offers() -> None:
    text = (
        "code,name,kind,area_code,contact,location,content,needs\n"
        "a1,爱心超市,business,640104,,,生活物资,学习用品、慰问\n"
        "a1,爱心超市,business,640104,,,节日慰问品,慰问\n"
        "s1,某小区哨点,sentinel,640104002001,,安和社区1号院,,\n"
    )
    got = library.read_csv(text)
    assert [r.code for r in got] == ["a1", "s1"]
    assert [o.content for o in got[0].offers] == ["生活物资", "节日慰问品"]
    assert got[0].offers[0].needs == ["学习用品", "慰问"]
    assert got[0].illustrative
    with pytest.raises(Invalid) as exc:
        library.read_csv("code,name\n")
    assert exc.value.field == "header"


def test_only_officers_write_and_sentinels_name_a_place(svc, regions) -> None:
    library_ready(svc, regions)
    clerk = actor_for(regions, "xingqing", Role.CLERK)
    res = Resource(code="s2", name="哨点", kind="sentinel", area_code=ANHE, illustrative=True)
    with pytest.raises(Refused):
        library.add_resource(svc, clerk, res)
    with pytest.raises(Invalid) as exc:
        library.add_resource(svc, actor_for(regions, "xingqing"), res)
    assert exc.value.field == "location"
    with pytest.raises(Refused) as dup:
        library.add_resource(
            svc,
            actor_for(regions, "xingqing"),
            Resource(
                code="nxgycs", name="重复", kind="organisation", area_code=ANHE, illustrative=True
            ),
        )
    assert dup.value.rule == "duplicate"


def test_the_demo_loads_resources_once(svc, regions) -> None:
    from jiuzhu.core.demo import load_demo
    from jiuzhu.plugins.resources import charity, wishes

    first = list(load_demo(svc, ["xingqing", "beilin"]))
    assert any("resource library" in line for line in first)
    assert any("xingqing-unit acts for 宁夏公益慈善事业促进会" in line for line in first)
    again = list(load_demo(svc, ["xingqing", "beilin"]))
    assert not any("resource library" in line or "wishes" in line for line in again)
    for region_id in ("xingqing", "beilin"):
        stats = wishes.statistics(svc, None, region_id)
        assert (stats.published, stats.fulfilled) == (2, 1)
        admin = actor_for(regions, region_id)
        assert [s.donations_fen for s in charity.statements(svc, admin)] == [500_000]
