"""Ordos (鄂尔多斯市, 东胜区): the region loaded alone, its sourced facts pinned, and seed 002's
worked example (康玉梅) walked through the 40/40/20 budget rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jiuzhu.plugins.compare as compare_mod
import jiuzhu.plugins.eligibility as eligibility_mod
import jiuzhu.plugins.funding as funding_mod
import jiuzhu.plugins.one_form as one_form_mod
import jiuzhu.plugins.tiered_budget as tiered_budget_mod
import jiuzhu.plugins.traffic_light as traffic_light_mod
import jiuzhu.regions.ordos as ordos_plugin
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import load_region_dir, make_plugin_manager
from jiuzhu.core.regions import Region
from jiuzhu.plugins.funding import FundingScheme
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.traffic_light import Supervision

ON = date(2025, 6, 1)
YUAN = 100  # fen


@pytest.fixture(scope="module")
def ordos_pm() -> Any:
    return make_plugin_manager(
        entry_points=False,
        plugins=[
            ("eligibility", eligibility_mod),
            ("funding", funding_mod),
            ("tiered_budget", tiered_budget_mod),
            ("traffic_light", traffic_light_mod),
            ("one_form", one_form_mod),
            ("compare", compare_mod),
            ("ordos", ordos_plugin),
        ],
    )


@pytest.fixture(scope="module")
def ordos(ordos_pm: Any) -> Region:
    assert ordos_plugin.__file__ is not None
    return load_region_dir(ordos_pm, Path(ordos_plugin.__file__).parent / "data")


# -- identity and areas ---------------------------------------------------------------------


def test_ordos_identity(ordos: Region) -> None:
    info = ordos.info
    assert (info.id, info.name, info.code) == ("ordos", "鄂尔多斯市", "150600")
    assert info.area("150602") is not None and info.area_name("150602") == "东胜区"
    assert info.area("150602").source.startswith("DOMAIN.md")  # type: ignore[union-attr]
    # 永兴社区 (seed 002) sits under 东胜区
    yongxing = next(a for a in info.areas if a.name == "永兴社区")
    assert "150602" in info.ancestors(yongxing.code)
    assert info.level_of(yongxing.code) == 3
    for fact in ("607", "2.09万", "凯霖社会工作服务中心", "1000元", "40%、40%、20%"):
        assert fact in info.summary


# -- catalogue ------------------------------------------------------------------------------


def test_ordos_catalogue_counts_and_categories(ordos: Region) -> None:
    cat = ordos.catalogue
    assert [c.name for c in cat.categories] == ["保基本", "去困扰", "促发展", "增质效"]
    assert all(c.source.startswith("seed 002") for c in cat.categories)
    assert len(cat.items) == 40  # "服务事项约有40项"
    counts = {c.code: sum(i.category == c.code for i in cat.items) for c in cat.categories}
    assert counts == {"basic": 13, "relief": 11, "develop": 8, "quality": 8}
    assert all(3 <= len(i.standard) <= 6 for i in cat.items)
    assert all(i.source or i.illustrative for i in cat.items)


@pytest.mark.parametrize(
    ("code", "name", "category"),
    [
        ("festival_visit", "节庆慰问", "relief"),
        ("deep_clean", "全屋清洁", "basic"),
        ("massage", "按摩理疗", "relief"),
        ("job_linking", "就业能力提升与资源链接", "quality"),
        ("home_haircut", "上门理发", "basic"),
        ("rehab_physio", "康复理疗", "relief"),
        ("job_training", "就业培训", "develop"),
        ("bath_assist", "助浴", "basic"),
        ("meal_assist", "助餐", "basic"),
        ("psych_counselling", "心理疏导", "relief"),
        ("resource_linking", "资源链接", "quality"),
        ("flexible_employment", "灵活就业对接", "quality"),
    ],
)
def test_ordos_sourced_items(ordos: Region, code: str, name: str, category: str) -> None:
    item = ordos.catalogue.item(code)
    assert (item.name, item.category) == (name, category)
    assert item.source.startswith("seed 002") and not item.illustrative


def test_ordos_sourced_prices(ordos: Region) -> None:
    cat = ordos.catalogue
    # the two prices seed 002 gives
    assert cat.item("festival_visit").price_on(ON) == 300 * YUAN
    assert cat.item("deep_clean").price_on(ON) == 100 * YUAN
    assert not cat.item("festival_visit").price_illustrative
    assert not cat.item("deep_clean").price_illustrative
    # sourced names with illustrative prices chosen so the worked example fits
    assert cat.item("massage").price_on(ON) == 80 * YUAN and cat.item("massage").price_illustrative
    assert cat.item("job_linking").price_on(ON) <= 200 * YUAN
    assert cat.item("job_linking").price_illustrative


# -- eligibility ----------------------------------------------------------------------------


def _decide(pm: Any, region: Region, people: list[PersonFacts]) -> Any:
    return pm.hook.jiuzhu_eligibility(region=region, people=Population.of(people), on=ON)


def test_ordos_eligibility(ordos_pm: Any, ordos: Region) -> None:
    people = [
        # 0 康玉梅: 低保, 左手四级残疾
        PersonFacts(age=50, groups=frozenset({"低保", "残疾"}), disability_grade=4),
        # 1 低保 under 60 with a major illness
        PersonFacts(age=45, groups=frozenset({"低保"}), major_illness=True),
        # 2 分散供养特困
        PersonFacts(age=52, groups=frozenset({"特困", "分散供养特困"})),
        # 3 低保 over 60 with a mild disability: served by home elderly care
        PersonFacts(age=66, groups=frozenset({"低保"}), disability_grade=3),
        # 4 低保 under 60, grade-2 disability: served by health management
        PersonFacts(age=40, groups=frozenset({"低保", "重度残疾"}), disability_grade=2),
        # 5 低保 under 60, no disability, no major illness
        PersonFacts(age=35, groups=frozenset({"低保"})),
        # 6 低保边缘 with a mild disability: not a target group
        PersonFacts(age=40, groups=frozenset({"低保边缘"}), disability_grade=4),
        # 7 分散供养特困 already covered by home elderly care: listed without condition
        PersonFacts(
            age=70, groups=frozenset({"特困", "分散供养特困"}), covered_by=frozenset({"居家养老"})
        ),
        # 8 低保, grade 3 under 60: 中度, not 轻度 (GB/T 26341-2010: 三级 is 中度, 四级 轻度)
        PersonFacts(age=59, groups=frozenset({"低保"}), disability_grade=3),
        # 9 低保, grade 4 (轻度), under 60: eligible
        PersonFacts(age=59, groups=frozenset({"低保"}), disability_grade=4),
    ]
    result = _decide(ordos_pm, ordos, people)
    assert result.eligible.tolist() == [
        True, True, True, False, False, False, False, True, False, True
    ]  # fmt: skip
    assert result.reasons(0) == ["符合：60周岁以下、轻度残疾（残疾人证四级）的低保对象"]
    assert result.reasons(1) == ["符合：60周岁以下、患有重大疾病的低保对象"]
    assert result.reasons(2) == ["符合：分散供养特困人员"]
    assert "排除：60周岁以上低保对象已享受居家养老上门服务，不重复纳入" in result.reasons(3)
    assert result.reasons(4) == [
        "不符合任何纳入条件："
        "60周岁以下、轻度残疾（残疾人证四级）的低保对象；"
        "60周岁以下、患有重大疾病的低保对象；分散供养特困人员",
        "排除：重度残疾（残疾人证一、二级）的低保对象已有健康管理服务，不重复纳入",
    ]
    assert result.reasons(5)[0].startswith("不符合任何纳入条件")
    assert len(result.reasons(5)) == 1
    assert result.reasons(6)[0].startswith("不符合任何纳入条件")
    assert result.reasons(7) == ["符合：分散供养特困人员"]


def test_ordos_severe_disability_excluded_even_when_qualifying(
    ordos_pm: Any, ordos: Region
) -> None:
    # a 低保 under 60 with a major illness and a grade-1 disability qualifies, but the
    # severely disabled are already in health management (seed 002)
    person = PersonFacts(age=45, groups=frozenset({"低保"}), disability_grade=1, major_illness=True)
    # a 分散供养特困 with a grade-1 disability: listed without condition, so admitted
    tekun = PersonFacts(age=45, groups=frozenset({"分散供养特困"}), disability_grade=1)
    result = _decide(ordos_pm, ordos, [person, tekun])
    assert result.eligible.tolist() == [False, True]
    assert result.reasons(0) == [
        "符合：60周岁以下、患有重大疾病的低保对象",
        "排除：重度残疾（残疾人证一、二级）的低保对象已有健康管理服务，不重复纳入",
    ]
    assert result.reasons(1) == ["符合：分散供养特困人员"]


# -- budget: 1,000 yuan, 40/40/20 -----------------------------------------------------------


def test_ordos_budget_caps(ordos_pm: Any, ordos: Region) -> None:
    rule = ordos_pm.hook.jiuzhu_budget_rule(region=ordos, on=ON)
    assert rule.version.annual_fen == 1000 * YUAN
    assert [t.share_percent for t in rule.version.tiers] == [40, 40, 20]
    assert rule.caps() == [400 * YUAN, 400 * YUAN, 200 * YUAN]
    assert [t.opens for t in rule.version.tiers] == ["grant", "review", "review"]
    assert all(t.leftover == "carry" for t in rule.version.tiers)
    assert rule.version.source.startswith("seed 002")
    # no scheme before the pilot began (2024年初)
    with pytest.raises(LookupError):
        ordos_pm.hook.jiuzhu_budget_rule(region=ordos, on=date(2023, 12, 31))


def _one(rule: Any, spent: list[int], reviews: int, amount: int, category: str) -> Any:
    return rule.allocate(
        np.array([spent], dtype=np.int64),
        np.array([reviews], dtype=np.int64),
        np.array([amount], dtype=np.int64),
        np.array([category]),
    )


def test_ordos_kang_yumei_worked_example(ordos_pm: Any, ordos: Region) -> None:
    """Seed 002: 康玉梅's 1,000 yuan, chosen 40% / 40% / 20%."""
    rule = ordos_pm.hook.jiuzhu_budget_rule(region=ordos, on=ON)
    cat = ordos.catalogue
    spent = [0, 0, 0]
    reviews = 0

    def buy(code: str, units: int = 1) -> int:
        item = cat.item(code)
        amount = item.price_on(ON) * units
        alloc = _one(rule, spent, reviews, amount, item.category)
        tier = int(alloc.tier[0])
        assert tier >= 0, alloc.refusal[0]
        assert alloc.refusal[0] is None
        spent[tier] += amount
        return tier

    # stage 1 (40% = 400 yuan): 节庆慰问 300 + 全屋清洁 100
    assert buy("festival_visit") == 0
    # an order too big for what is left of stage 1 is refused, naming the stage and the rest
    too_big = _one(rule, spent, reviews, 2 * cat.item("massage").price_on(ON), "relief")
    assert int(too_big.tier[0]) == -1
    msg = too_big.refusal[0]
    assert msg is not None
    assert "本单160.00元超出当前可用额度" in msg
    assert "第一阶段（40%）剩余100.00元" in msg
    assert "下一阶段第二阶段：完成第1次阶段评估（回访或复评）后开放" in msg
    assert buy("deep_clean") == 0
    assert spent == [400 * YUAN, 0, 0]

    # stage 2 is closed until the first stage review
    closed = _one(rule, spent, reviews, cat.item("massage").price_on(ON), "relief")
    assert int(closed.tier[0]) == -1
    assert "第一阶段（40%）剩余0.00元" in str(closed.refusal[0])
    assert "下一阶段第二阶段" in str(closed.refusal[0])
    current, available = rule.available(np.array([spent]), np.array([reviews]))
    assert int(current[0]) == 0 and available[0].tolist() == [0, 0, 0]

    # stage 2 (40% = 400 yuan) after a return visit: 按摩理疗 80 yuan x 5
    reviews = 1
    current, available = rule.available(np.array([spent]), np.array([reviews]))
    assert int(current[0]) == 1 and available[0].tolist() == [0, 400 * YUAN, 0]
    for _ in range(5):
        assert buy("massage") == 1
    assert spent == [400 * YUAN, 400 * YUAN, 0]
    sixth = _one(rule, spent, reviews, cat.item("massage").price_on(ON), "relief")
    assert int(sixth.tier[0]) == -1
    assert "下一阶段第三阶段：完成第2次阶段评估（回访或复评）后开放" in str(sixth.refusal[0])

    # stage 3 (20% = 200 yuan) after the second review: 就业能力提升与资源链接
    reviews = 2
    assert buy("job_linking") == 2
    assert spent == [400 * YUAN, 400 * YUAN, 200 * YUAN]
    assert sum(spent) == 1000 * YUAN
    current, available = rule.available(np.array([spent]), np.array([reviews]))
    assert int(current[0]) == 2 and available[0].tolist() == [0, 0, 0]


