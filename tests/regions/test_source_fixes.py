"""Region data errors found by a policy check (issue 17, point 6), each pinned to the source
sentence that settles it, and no authoring notes in text users see.

Each test quotes the sentence of the seed article (``/work/shared/seeds/``) it rests on; the
data's own ``source`` field must quote it too, so the reason travels with the data.
"""

from __future__ import annotations

import re
from datetime import date

import msgspec
import pytest

from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions, load_regions
from jiuzhu.core.regions import Region
from jiuzhu.core.testing import all_builtin_plugins, plugin_manager
from jiuzhu.plugins.eligibility import EligibilityRules

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def regions() -> Regions:
    return load_regions(
        plugin_manager(*[p for p in all_builtin_plugins() if "regions" in p[1].__name__])
    )


def eligible(regions: Regions, region_id: str, *people: PersonFacts) -> list[bool]:
    region = regions.get(region_id)
    result = regions.eligibility(region, Population.of(list(people)), ON)
    return [bool(x) for x in result.eligible]


# -- Ordos: 分散供养特困人员 without condition ------------------------------------------------

ORDOS_WHO = "针对60周岁以下轻度残疾或患有重大疾病的低保对象，以及分散供养的特困人员"  # seed 002


def test_ordos_dispersed_tekun_are_admitted_whatever_their_grade(regions: Regions) -> None:
    """seed 002: "2024年初，东胜区针对60周岁以下轻度残疾或患有重大疾病的低保对象，以及分散供养的
    特困人员，给予每人每年价值1000元的服务类救助" — 分散供养特困 are listed without condition,
    so the exclusion of the severely disabled (who "也有相关健康管理") does not remove them."""
    tekun = frozenset({"特困", "分散供养特困"})
    people = [
        PersonFacts(age=45, groups=tekun, disability_grade=1),
        PersonFacts(age=45, groups=tekun, disability_grade=2, covered_by=frozenset({"健康管理"})),
        PersonFacts(age=72, groups=tekun, covered_by=frozenset({"居家养老"})),
        PersonFacts(age=72, groups=tekun | {"重度残疾"}, disability_grade=2),
    ]
    assert eligible(regions, "ordos", *people) == [True, True, True, True]
    # the exclusions still apply to 低保对象, as the seed says
    dibao = [
        PersonFacts(age=45, groups=frozenset({"低保"}), disability_grade=2, major_illness=True),
        PersonFacts(
            age=45,
            groups=frozenset({"低保"}),
            major_illness=True,
            covered_by=frozenset({"健康管理"}),
        ),
    ]
    assert eligible(regions, "ordos", *dibao) == [False, False]
    rules = regions.get("ordos").section("eligibility", EligibilityRules)
    assert rules is not None
    tekun_rule = next(r for r in rules.include if r.id == "dispersed_tekun")
    assert not tekun_rule.any and len(tekun_rule.all) == 1  # no condition beyond the group
    assert "分散供养的特困人员" in tekun_rule.source


# -- Changji: 免费接送 and 喘息服务 -------------------------------------------------------------

JIESONG = "如，吉木萨尔县为低保家庭学生提供免费接送服务。"  # seed 000
CHUANXI = "呼图壁县重点开展残疾人家庭喘息服务"  # seed 000


def who(region: Region, code: str, *people: PersonFacts) -> list[bool]:
    mask = region.catalogue.item(code).who.mask(Population.of(list(people)))
    return [bool(x) for x in mask]


def test_changji_school_transport_is_for_dibao_students_in_jimsar(regions: Regions) -> None:
    changji = regions.get("changji")
    item = changji.catalogue.item("mianfei_jiesong")
    assert JIESONG in item.source
    dibao = frozenset({"低保"})
    assert who(
        changji,
        "mianfei_jiesong",
        PersonFacts(age=12, student=True, groups=dibao, area_code="652327100"),
        PersonFacts(age=12, student=True, groups=dibao, area_code="652301001"),  # 昌吉市
        PersonFacts(age=12, student=True, area_code="652327100"),  # not a 低保 family
        PersonFacts(age=12, student=False, groups=dibao, area_code="652327100"),
    ) == [True, False, False, False]


def test_changji_respite_is_for_families_of_disabled_people_of_any_grade(regions: Regions) -> None:
    changji = regions.get("changji")
    assert CHUANXI in changji.catalogue.item("chuanxi").source
    assert who(
        changji,
        "chuanxi",
        *(PersonFacts(age=40, disability_grade=g) for g in (1, 2, 3, 4, 0)),
    ) == [True, True, True, True, False]
    assert "重度" not in changji.catalogue.item("chuanxi").description


# -- Binzhou: 居家打扫 under an hour ------------------------------------------------------------

UNDER_AN_HOUR = "不到一小时，理发、打扫等服务都完成了"  # seed 002


def test_binzhou_cleaning_takes_under_an_hour(regions: Regions) -> None:
    item = regions.get("binzhou").catalogue.item("BZ-JJ-04")
    assert item.name == "居家打扫"
    assert UNDER_AN_HOUR in item.source
    assert 0 < item.minutes_per_unit < 60


