"""Changji (昌吉回族自治州): the region loaded alone, with the facts of seeds 000 and 001 pinned:
the 24-item catalogue in three categories, the "五助", the school-transport cap, the 6 x 32
assessment tool, the "五个一点" funding pool, the 24-hour urgent response and the provider
staffing rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jiuzhu.plugins.compare as compare_mod
import jiuzhu.plugins.eligibility as eligibility_mod
import jiuzhu.plugins.funding as funding_mod
import jiuzhu.plugins.monitoring as monitoring_mod
import jiuzhu.plugins.one_form as one_form_mod
import jiuzhu.plugins.tiered_budget as tiered_budget_mod
import jiuzhu.plugins.traffic_light as traffic_light_mod
import jiuzhu.regions.changji as changji_plugin
from jiuzhu.core.assessment import score
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import load_region_dir, make_plugin_manager
from jiuzhu.core.regions import Region
from jiuzhu.core.supervision import ProviderStats
from jiuzhu.plugins.compare.config import Staffing
from jiuzhu.plugins.eligibility import EligibilityRules
from jiuzhu.plugins.funding import FundingScheme
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.tiered_budget import BudgetScheme
from jiuzhu.plugins.traffic_light import Light, Supervision

ON = date(2025, 6, 1)
YUAN = 100  # fen

COUNTIES = {
    "652301": "昌吉市",
    "652302": "阜康市",
    "652323": "呼图壁县",
    "652324": "玛纳斯县",
    "652325": "奇台县",
    "652327": "吉木萨尔县",
    "652328": "木垒哈萨克自治县",
}

# Items the articles name (seed 000 / seed 001), by code -> name.
SOURCED_ITEMS = {
    "shangmen_zhaohu": "上门照护",
    "zhucan": "上门做饭/助餐",
    "zhuyu": "助浴",
    "zhujie": "保洁/助洁",
    "zhuyi": "助医/陪诊",
    "zhuxing": "助行",
    "tanfang_pinggu": "探访评估",
    "zhaoliao_pinggu": "照料护理情况评估",
    "kangfu_xunlian": "康复训练",
    "kangfu_huli": "康复护理",
    "tejiao_kangfu": "特教康复",
    "xinli_shudao": "心理疏导",
    "chuanxi": "喘息服务",
    "liudong_fuwubao": "流动服务包",
    "zhuxue": "助学",
    "yanxue": "研学赋能",
    "zuowen_fudao": "作文辅导",
    "shenghuo_jineng": "生活技能培训",
    "zhiye_jineng": "职业技能培训",
    "mianfei_jiesong": "免费接送",
    "jingshen_wenhua": "精神文化培育",
    "shehui_rongru": "社会融入",
    "ziyuan_lianjie": "资源链接",
}


@pytest.fixture(scope="module")
def changji_pm() -> Any:
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
            ("changji", changji_plugin),
        ],
    )


@pytest.fixture(scope="module")
def changji(changji_pm: Any) -> Region:
    assert changji_plugin.__file__ is not None
    return load_region_dir(changji_pm, Path(changji_plugin.__file__).parent / "data")


def one(**facts: Any) -> Population:
    return Population.of([PersonFacts(**facts)])


def allowed(region: Region, item_code: str, people: list[PersonFacts]) -> list[bool]:
    mask = region.catalogue.item(item_code).who.mask(Population.of(people))
    return [bool(x) for x in mask]


# -- identity, areas, service settings ------------------------------------------------------


def test_changji_identity_and_levels(changji: Region) -> None:
    info = changji.info
    assert (info.id, info.name, info.code) == ("changji", "昌吉回族自治州", "652300")
    assert info.levels == ["州", "县市", "乡镇街道", "村社区"]
    assert "州统筹、县主责、乡落实、社工执行" in info.summary
    for figure in ("3300多名", "3万人次", "800元", "24项"):
        assert figure in info.summary


def test_changji_seven_counties_with_gbt2260_codes(changji: Region) -> None:
    info = changji.info
    counties = {a.code: a for a in info.areas if a.parent == info.code}
    assert {code: a.name for code, a in counties.items()} == COUNTIES
    assert all(a.source.startswith("DOMAIN.md") and not a.illustrative for a in counties.values())
    # below the counties everything is illustrative, and at least two counties are filled in
    below = [a for a in info.areas if a.parent != info.code]
    assert below and all(a.illustrative for a in below)
    townships = [a for a in below if len(a.code) == 9]
    villages = [a for a in below if len(a.code) == 12]
    assert len({a.parent for a in townships}) >= 2 and len(villages) >= 2
    assert info.level_of(villages[0].code) == 3


def test_changji_urgent_needs_answered_within_24_hours(changji: Region) -> None:
    service = changji.info.service
    assert service.urgent_response_hours == 24
    assert "24小时" in service.source and not service.illustrative


# -- catalogue ------------------------------------------------------------------------------


def test_changji_catalogue_three_categories_24_items(changji: Region) -> None:
    cat = changji.catalogue
    assert cat.name == "昌吉州服务类社会救助服务清单"
    assert [c.name for c in cat.categories] == ["生活照护", "康复支持", "能力提升"]
    assert len(cat.items) == 24
    counts = {c.code: sum(i.category == c.code for i in cat.items) for c in cat.categories}
    assert counts == {"shenghuo_zhaohu": 8, "kangfu_zhichi": 7, "nengli_tisheng": 9}
    assert "三大类二十四项" in cat.source


def test_changji_sourced_items_named_and_sourced(changji: Region) -> None:
    cat = changji.catalogue
    for code, name in SOURCED_ITEMS.items():
        item = cat.item(code)
        assert item.name == name
        assert item.source.startswith("seed 00") and not item.illustrative, code
        assert item.price_illustrative, code  # no price is given by the sources
    filled = [i for i in cat.items if i.code not in SOURCED_ITEMS]
    assert [(i.code, i.illustrative) for i in filled] == [("fuju_shipei", True)]


def test_changji_every_item_has_content_standard_and_responsible_body(changji: Region) -> None:
    for item in changji.catalogue.items:
        assert item.description and "流程" in item.description, item.code
        assert 3 <= len(item.standard) <= 6, item.code
        assert item.responsible, item.code
        assert item.valid_from == date(2024, 10, 1)
        assert 0 < item.unit_price_fen <= 300 * YUAN, item.code


def test_changji_wuzhu_five_helps_present(changji: Region) -> None:
    names = [i.name for i in changji.catalogue.items]
    for help_ in ("助医", "助洁", "助餐", "助学", "助行"):
        matching = [n for n in names if help_ in n]
        assert matching, help_
        item = next(i for i in changji.catalogue.items if i.name == matching[0])
        assert "五助" in item.source or "五助" in item.description


def test_changji_school_transport_capped_and_students_only(changji: Region) -> None:
    item = changji.catalogue.item("mianfei_jiesong")
    assert item.max_fen_per_year == 1000 * YUAN == 100000
    assert "1000元" in item.source
    jimsar = "652327100"  # 吉木萨尔县
    student = PersonFacts(age=12, groups=frozenset({"低保"}), student=True, area_code=jimsar)
    not_student = PersonFacts(age=12, groups=frozenset({"低保"}), area_code=jimsar)
    adult = PersonFacts(age=40, groups=frozenset({"低保"}), area_code=jimsar)
    assert allowed(changji, "mianfei_jiesong", [student, not_student, adult]) == [
        True,
        False,
        False,
    ]


def test_changji_life_skills_training_ages_16_to_59(changji: Region) -> None:
    ages = [15, 16, 35, 59, 60]
    people = [PersonFacts(age=a, groups=frozenset({"低保"})) for a in ages]
    assert allowed(changji, "shenghuo_jineng", people) == [False, True, True, True, False]
    assert "16-59岁" in changji.catalogue.item("shenghuo_jineng").source


def test_changji_targeted_items(changji: Region) -> None:
    rehab_child = PersonFacts(age=5, disability_grade=1, groups=frozenset({"重度残疾"}))
    mild_child = PersonFacts(age=5, disability_grade=4)
    adult = PersonFacts(age=30, disability_grade=1)
    # 特教康复: the centralised class takes severely disabled children only
    assert allowed(changji, "tejiao_kangfu", [rehab_child, mild_child, adult]) == [
        True,
        False,
        False,
    ]
    # 喘息服务: families of disabled people, of any grade (seed 000: 残疾人家庭喘息服务)
    nobody = PersonFacts(age=30)
    assert allowed(changji, "chuanxi", [rehab_child, mild_child, adult, nobody]) == [
        True,
        True,
        True,
        False,
    ]
    # 照料护理情况评估: dispersed 特困 only
    dispersed = PersonFacts(age=70, groups=frozenset({"特困", "分散供养特困"}))
    dibao = PersonFacts(age=70, groups=frozenset({"低保"}))
    assert allowed(changji, "zhaoliao_pinggu", [dispersed, dibao]) == [True, False]
    # 研学赋能 / 作文辅导: under 18
    assert allowed(changji, "yanxue", [rehab_child, adult]) == [True, False]
    assert "800元" in changji.catalogue.item("tejiao_kangfu").description
    assert "双语社工" in changji.catalogue.item("liudong_fuwubao").source


# -- assessment -----------------------------------------------------------------------------


def test_changji_assessment_six_domains_32_indicators(changji: Region) -> None:
    ins = changji.instrument
    assert len(ins.domains) == 6 and ins.indicator_count == 32
    names = [d.name for d in ins.domains]
    sourced = ["经济状况", "身体功能", "心理状态", "家庭支持"]
    assert names[:4] == sourced
    for d in ins.domains:
        assert (d.name in sourced) == (not d.illustrative), d.name
        if d.name in sourced:
            assert d.source.startswith("seed 000")
    assert "6大类32项" in ins.source and "四维一体" in ins.source


def test_changji_assessment_levels_and_needs(changji: Region) -> None:
    ins = changji.instrument
    indicators = {i.code: i for d in ins.domains for i in d.indicators}
    none = score(ins, dict.fromkeys(indicators, 0))
    assert none.total == 0 and none.level == "暂无明显服务需求" and none.recommended_items == []
    worst = score(ins, {code: len(i.options) - 1 for code, i in indicators.items()})
    assert worst.total == 70 and worst.level == "高需求"
    # every need rule points at the catalogue, and the worst case is offered all of them
    assert {n for rule in ins.needs for n in rule.items} <= set(worst.recommended_items)
    # a bedridden person living alone: life care and rehabilitation, not school help
    shenti = [i.code for d in ins.domains if d.code == "shenti" for i in d.indicators]
    answers = dict.fromkeys(indicators, 0) | {code: 2 for code in shenti}
    bedridden = score(ins, answers)
    assert bedridden.domain_scores["shenti"] == 12
    assert {"shangmen_zhaohu", "zhucan", "zhuyu", "kangfu_huli"} <= set(bedridden.recommended_items)
    assert "zhuxue" not in bedridden.recommended_items


# -- eligibility ----------------------------------------------------------------------------


def elig(pm: Any, region: Region, **facts: Any) -> tuple[bool, list[str]]:
    result = pm.hook.jiuzhu_eligibility(region=region, people=one(**facts), on=ON)
    return bool(result.eligible[0]), result.reasons(0)


def test_changji_six_groups_two_sourced(changji: Region) -> None:
    rules = changji.section("eligibility", EligibilityRules)
    assert rules is not None and rules.valid_from == date(2024, 10, 1)
    ids = [r.id for r in rules.include]
    assert ids == [
        "tekun",
        "kunjing_ertong",
        "dibao",
        "dibao_bianyuan",
        "zhongdu_canji",
        "linshi_jiuzhu",
    ]
    sourced = {r.id for r in rules.include if not r.illustrative}
    assert sourced == {"tekun", "kunjing_ertong"}
    assert all(r.source for r in rules.include)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"age": 72, "groups": frozenset({"特困", "分散供养特困"})}, "符合：特困人员"),
        ({"age": 12, "groups": frozenset({"困境儿童"})}, "符合：困境儿童"),
        ({"age": 45, "groups": frozenset({"低保"})}, "符合：低保对象"),
        (
            {"age": 50, "groups": frozenset({"防止返贫监测"})},
            "符合：低保边缘家庭成员或边缘易致贫户",
        ),
        ({"age": 30, "disability_grade": 2}, "符合：重度残疾人"),
        ({"age": 40, "groups": frozenset({"临时救助"})}, "符合：临时救助对象"),
    ],
)
def test_changji_eligible_with_reason(
    changji_pm: Any, changji: Region, facts: dict[str, Any], reason: str
) -> None:
    ok, reasons = elig(changji_pm, changji, **facts)
    assert ok and reasons[0].startswith(reason)


def test_changji_refusals_with_reason(changji_pm: Any, changji: Region) -> None:
    ok, reasons = elig(changji_pm, changji, age=40, disability_grade=4)
    assert not ok and reasons[0].startswith("不符合任何纳入条件")
    ok, reasons = elig(changji_pm, changji, age=19, groups=frozenset({"困境儿童"}))
    assert not ok
    ok, reasons = elig(changji_pm, changji, age=80, groups=frozenset({"特困", "集中供养特困"}))
    assert not ok and len(reasons) == 2
    assert reasons[0] == "符合：特困人员（含分散供养特困人员）"
    assert reasons[1].startswith("排除：已在供养机构集中供养")


def test_changji_eligibility_is_columnar(changji_pm: Any, changji: Region) -> None:
    people = Population.of(
        [
            PersonFacts(age=30 + i % 50, groups=frozenset({"低保"} if i % 2 else set()))
            for i in range(1000)
        ]
    )
    result = changji_pm.hook.jiuzhu_eligibility(region=changji, people=people, on=ON)
    assert int(result.eligible.sum()) == 500


# -- budget and funding ---------------------------------------------------------------------


def test_changji_single_tier_illustrative_budget(changji_pm: Any, changji: Region) -> None:
    budget = changji.section("budget", BudgetScheme)
    assert budget is not None
    (version,) = budget.versions
    assert version.illustrative and version.valid_from == date(2024, 10, 1)
    assert [(t.share_percent, t.opens) for t in version.tiers] == [(100, "grant")]
    rule = changji_pm.hook.jiuzhu_budget_rule(region=changji, on=ON)
    assert rule.caps() == [version.annual_fen] == [2000 * YUAN]
    spent = np.array([[0], [1900 * YUAN]], dtype=np.int64)
    alloc = rule.allocate(
        spent,
        np.zeros(2, dtype=np.int64),
        np.array([200 * YUAN, 200 * YUAN], dtype=np.int64),
        np.array(["kangfu_zhichi", "kangfu_zhichi"]),
    )
    assert list(alloc.tier) == [0, -1]
    assert alloc.refusal[0] is None and "超出当前可用额度" in (alloc.refusal[1] or "")


def test_changji_five_funding_sources_sum_to_100(changji_pm: Any, changji: Region) -> None:
    funding = changji.section("funding", FundingScheme)
    assert funding is not None
    assert [s.name for s in funding.sources] == [
        "上级资金争取一点",
        "相关单位按规定列支一点",
        "州本级财政资金与彩票公益金及残疾人就业保障金整合一点",
        "县市财政配套一点",
        "社会慈善力量捐赠一点",
    ]
    assert all(s.source.startswith("seed 000") for s in funding.sources)
    (version,) = funding.versions
    assert sum(version.shares.values()) == 100 and version.illustrative
    assert set(version.shares) == {s.code for s in funding.sources}
    rule = changji_pm.hook.jiuzhu_funding_rule(region=changji, on=ON)
    parts = rule.split(np.array([12345, 100 * YUAN]), np.array(["shenghuo_zhaohu"] * 2))
    assert parts.sum(axis=1).tolist() == [12345, 100 * YUAN]
    assert parts[1].tolist() == [version.shares[s] * YUAN for s in rule.sources]


# -- staffing, supervision, one form --------------------------------------------------------


def test_changji_staffing_12_1_3(changji: Region) -> None:
    staffing = changji.section("staffing", Staffing)
    assert staffing is not None
    assert (
        staffing.min_team_size,
        staffing.min_intermediate_social_workers,
        staffing.min_junior_social_workers,
    ) == (12, 1, 3)
    assert staffing.source.startswith("seed 001") and not staffing.illustrative


def test_changji_traffic_light_anchored_on_90_percent(changji_pm: Any, changji: Region) -> None:
    sup = changji.section("supervision", Supervision)
    assert sup is not None
    light = sup.traffic_light
    assert light.green_min_satisfied_percent == 90 and light.illustrative
    assert "92%" in light.source and "第三方评估" in light.source

    def stats(share: float) -> ProviderStats:
        return ProviderStats(
            provider_id=1, ratings=50, mean_score=4.5, satisfied_share=share, orders_done=50
        )

    judge = changji_pm.hook.jiuzhu_provider_light
    assert judge(region=changji, stats=stats(0.92)).code == Light.GREEN
    assert judge(region=changji, stats=stats(0.85)).code == Light.YELLOW
    assert judge(region=changji, stats=stats(0.60)).code == Light.RED


def test_changji_one_form_list_is_illustrative(changji: Region) -> None:
    policies = changji.section("policies", PolicyList)
    assert policies is not None
    assert len(policies.policies) == 10 and len(policies.departments) == 5
    assert [d.name for d in policies.departments][:4] == [
        "民政局",
        "残疾人联合会",
        "医疗保障局",
        "教育局",
    ]
    assert all(p.illustrative for p in policies.policies)
    assert "illustrative" in policies.source
    items = {i.code for i in changji.catalogue.items}
    opened = {code for p in policies.policies for code in p.opens_items}
    assert {"mianfei_jiesong", "tejiao_kangfu", "zhiye_jineng"} <= opened <= items
    student_aid = policies.policy("xuesheng_zizhu")
    assert student_aid.who is not None
    assert student_aid.who.mask(one(age=12, student=True)).tolist() == [True]