def test_ordos_stage_categories_and_carry(ordos_pm: Any, ordos: Region) -> None:
    rule = ordos_pm.hook.jiuzhu_budget_rule(region=ordos, on=ON)
    # stage 1 buys 保基本 and 去困扰, not 增质效
    assert rule.allows("basic") == [True, True, False]
    assert rule.allows("relief") == [True, True, False]
    assert rule.allows("develop") == [False, True, True]
    assert rule.allows("quality") == [False, False, True]
    refused = _one(rule, [0, 0, 0], 0, 200 * YUAN, "quality")
    assert int(refused.tier[0]) == -1
    assert "不可用于「增质效」类服务（限保基本、去困扰）" in str(refused.refusal[0])
    # stage 3 does not buy 去困扰 items
    late = _one(rule, [400 * YUAN, 400 * YUAN, 0], 2, 80 * YUAN, "relief")
    assert int(late.tier[0]) == -1
    # leftover carries: 100 yuan unspent in stage 1 joins stage 2 after the review
    _, available = rule.available(np.array([[300 * YUAN, 0, 0]]), np.array([1]))
    assert available[0].tolist() == [0, 500 * YUAN, 0]


def test_ordos_budget_columnar(ordos_pm: Any, ordos: Region) -> None:
    """The same rule over many people at once (the comparison's speed)."""
    rule = ordos_pm.hook.jiuzhu_budget_rule(region=ordos, on=ON)
    spent = np.array([[0, 0, 0], [300 * YUAN, 0, 0], [400 * YUAN, 0, 0], [400 * YUAN, 0, 0]])
    reviews = np.array([0, 0, 0, 1])
    amount = np.array([300 * YUAN, 100 * YUAN, 80 * YUAN, 80 * YUAN])
    alloc = rule.allocate(spent, reviews, amount, np.array(["relief", "basic", "relief", "relief"]))
    assert alloc.tier.tolist() == [0, 0, -1, 1]