# -- Shizuishan: 一残 is a group of 困难群众 ---------------------------------------------------

KUNNAN = "困难群众对生活照料、精神慰藉、能力提升等服务诉求日益突出"  # seed 004
FOCUS = "聚焦“一老一小一残一困”重点群体"  # seed 004


def test_shizuishan_yican_admits_only_low_income_disabled_people(regions: Regions) -> None:
    rules = regions.get("shizuishan").section("eligibility", EligibilityRules)
    assert rules is not None
    yican = next(r for r in rules.include if r.id == "yican")
    assert KUNNAN in yican.source and FOCUS in yican.source
    assert eligible(
        regions,
        "shizuishan",
        PersonFacts(age=40, disability_grade=1),  # severely disabled, not poor
        PersonFacts(age=40, disability_grade=2, groups=frozenset({"重度残疾"})),
        PersonFacts(age=40, disability_grade=3, groups=frozenset({"低保边缘"})),
        PersonFacts(age=40, disability_grade=1, groups=frozenset({"低保"})),
    ) == [False, False, True, True]


# -- no authoring notes in text users see -------------------------------------------------

# Prose fields shown to clerks, workers and recipients (names of placeholders may say 示例).
PROSE = {"description", "summary", "purpose", "label", "help", "reason", "standard"}
NOTE = re.compile(r"seed|DOMAIN|康玉梅|inferred|illustrative|示例|推定|来源具名|为示例")


def prose(obj: object, path: str, field: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(obj, msgspec.Struct):
        for name in obj.__struct_fields__:
            out += prose(getattr(obj, name), f"{path}.{name}", name)
    elif isinstance(obj, list | tuple):
        for i, x in enumerate(obj):
            key = getattr(x, "code", None) or getattr(x, "id", None) or i
            out += prose(x, f"{path}[{key}]", field)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += prose(v, f"{path}.{k}", field)
    elif isinstance(obj, str) and field in PROSE:
        out.append((path, obj))
    return out


# -- public standards beyond the seeds ------------------------------------------------------

GBT26341 = "GB/T 26341-2010: 残疾四级为轻度（三级为中度）"


def test_ordos_mild_disability_is_grade_four(regions: Regions) -> None:
    """GB/T 26341-2010《残疾人残疾分类和分级》: 一级 极重度, 二级 重度, 三级 中度, 四级 轻度.
    The seed's "60周岁以下轻度残疾……的低保对象" therefore admits grade 4, not grade 3."""
    dibao = frozenset({"低保"})
    assert eligible(
        regions,
        "ordos",
        PersonFacts(age=40, groups=dibao, disability_grade=4),
        PersonFacts(age=40, groups=dibao, disability_grade=3),
    ) == [True, False]
    rules = regions.get("ordos").section("eligibility", EligibilityRules)
    assert rules is not None
    rule = next(r for r in rules.include if r.id == "dibao_mild_disability")
    assert GBT26341 in rule.source


TEKUN_LAW = "《社会救助暂行办法》第十四条"


def test_changji_tekun_pre_tick_follows_the_three_nos(regions: Regions) -> None:
    """《社会救助暂行办法》第十四条: 特困人员供养 is for "无劳动能力、无生活来源且无法定赡养、抚养、
    扶养义务人……的老年人、残疾人以及未满16周岁的未成年人" — not for whoever lives alone."""
    from jiuzhu.plugins.one_form.config import PolicyList

    plist = regions.get("changji").section("policies", PolicyList)
    assert plist is not None
    tekun = next(p for p in plist.policies if p.code == "tekun")
    assert tekun.who is not None and TEKUN_LAW in tekun.source
    people = [
        PersonFacts(age=70, living_alone=True, income_per_capita_fen=0),  # old, no income
        PersonFacts(age=70, living_alone=True, income_per_capita_fen=80_000),  # has income
        PersonFacts(age=40, living_alone=True, income_per_capita_fen=0),  # able-bodied adult
        PersonFacts(age=40, disability_grade=1, income_per_capita_fen=0),  # disabled, no income
        PersonFacts(age=12, income_per_capita_fen=0),  # a child without support
    ]
    ticked = tekun.who.mask(Population.of(people)).tolist()
    assert ticked == [True, False, False, True, True]


def test_no_authoring_notes_in_user_visible_text(regions: Regions) -> None:
    found = []
    for region in regions:
        parts: dict[str, object] = {
            "region": region.info,
            "catalogue": region.catalogue,
            "assessment": region.instrument,
            **region.sections,  # budget, funding, time_floor …: the plugins' files
        }
        for name, part in parts.items():
            for path, text in prose(part, f"{region.id}.{name}"):
                if NOTE.search(text):
                    found.append(f"{path}: {text}")
    assert found == []


def test_the_note_check_catches_a_note() -> None:
    class Item(msgspec.Struct):
        description: str
        source: str

    notes = [
        p
        for p, t in prose(
            [Item(description="全屋清洁。康玉梅第一阶段所选。", source="seed 002")], "x"
        )
        if NOTE.search(t)
    ]
    assert notes == ["x[0].description"]
