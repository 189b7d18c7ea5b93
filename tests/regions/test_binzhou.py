"""Binzhou (滨州市) loaded alone: its sourced facts (seed 002, DOMAIN.md) and its rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pluggy
import pytest

import jiuzhu.plugins.compare as compare_mod
import jiuzhu.plugins.eligibility as eligibility_mod
import jiuzhu.plugins.funding as funding_mod
import jiuzhu.plugins.monitoring as monitoring_mod
import jiuzhu.plugins.one_form as one_form_mod
import jiuzhu.plugins.tiered_budget as tiered_budget_mod
import jiuzhu.plugins.traffic_light as traffic_light_mod
import jiuzhu.regions.binzhou as binzhou_plugin
from jiuzhu.core.assessment import score
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import load_region_dir, make_plugin_manager
from jiuzhu.core.regions import Region
from jiuzhu.core.rules import Eligibility
from jiuzhu.core.supervision import ProviderStats
from jiuzhu.plugins.compare.config import Staffing
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.traffic_light import Light, Supervision, TrafficLight, light_for

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def bz_pm() -> pluggy.PluginManager:
    return make_plugin_manager(
        entry_points=False,
        plugins=[
            ("eligibility", eligibility_mod),
            ("funding", funding_mod),
            ("tiered_budget", tiered_budget_mod),
            ("traffic_light", traffic_light_mod),
            ("one_form", one_form_mod),
            ("monitoring", monitoring_mod),
            ("compare", compare_mod),
            ("binzhou", binzhou_plugin),
        ],
    )


@pytest.fixture(scope="module")
def bz(bz_pm: pluggy.PluginManager) -> Region:
    return load_region_dir(bz_pm, Path(binzhou_plugin.__file__).parent / "data")


# -- identity --------------------------------------------------------------------------


def test_identity(bz: Region) -> None:
    info = bz.info
    assert (info.id, info.name, info.code) == ("binzhou", "滨州市", "371600")
    assert info.levels == ["市", "县区", "乡镇街道", "村社区"]
    for fact in ("滨易助", "28个部门77类", "大额医疗支出", "2.8万", "红绿灯", "三级联动"):
        assert fact in info.summary
    assert any(s.startswith("seed 002") for s in info.sources)


def test_seven_counties_with_gb2260_codes(bz: Region) -> None:
    counties = {a.code: a.name for a in bz.info.areas if a.parent == "371600"}
    assert counties == {
        "371602": "滨城区",
        "371603": "沾化区",
        "371621": "惠民县",
        "371622": "阳信县",
        "371623": "无棣县",
        "371625": "博兴县",
        "371681": "邹平市",
    }
    for code in counties:
        area = bz.info.area(code)
        assert area is not None and area.source.startswith("DOMAIN.md: GB/T 2260")
        assert not area.illustrative


def test_seed_places_sit_in_huimin(bz: Region) -> None:
    names = {a.name: a.code for a in bz.info.areas}
    assert bz.info.ancestors(names["城北社区"]) == [
        names["城北社区"],
        names["孙武街道"],
        "371621",
        "371600",
    ]
    assert bz.info.ancestors(names["清河社区"])[1:] == [names["清河镇"], "371621", "371600"]
    assert bz.info.level_of(names["城北社区"]) == 3
    # township and community codes are filled in: marked illustrative
    deeper = [a for a in bz.info.areas if len(a.code) > 6]
    assert deeper and all(a.illustrative for a in deeper)
    assert {len(a.code) for a in deeper} == {9, 12}


# -- catalogue and its step-by-step standards (明白纸) ------------------------------------


def test_catalogue_counts(bz: Region) -> None:
    cat = bz.catalogue
    assert [c.name for c in cat.categories] == ["居家照护", "社区康复", "关爱发展"]
    assert len(cat.items) == 19
    per = {c.code: sum(1 for i in cat.items if i.category == c.code) for c in cat.categories}
    assert per == {"jjzh": 10, "sqkf": 5, "gafz": 4}
    assert cat.category("jjzh").source.startswith("seed 002")
    assert cat.category("sqkf").source.startswith("seed 002")


def test_every_item_has_a_standard(bz: Region) -> None:
    for item in bz.catalogue.items:
        assert 3 <= len(item.standard) <= 6, item.code
        assert all(step.strip() for step in item.standard), item.code
        assert item.source or item.illustrative
        assert item.price_on(ON) > 0


def test_sourced_steps_on_washing_and_cutting_hair(bz: Region) -> None:
    item = bz.catalogue.item("BZ-JJ-01")
    assert item.name == "洗发理发"
    assert item.source.startswith("seed 002: 服务人员规范明白纸")
    assert item.price_illustrative and not item.illustrative
    steps = "\n".join(item.standard)
    for phrase in ("询问老人近期饮食睡眠", "观察精神状态", "推子", "消毒", "舒适地躺着"):
        assert phrase in steps
    for phrase in ("温水缓缓冲淋", "细腻泡沫", "吹干"):
        assert phrase in steps
    # disinfecting comes before washing; the first step is the home-visit greeting
    assert "居家入户流程" in item.standard[0]
    assert item.standard.index(next(s for s in item.standard if "消毒" in s)) < item.standard.index(
        next(s for s in item.standard if "温水" in s)
    )


@pytest.mark.parametrize("code,name", [("BZ-JJ-02", "清洗耳垢"), ("BZ-JJ-03", "协助泡脚")])
def test_other_mingbaizhi_items_carry_the_sourced_steps(bz: Region, code: str, name: str) -> None:
    item = bz.catalogue.item(code)
    assert item.name == name
    assert item.source.startswith("seed 002: 服务人员规范明白纸")
    assert "饮食睡眠" in item.standard[0] and "观察精神状态" in item.standard[0]
    assert "消毒" in item.standard[1]


def test_every_home_visit_starts_and_ends_by_the_procedure(bz: Region) -> None:
    visits = [i for i in bz.catalogue.items if i.category in ("jjzh", "sqkf")]
    for item in visits:
        assert "入户问候" in item.standard[0], item.code
        assert "评价" in item.standard[-1] and "签退" in item.standard[-1], item.code


def test_sourced_items_from_li_zhaoyi(bz: Region) -> None:
    cat = bz.catalogue
    for code in (
        "BZ-JJ-04",
        "BZ-KF-01",
        "BZ-KF-02",
        "BZ-KF-03",
        "BZ-GA-01",
        "BZ-GA-02",
        "BZ-GA-03",
    ):
        assert cat.item(code).source.startswith("seed 002"), code
        assert cat.item(code).price_illustrative, code
    assert "如康家园" in cat.item("BZ-GA-03").source
    assert cat.item("BZ-JJ-01").price_on(ON) == 3000
    assert cat.item("BZ-JJ-04").price_on(ON) == 8000
    with pytest.raises(LookupError):
        cat.item("BZ-JJ-01").price_on(date(2024, 6, 30))


# -- eligibility -------------------------------------------------------------------------


def _decide(bz_pm: pluggy.PluginManager, bz: Region, *people: PersonFacts) -> Eligibility:
    result: Eligibility = bz_pm.hook.jiuzhu_eligibility(
        region=bz, people=Population.of(list(people)), on=ON
    )
    return result


def test_li_zhaoyi_amputee_is_eligible_as_disabled(bz_pm: pluggy.PluginManager, bz: Region) -> None:
    # seed 002: large medical expense -> warning; amputation; 临时救助 and disability allowance
    li = PersonFacts(
        age=52,
        groups=frozenset({"临时救助", "刚性支出困难"}),
        disability_grade=3,
        major_illness=True,
        area_code="371621001005",
    )
    result = _decide(bz_pm, bz, li)
    assert bool(result.eligible[0])
    assert result.reasons(0) == ["符合：低收入人口中的残疾人（需社区康复等服务）"]


@pytest.mark.parametrize(
    "person,reason",
    [
        (
            PersonFacts(age=45, groups=frozenset({"特困", "分散供养特困"})),
            "符合：分散供养特困人员",
        ),
        (
            PersonFacts(age=75, groups=frozenset({"低保"})),
            "符合：低收入人口中60周岁以上老年人（需居家照护）",
        ),
        (
            PersonFacts(age=48, groups=frozenset({"刚性支出困难"}), major_illness=True),
            "符合：低收入人口中的重大疾病患者（含大额医疗支出触发预警者）",
        ),
        (
            PersonFacts(age=50, groups=frozenset({"低保边缘"}), living_alone=True),
            "符合：低收入人口中的独居者",
        ),
    ],
)
def test_eligible(
    bz_pm: pluggy.PluginManager, bz: Region, person: PersonFacts, reason: str
) -> None:
    result = _decide(bz_pm, bz, person)
    assert bool(result.eligible[0])
    assert result.reasons(0) == [reason]


def test_refused_without_a_service_need_or_not_low_income(
    bz_pm: pluggy.PluginManager, bz: Region
) -> None:
    result = _decide(
        bz_pm,
        bz,
        PersonFacts(age=40, groups=frozenset({"低保"})),
        PersonFacts(age=70, disability_grade=2),
    )
    assert not result.eligible.any()
    for i in (0, 1):
        assert result.reasons(i)[0].startswith("不符合任何纳入条件")


def test_refused_when_already_cared_for(bz_pm: pluggy.PluginManager, bz: Region) -> None:
    result = _decide(
        bz_pm,
        bz,
        PersonFacts(age=80, groups=frozenset({"特困", "集中供养特困"})),
        PersonFacts(age=82, groups=frozenset({"低保"}), covered_by=frozenset({"机构养老"})),
    )
    assert not result.eligible.any()
    assert result.reasons(0) == [
        "符合：分散供养特困人员",
        "排除：已集中供养，由供养机构提供照料服务",
    ]
    assert result.reasons(1)[1] == "排除：已入住养老机构"


# -- budget and funding ------------------------------------------------------------------


def test_single_tier_budget(bz_pm: pluggy.PluginManager, bz: Region) -> None:
    rule = bz_pm.hook.jiuzhu_budget_rule(region=bz, on=ON)
    assert rule.caps() == [180_000]
    assert rule.version.illustrative
    tier = rule.version.tiers[0]
    assert (tier.opens, tier.leftover, tier.categories) == ("grant", "lapse", [])
    alloc = rule.allocate(
        np.array([[0], [178_000]]),
        np.array([0, 0]),
        np.array([3_000, 3_000]),
        np.array(["jjzh", "sqkf"]),
    )
    assert alloc.tier.tolist() == [0, -1]
    assert alloc.refusal[0] is None and "超出当前可用额度" in (alloc.refusal[1] or "")
    with pytest.raises(LookupError):
        bz_pm.hook.jiuzhu_budget_rule(region=bz, on=date(2024, 6, 30))


def test_funding_split(bz_pm: pluggy.PluginManager, bz: Region) -> None:
    rule = bz_pm.hook.jiuzhu_funding_rule(region=bz, on=ON)
    assert rule.sources == ("central", "province", "city", "county", "disabled_fund")
    parts = rule.split(np.array([10_000, 10_000, 3_333]), np.array(["jjzh", "sqkf", "gafz"]))
    assert parts[0].tolist() == [4_000, 2_000, 1_500, 2_500, 0]
    assert parts[1].tolist() == [3_000, 1_500, 1_000, 2_000, 2_500]
    assert parts.sum(axis=1).tolist() == [10_000, 10_000, 3_333]


# -- assessment --------------------------------------------------------------------------


def test_assessment_shape_and_scoring(bz: Region) -> None:
    ins = bz.instrument
    assert ins.illustrative
    assert [d.name for d in ins.domains] == [
        "自理能力",
        "康复需求",
        "精神心理",
        "家庭支持与居住",
        "能力发展",
    ]
    assert ins.indicator_count == 16
    zero = {i.code: 0 for d in ins.domains for i in d.indicators}
    none = score(ins, zero)
    assert (none.total, none.level, none.recommended_items) == (0, "低需求", [])
    # an amputee after surgery, low in mood, willing to work (李兆义, seed 002)
    li = {**zero, "kf_limb": 3, "kf_train": 2, "kf_aid": 2, "jx_mood": 3, "zl_walk": 3}
    li |= {"fz_will": 1, "fz_skill": 1, "jt_medical": 1}
    scored = score(ins, li)
    assert scored.domain_scores == {"zl": 3, "kf": 7, "jx": 3, "jt": 1, "fz": 2}
    assert scored.level == "中需求"
    for code in ("BZ-KF-01", "BZ-KF-02", "BZ-KF-03", "BZ-GA-01", "BZ-GA-03", "BZ-JJ-01"):
        assert code in scored.recommended_items


# -- one form ----------------------------------------------------------------------------


def test_policies(bz: Region) -> None:
    pol = bz.section("policies", PolicyList)
    assert pol is not None
    assert len(pol.policies) == 10 and len(pol.departments) == 5
    assert {d.name for d in pol.departments} == {
        "县民政局",
        "县残联",
        "县医保局",
        "县人力资源和社会保障局",
        "县卫生健康局",
    }
    # what 李兆义 received (seed 002) is sourced; the rest is illustrative
    for code in ("linshi", "liangxiang", "fuju", "kangfu", "fuzhu_jiuye", "fuwu"):
        assert pol.policy(code).source.startswith("seed 002"), code
    for code in ("dibao", "yiliao", "jiuye", "jiating_yisheng"):
        assert pol.policy(code).illustrative, code
    assert pol.policy("liangxiang").name == "残疾人两项补贴"
    assert pol.policy("fuju").kind == "in_kind"
    assert pol.policy("fuju").opens_items == ["BZ-KF-03"]
    assert pol.policy("kangfu").opens_items == ["BZ-KF-01", "BZ-KF-02"]
    assert pol.verification_visit


# -- supervision: the traffic light --------------------------------------------------------


def _rule(bz: Region) -> TrafficLight:
    sup = bz.section("supervision", Supervision)
    assert sup is not None
    return sup.traffic_light


def test_traffic_light_thresholds(bz: Region) -> None:
    rule = _rule(bz)
    assert "满意度" in rule.source and "红绿灯" in rule.source and rule.illustrative
    assert (rule.min_ratings, rule.green_min_satisfied_percent) == (20, 90)
    assert (rule.red_below_satisfied_percent, rule.red_below_mean_score) == (75, 3.0)
    assert rule.yellow_max_overdue_percent == 10


def _stats(**kw: Any) -> ProviderStats:
    base = {"provider_id": 1, "ratings": 50, "mean_score": 4.5, "orders_done": 50}
    return ProviderStats(**(base | kw))


@pytest.mark.parametrize(
    "stats,light",
    [
        (_stats(satisfied_share=0.96, orders_overdue=2), Light.GREEN),  # 96%, 4% overdue
        (_stats(satisfied_share=0.90), Light.GREEN),  # exactly 90%: passes
        (_stats(satisfied_share=0.84, mean_score=4.0), Light.YELLOW),  # 75% <= 84% < 90%
        (_stats(satisfied_share=0.76), Light.YELLOW),
        (_stats(satisfied_share=0.96, orders_overdue=8), Light.YELLOW),  # 16% overdue
        (_stats(satisfied_share=0.74), Light.RED),  # below 75%
        (_stats(satisfied_share=0.80, mean_score=2.8), Light.RED),  # mean below 3.0
        (_stats(ratings=10, visits=5, satisfied_share=0.2, mean_score=1.0), Light.GREEN),
        # return visits count: 30 satisfied ratings + 12 of 20 visits = 84%
        (_stats(ratings=30, satisfied_share=1.0, visits=20, visits_unsatisfied=8), Light.YELLOW),
    ],
)
def test_traffic_light(
    bz_pm: pluggy.PluginManager, bz: Region, stats: ProviderStats, light: Light
) -> None:
    got, why = light_for(_rule(bz), stats)
    assert got is light, why
    standing = bz_pm.hook.jiuzhu_provider_light(region=bz, stats=stats)
    assert standing.code == light and standing.label == light.label
    assert standing.blocks_dispatch == (light is Light.RED)


def test_too_few_to_judge_says_so(bz: Region) -> None:
    _, why = light_for(_rule(bz), _stats(ratings=10, visits=5, satisfied_share=0.2))
    assert "暂不评级" in why


# -- staffing ----------------------------------------------------------------------------


def test_staffing(bz: Region) -> None:
    staff = bz.section("staffing", Staffing)
    assert staff is not None and staff.illustrative
    assert (staff.min_team_size, staff.min_intermediate_social_workers) == (8, 1)
    assert staff.min_junior_social_workers == 2