# -- funding, assessment, one form, supervision, staffing -----------------------------------


def test_ordos_funding(ordos_pm: Any, ordos: Region) -> None:
    scheme = ordos.section("funding", FundingScheme)
    assert scheme is not None
    assert [s.code for s in scheme.sources] == [
        "central_region",
        "city",
        "district",
        "lottery",
        "disability_fund",
    ]
    assert all(s.illustrative for s in scheme.sources)  # the seed gives no funding sources
    rule = ordos_pm.hook.jiuzhu_funding_rule(region=ordos, on=ON)
    parts = rule.split(np.array([1000 * YUAN, 100 * YUAN]), np.array(["relief", "develop"]))
    assert parts.sum(axis=1).tolist() == [1000 * YUAN, 100 * YUAN]
    assert parts[0].tolist() == [40000, 20000, 30000, 10000, 0]
    assert parts[1].tolist() == [3000, 2000, 2000, 1000, 2000]


def test_ordos_assessment(ordos: Region) -> None:
    from jiuzhu.core.assessment import score

    ins = ordos.instrument
    assert ins.illustrative
    assert [d.name for d in ins.domains] == [
        "生活照料",
        "身心健康",
        "家庭与社会支持",
        "就业与能力",
        "资源与发展",
    ]
    assert ins.indicator_count == 17
    assert [lv.name for lv in ins.levels] == ["重点需求", "一般需求", "基础需求"]
    # 康玉梅: manages housework, back pain, husband after a stroke, wants to learn a trade
    answers = {i.code: 0 for d in ins.domains for i in d.indicators}
    answers |= {"housework": 1, "pain": 2, "care_burden": 2, "job_will": 3, "skills": 2}
    answers |= {"work_status": 2, "self_reliance": 2}
    scored = score(ins, answers)
    assert scored.domain_scores["health"] == 2
    assert {"massage", "festival_visit", "job_linking"} <= set(scored.recommended_items)
    assert "bath_assist" not in scored.recommended_items


def test_ordos_one_form(ordos: Region) -> None:
    policies = ordos.section("policies", PolicyList)
    assert policies is not None
    assert len(policies.policies) == 12 and len(policies.departments) == 6
    names = {p.name for p in policies.policies}
    for wanted in ("最低生活保障", "特困人员救助供养", "临时救助", "医疗救助", "教育救助"):
        assert wanted in names
    assert any(n.startswith("残疾人两项补贴") for n in names)
    assert any(n.startswith("就业援助") for n in names)
    service = policies.policy("service_relief")
    assert service.kind == "service" and service.source.startswith("seed 002")
    assert len(service.opens_items) == 40
    # every service policy names what it opens, unless it is a programme outside the catalogue
    for p in policies.policies:
        if p.kind == "service" and not p.opens_items:
            assert p.code in {"home_elderly_care", "severe_disability_health"}
    assert policies.policy("employment_aid").opens_items


def test_ordos_supervision_and_staffing(ordos: Region) -> None:
    from jiuzhu.plugins.compare.config import Staffing

    sup = ordos.section("supervision", Supervision)
    assert sup is not None and sup.traffic_light.illustrative
    staffing = ordos.section("staffing", Staffing)
    assert staffing is not None and staffing.illustrative
