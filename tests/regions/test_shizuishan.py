"""Shizuishan (石嘴山市): the one-form joint application and the region's sourced facts.

Loads the region alone and pins what seed 004 and DOMAIN.md say; illustrative values are
pinned only where a change should be deliberate (pre-tick rules, eligibility decisions).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

import jiuzhu.regions.shizuishan as shizuishan_plugin
from jiuzhu.core.assessment import score
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import load_region_dir, make_plugin_manager
from jiuzhu.core.regions import Region
from jiuzhu.plugins import compare as compare_mod
from jiuzhu.plugins import eligibility as eligibility_mod
from jiuzhu.plugins import funding as funding_mod
from jiuzhu.plugins import monitoring as monitoring_mod
from jiuzhu.plugins import one_form as one_form_mod
from jiuzhu.plugins import tiered_budget as tiered_budget_mod
from jiuzhu.plugins import traffic_light as traffic_light_mod
from jiuzhu.plugins.funding import FundingScheme
from jiuzhu.plugins.one_form.config import PolicyList

ON = date(2025, 8, 1)


@pytest.fixture(scope="module")
def szs_pm():
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
            ("shizuishan", shizuishan_plugin),
        ],
    )


@pytest.fixture(scope="module")
def szs(szs_pm):
    return load_region_dir(szs_pm, Path(shizuishan_plugin.__file__).parent / "data")


@pytest.fixture(scope="module")
def form(szs: Region) -> PolicyList:
    policies = szs.section("policies", PolicyList)
    assert policies is not None
    return policies


# ---------------- region and areas ----------------


def test_region_identity(szs):
    info = szs.info
    assert (info.id, info.name, info.code) == ("shizuishan", "石嘴山市", "640200")
    assert info.levels == ["市", "县区", "乡镇街道", "村社区"]
    assert "542万元" in info.summary
    assert "9000余人次" in info.summary
    assert "2.6万名" in info.summary


def test_districts_with_gbt2260_codes(szs):
    districts = {a.code: a.name for a in szs.info.areas if a.parent == "640200"}
    assert districts == {"640202": "大武口区", "640205": "惠农区", "640221": "平罗县"}
    assert "DOMAIN.md" in szs.info.area("640202").source
    for code in ("640205", "640221"):
        assert "GB/T 2260" in szs.info.area(code).source


def test_area_codes_are_consistent(szs):
    for area in szs.info.areas:
        level = szs.info.level_of(area.code)
        assert len(area.code) == {1: 6, 2: 9, 3: 12}[level], area
        prefix = area.parent[:4] if level == 1 else area.parent
        assert area.code.startswith(prefix), area
        if level > 1:
            assert area.illustrative, area
    # 朝阳街街道 (大武口区), where the one-form reform started in 2024
    chaoyang = next(a for a in szs.info.areas if a.name == "朝阳街街道")
    assert chaoyang.parent == "640202"
    assert "seed 004" in chaoyang.source
    # townships and communities in at least two districts
    for district in ("640202", "640205"):
        assert any(len(a.code) == 9 and a.parent == district for a in szs.info.areas)
        assert any(len(a.code) == 12 and a.code.startswith(district) for a in szs.info.areas)


# ---------------- one form: 43 policies of 14 departments ----------------


def test_form_counts(form):
    assert len(form.policies) == 43
    assert len(form.departments) == 14
    assert form.summary_text().endswith("43 policies of 14 departments")
    assert "一类事一次办" in form.name
    assert form.verification_visit


def test_every_policy_department_exists_and_every_department_is_used(form):
    depts = {d.code for d in form.departments}
    used = {p.department for p in form.policies}
    assert used <= depts
    assert used == depts


def test_sourced_departments(form):
    names = {d.name for d in form.departments}
    for name in (
        "民政局",
        "医疗保障局",
        "教育局",
        "残疾人联合会",
        "人力资源和社会保障局",
        "慈善联合会",
    ):
        assert name in names
    for code in ("mz", "yb", "jy", "cl"):
        assert "seed 004" in form.department(code).source


def test_sourced_policies_and_their_departments(form):
    expected = {
        "dibao": ("mz", "cash", "生活保障"),
        "linshi": ("mz", "cash", "生活保障"),
        "assistive_devices": ("cl", "in_kind", "残疾支持"),
        "disability_card": ("cl", "other", "残疾支持"),
        "charity_visit": ("cs", "in_kind", "其他"),
        "education_aid": ("jy", "cash", "教育救助"),
    }
    for code, (dept, kind, group) in expected.items():
        p = form.policy(code)
        assert (p.department, p.kind, p.group) == (dept, kind, group), code
        assert p.source.startswith("seed 004"), code
    assert "电动轮椅" in form.policy("assistive_devices").name


def test_policy_groups(form):
    groups = {p.group for p in form.policies}
    assert {"生活保障", "医疗救助", "残疾支持", "教育救助"} <= groups
    assert groups <= {"生活保障", "医疗救助", "残疾支持", "教育救助", "就业", "住房", "其他"}
    count = {g: sum(p.group == g for p in form.policies) for g in groups}
    assert count["生活保障"] >= 8
    assert count["医疗救助"] >= 6


def test_policy_documents_and_fields(form):
    two = form.policy("disability_allowances")
    assert "残疾人证" in two.documents
    assert "disability_cert_no" in two.fields
    field_labels = {f.code: f.label for f in form.fields}
    for code, label in [
        ("household_size", "家庭人口"),
        ("household_income", "家庭月收入"),
        ("housing", "住房情况"),
        ("has_student", "是否有在校学生"),
        ("disability_cert_no", "残疾人证号"),
    ]:
        assert field_labels[code] == label


def test_service_policies_open_catalogue_items(szs, form):
    items = {i.code for i in szs.catalogue.items}
    for p in form.policies:
        assert set(p.opens_items) <= items, p.code
        if p.kind == "service":
            assert p.opens_items or p.code == "family_doctor", p.code
    opened = {code for p in form.policies for code in p.opens_items}
    assert opened == items  # every catalogue item is reachable from the form
    assert form.policy("tekun_care").opens_items == ["tk_visit", "tk_care", "tk_plan"]


def _ticked(form: PolicyList, person: PersonFacts) -> set[str]:
    pop = Population.of([person])
    return {p.code for p in form.policies if p.who is not None and bool(p.who.mask(pop)[0])}


def test_pre_tick_li_dawei_household(form):
    # seed 004: a 37-year-old paralysed by kidney failure (no 残疾人证 yet), 低保 applicant
    li = PersonFacts(age=37, major_illness=True, household_size=4, income_per_capita_fen=50000)
    ticked = _ticked(form, li)
    assert {"dibao", "linshi", "medical_aid", "charity_visit", "red_cross_aid"} <= ticked
    assert "disability_allowances" not in ticked  # no card yet: the clerk suggests 残疾人证
    assert "dibao_edge" not in ticked
    # once he holds a grade-1 card, the disability policies tick too
    li_card = PersonFacts(
        age=37, major_illness=True, disability_grade=1, income_per_capita_fen=50000
    )
    ticked = _ticked(form, li_card)
    assert {"disability_allowances", "assistive_devices", "barrier_free"} <= ticked
    # and his two school-age daughters in a 低保 household get education aid
    girl = PersonFacts(age=8, student=True, groups=frozenset({"低保"}))
    assert {"education_aid", "compulsory_living", "hope_project"} <= _ticked(form, girl)


def test_pre_tick_rules(form):
    edge = PersonFacts(age=45, income_per_capita_fen=100000)
    assert _ticked(form, edge) == {"dibao_edge"}
    assert "dibao" not in _ticked(form, edge)
    tekun = PersonFacts(age=72, groups=frozenset({"特困", "分散供养特困"}), living_alone=True)
    assert {"tekun", "tekun_care", "home_eldercare", "medical_aid"} <= _ticked(form, tekun)
    mild = PersonFacts(age=30, disability_grade=4)
    ticked = _ticked(form, mild)
    assert {"disability_allowances", "assistive_devices", "assisted_employment"} <= ticked
    assert "barrier_free" not in ticked
    nobody = PersonFacts(age=40, income_per_capita_fen=300000)
    assert _ticked(form, nobody) == set()


# ---------------- catalogue: 9 categories ----------------


def test_catalogue_categories(szs):
    cats = szs.catalogue.categories
    assert len(cats) == 9
    names = {c.name for c in cats}
    assert {"未成年人保护", "精神障碍患者社区康复", "养老服务"} <= names
    sourced = {c.name for c in cats if c.source.startswith("seed 004")}
    assert sourced == {"未成年人保护", "精神障碍患者社区康复", "养老服务"}
    assert all(c.illustrative for c in cats if c.name not in sourced)


def test_catalogue_items(szs):
    items = szs.catalogue.items
    assert len(items) == 27
    for cat in szs.catalogue.categories:
        assert sum(i.category == cat.code for i in items) == 3
    for item in items:
        assert 3 <= len(item.standard) <= 6, item.code
        assert item.valid_from == date(2024, 7, 1)
        assert item.illustrative or item.price_illustrative, item.code  # no sourced price
    assert szs.catalogue.item("elder_clean").price_on(ON) == 8000
    assert "seed 004" in szs.catalogue.item("dis_aids").source
    assert "seed 004" in szs.catalogue.item("psy_music").source


# ---------------- assessment: material + psychological ----------------


def test_assessment_domains(szs):
    ins = szs.instrument
    assert [d.code for d in ins.domains] == ["material", "psych", "care", "develop"]
    assert [len(d.indicators) for d in ins.domains] == [5, 5, 3, 3]
    assert ins.indicator_count == 16
    assert ins.illustrative
    assert "多维贫困筛查模型" in ins.source


def test_double_need_household_is_flagged(szs):
    ins = szs.instrument
    # 杨凤's household (seed 004): low income and a daughter with depression
    answers = {i.code: 0 for d in ins.domains for i in d.indicators}
    answers.update(m_income=3, m_debt=2, m_education=1, p_mood=3, p_risk=3, p_stress=2, p_support=2)
    result = score(ins, answers)
    assert result.domain_scores["material"] >= 6
    assert result.domain_scores["psych"] >= 6
    assert {"link_charity", "psy_counselling", "psy_music", "minor_counselling"} <= set(
        result.recommended_items
    )
    nothing = score(ins, {i.code: 0 for d in ins.domains for i in d.indicators})
    assert nothing.recommended_items == []
    assert nothing.level == "暂无服务需求"


# ---------------- eligibility: 一老一小一残一困 ----------------


def _decide(pm, region, person: PersonFacts):
    result = pm.hook.jiuzhu_eligibility(region=region, people=Population.of([person]), on=ON)
    return bool(result.eligible[0]), result.reasons(0)


@pytest.mark.parametrize(
    ("person", "eligible", "reason"),
    [
        (PersonFacts(age=72, groups=frozenset({"分散供养特困"})), True, "符合：一老"),
        (PersonFacts(age=12, groups=frozenset({"困境儿童"})), True, "符合：一小"),
        (PersonFacts(age=45, groups=frozenset({"低保"}), disability_grade=4), True, "符合：一残"),
        # a severely disabled person outside a low-income household is not one of the
        # 困难群众 the focus groups are drawn from (seed 004)
        (PersonFacts(age=30, disability_grade=1), False, "不符合任何纳入条件"),
        (PersonFacts(age=40, groups=frozenset({"低保边缘"})), True, "符合：一困"),
        (PersonFacts(age=50), False, "不符合任何纳入条件"),
        (PersonFacts(age=35, disability_grade=4), False, "不符合任何纳入条件"),
    ],
)
def test_eligibility(szs_pm, szs, person, eligible, reason):
    ok, reasons = _decide(szs_pm, szs, person)
    assert ok is eligible
    assert reasons[0].startswith(reason)


def test_institutional_care_is_excluded(szs_pm, szs):
    person = PersonFacts(
        age=80, groups=frozenset({"集中供养特困"}), covered_by=frozenset({"集中供养"})
    )
    ok, reasons = _decide(szs_pm, szs, person)
    assert not ok
    assert reasons == [
        "符合：一老：60周岁及以上的低保、特困、低保边缘等低收入老年人",
        "排除：已集中供养或入住养老机构，由供养机构提供照料",
    ]


# ---------------- budget and funding ----------------


def test_budget_single_tier(szs_pm, szs):
    rule = szs_pm.hook.jiuzhu_budget_rule(region=szs, on=ON)
    assert rule.caps() == [120000]
    assert rule.version.illustrative
    spent = np.array([[100000]])
    ok = rule.allocate(spent, np.array([0]), np.array([20000]), np.array(["elder"]))
    assert ok.tier.tolist() == [0]
    over = rule.allocate(spent, np.array([0]), np.array([20001]), np.array(["elder"]))
    assert over.tier.tolist() == [-1]
    assert "本年度已无后续阶段" in over.refusal[0]


def test_funding_pool(szs):
    f = szs.section("funding", FundingScheme)
    assert f is not None
    assert "542万元" in f.name
    assert len(f.sources) == 6
    version = f.versions[0]
    assert sum(version.shares.values()) == 100
    assert version.illustrative
    assert "seed 004" in next(s for s in f.sources if s.code == "charity").source
