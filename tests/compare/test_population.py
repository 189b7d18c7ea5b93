"""The synthetic population: seeded, settable, streamed in blocks, and coherent (issue 17
point 1: statuses exclusive as the rules define them, income conditioned on status, disability
grade and type, needs conditioned on age, disability and illness)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from jiuzhu.core.base import Invalid
from jiuzhu.core.facts import FACT_KINDS, bitmask
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import (
    BLOCK,
    DISABILITY_TYPES,
    STATUSES,
    ByHeadAge,
    NeedDist,
    PopulationSettings,
    concat,
    generate,
    households,
    load_settings,
)
from jiuzhu.plugins.compare.population_config import render
from jiuzhu.plugins.compare.roster import read_roster, write_template

FACTS = tuple(FACT_KINDS)


def has(groups: np.ndarray, name: str) -> np.ndarray:
    result: np.ndarray = np.asarray((groups & bitmask("groups", [name])) != 0)
    return result


@pytest.fixture(scope="module")
def big() -> object:
    return generate(PopulationSettings(people=60_000, seed=3))


def test_same_seed_same_population() -> None:
    a = generate(PopulationSettings(people=5000, seed=42))
    b = generate(PopulationSettings(people=5000, seed=42))
    for fact in FACTS:
        assert np.array_equal(a.population.column(fact), b.population.column(fact)), fact
    assert np.array_equal(a.needs, b.needs)
    assert a.info == b.info and a.info.seed == 42


def test_other_seed_other_population() -> None:
    a = generate(PopulationSettings(people=2000, seed=1))
    b = generate(PopulationSettings(people=2000, seed=2))
    assert not np.array_equal(a.population.age, b.population.age)


def test_streamed_in_blocks_whatever_the_chunk_size() -> None:
    people = generate(PopulationSettings(people=BLOCK + 5000, seed=7))
    for size in (1000, 40_000, BLOCK, 10**6):
        parts = list(people.chunks(size))
        assert all(len(p) <= size for p, _ in parts)
        pop, needs = concat(parts)
        assert np.array_equal(needs, people.needs), size
        assert np.array_equal(pop.age, people.population.age), size
    # a block drawn alone is the same people (a partition of a distributed run)
    pop1, needs1 = people.block(1)
    assert np.array_equal(pop1.age, people.population.age[BLOCK:])
    assert np.array_equal(needs1, people.needs[BLOCK:])


def test_statuses_are_exclusive(big: object) -> None:
    g = big.population.groups  # type: ignore[attr-defined]
    count = np.sum([has(g, s).astype(int) for s in STATUSES], axis=0)
    assert (count == 1).all()  # exactly one status each
    assert not (has(g, "特困") & has(g, "低保")).any()  # 特困 excludes 低保
    assert not (has(g, "低保边缘") & has(g, "低保")).any()
    tekun = has(g, "特困")
    sub = has(g, "分散供养特困") ^ has(g, "集中供养特困")
    assert np.array_equal(tekun, sub)  # each 特困 is either 分散 or 集中供养


def test_tekun_only_where_the_rules_allow(big: object) -> None:
    p = big.population  # type: ignore[attr-defined]
    tekun = has(p.groups, "特困")
    allowed = (p.age >= 60) | (p.age < 16) | np.isin(p.disability_grade, [1, 2])
    assert tekun.any() and not (tekun & ~allowed).any()
    assert (p.household_size[tekun] == 1).all()  # no one to share a household with
    central = has(p.groups, "集中供养特困")
    assert ((p.covered_by[central] & bitmask("covered_by", ["集中供养"])) != 0).all()
    assert not p.living_alone[central].any()  # they live in an institution


def test_income_is_conditioned_on_status(big: object) -> None:
    p = big.population  # type: ignore[attr-defined]
    line = PopulationSettings().dibao_line_fen
    income = p.income_per_capita_fen
    assert (income[has(p.groups, "低保")] < line).all()
    edge = income[has(p.groups, "低保边缘")]
    assert (edge >= line).all() and (edge < 1.5 * line).all()  # 低保边缘: 1 to 1.5 x the line
    assert (income[has(p.groups, "特困")] < 0.3 * line).all()


def test_disability_grade_and_type(big: object) -> None:
    p = big.population  # type: ignore[attr-defined]
    types = p.extra["disability_type"]
    assert np.array_equal(types > 0, p.disability_grade > 0)  # a type iff a grade
    assert np.array_equal(has(p.groups, "重度残疾"), np.isin(p.disability_grade, [1, 2]))
    assert np.array_equal(has(p.groups, "残疾"), p.disability_grade > 0)
    limb = (types == DISABILITY_TYPES.index("肢体") + 1).sum() / (types > 0).sum()
    assert abs(limb - 0.2907) < 0.02  # the 2006 survey's share
    elderly = (p.disability_grade[p.age >= 60] > 0).mean()
    child = (p.disability_grade[p.age < 18] > 0).mean()
    assert elderly > child  # by age group


def test_needs_are_conditioned(big: object) -> None:
    people: Any = big
    p, needs = people.population, people.needs
    types = p.extra["disability_type"]
    aid = needs[:, KINDS.index("辅具适配")] > 0
    fits = np.isin(types, [DISABILITY_TYPES.index(t) + 1 for t in ("肢体", "视力", "听力", "多重")])
    assert aid.any() and not (aid & ~fits).any()
    study = needs[:, KINDS.index("助学")] > 0
    assert study.any() and not (study & ~p.student).any()
    job = needs[:, KINDS.index("就业链接")]
    assert (job[(p.age >= 60) | (p.age < 18)] == 0).all()
    rehab = needs[:, KINDS.index("康复")] > 0
    limb = types == DISABILITY_TYPES.index("肢体") + 1
    assert rehab[limb].mean() > 3 * rehab[p.disability_grade == 0].mean()


def test_settings_shape_the_population() -> None:
    only = {name: ByHeadAge(working=0, elderly=0) for name in STATUSES}
    only["低保边缘"] = ByHeadAge(working=1, elderly=1)
    s = PopulationSettings(
        people=3000,
        seed=5,
        statuses=only,
        needs={"助餐": NeedDist(share=1.0, mean_units=3, max_units=5)},
    )
    people = generate(s)
    assert has(people.population.groups, "低保边缘").all()
    meals = people.needs[:, KINDS.index("助餐")]
    assert (meals >= 1).all() and (meals <= 5).all()
    assert (np.delete(people.needs, KINDS.index("助餐"), axis=1) == 0).all()


def test_settings_from_toml(tmp_path: Path) -> None:
    f = tmp_path / "pop.toml"
    f.write_text(
        "people = 123\nseed = 9\ndibao_line_fen = 80000\n"
        '[needs."康复"]\nshare = 0.3\nmean_units = 6\nfactors = { limb = 2.0 }\n',
        encoding="utf-8",
    )
    s = load_settings(f)
    assert s.people == 123 and s.seed == 9 and s.dibao_line_fen == 80000
    assert s.needs["康复"].factors == {"limb": 2.0}
    assert len(generate(s)) == 123


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("peeple = 3\n", "peeple"),
        ('[statuses."低宝"]\nworking = 1\nelderly = 1\n', "低宝"),
        ('[household_sizes]\n"特困" = [1.0]\n', "household_sizes"),
        ("[[head_ages]]\nmin = 10\nmax = 30\nweight = 1\n", "18 or older"),
        ('[needs."飞行"]\nshare = 0.1\n', "飞行"),
        ('[needs."助餐"]\nshare = 1.5\n', "share"),
        ('[needs."助餐"]\nshare = 0.5\nfactors = { tall = 2.0 }\n', "tall"),
        ('[income_bands]\n"低保" = [1.0, 0.5]\n', "income_bands"),
        ('[sources]\nweather = "x"\n', "weather"),
        ("people = \n", "pop.toml"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "pop.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(Invalid) as err:
        load_settings(f)
    assert err.value.field == "--population-config"
    assert fragment in str(err.value)


def test_written_config_documents_every_distribution_and_reads_back(tmp_path: Path) -> None:
    s = PopulationSettings(people=777, seed=4)
    text = render(s)
    assert msgspec.toml.decode(text.encode(), type=PopulationSettings) == s
    for name in s.__struct_fields__:
        if name in ("people", "seed", "sources"):
            continue
        block = text[text.index(f"# {name}:") :].splitlines()
        assert block[1].startswith("#   source:") or "illustrative" in block[1], name
    assert "#   source: 第二次全国残疾人抽样调查" in text  # disability types are sourced
    assert "# dibao_line_fen:" in text and "illustrative (no source)" in text


def test_roster_template_reads_back(tmp_path: Path) -> None:
    for name in ("template.csv", "template.xlsx"):
        path = tmp_path / name
        write_template(path)
        people = read_roster(path)
        assert len(people) == 2 and people.ids == ["示例1", "示例2"]
        household, head = households(people.population)
        assert household[0] == household[1] and head.tolist() == [True, False]
        assert people.population.extra["disability_type"][0] == DISABILITY_TYPES.index("肢体") + 1
        assert people.needs[0, KINDS.index("康复")] == 2


# -- households (issue 17 point 1) --------------------------------------------------------

HOUSEHOLD_STATUSES = ("低保", "低保边缘", "防止返贫监测", "刚性支出困难", "其他困难")


def test_people_live_in_households(big: object) -> None:
    p = big.population  # type: ignore[attr-defined]
    household, head = households(p)
    ids, first, inverse, counts = np.unique(
        household, return_index=True, return_inverse=True, return_counts=True
    )
    # one head each, listed first; the size every member carries is the members counted
    assert head.sum() == len(ids) and head[first].all()
    assert np.array_equal(p.household_size, counts[inverse])
    # members are listed together (a household is a run of rows)
    assert (np.diff(household) >= 0).all()
    relation = p.extra["relation"]
    assert np.array_equal(relation == 0, head)
    assert (p.age[head] >= 18).all()  # a head is an adult
    assert ((relation == 1).sum()) <= head.sum()  # at most one spouse each
    assert (p.age < 18).any() and (p.household_size > 1).mean() > 0.5


def test_household_statuses_are_shared(big: object) -> None:
    """低保 (and the other household statuses) is granted to a household: every member
    holds the same; income per head is the household's; 特困 live alone or in an
    institution (社会救助暂行办法: no one obliged to support them)."""
    p = big.population  # type: ignore[attr-defined]
    household, _head = households(p)
    for name in HOUSEHOLD_STATUSES:
        held = has(p.groups, name)
        in_household = np.isin(household, household[held])
        assert np.array_equal(held, in_household), name  # all members or none
    _, inverse = np.unique(household, return_inverse=True)
    low = np.full(inverse.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(low, inverse, p.income_per_capita_fen)
    assert np.array_equal(low[inverse], p.income_per_capita_fen)  # one income per household
    tekun = has(p.groups, "特困")
    assert (p.household_size[tekun] == 1).all()
    assert np.array_equal(p.living_alone, (p.household_size == 1) & ~has(p.groups, "集中供养特困"))


def test_household_size_is_conditioned_on_status() -> None:
    only = {name: ByHeadAge(working=0, elderly=0) for name in STATUSES}
    only["防止返贫监测"] = ByHeadAge(working=1, elderly=1)
    sizes = PopulationSettings().household_sizes | {"防止返贫监测": [0, 0, 1.0]}
    people = generate(PopulationSettings(people=3001, seed=2, statuses=only, household_sizes=sizes))
    size = people.population.household_size
    # every household has three members; the last one of the block is cut to fit
    assert (size[:-3] == 3).all() and len(people) == 3001
    assert (people.population.age[households(people.population)[1]] >= 18).all()


def test_chunks_never_split_a_household() -> None:
    people = generate(PopulationSettings(people=BLOCK + 3000, seed=8))
    whole, _ = households(people.population)
    seen: set[int] = set()
    for pop, _needs in people.chunks(7919):
        household, head = households(pop)
        assert head[0]  # a chunk starts with a head
        assert not (set(household.tolist()) & seen)
        seen |= set(household.tolist())
    assert seen == set(whole.tolist())


def test_roster_household_ids(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text(
        "编号,户编号,年龄,群体\n1,A,40,低保\n2,A,12,低保\n3,,70,特困\n4,B,33,低保边缘\n",
        encoding="utf-8",
    )
    people = read_roster(f)
    household, head = households(people.population)
    assert household[0] == household[1] != household[3] and household[2] not in household[[0, 3]]
    assert head.tolist() == [True, False, True, True]
    # no household size column: the members listed
    assert people.population.household_size.tolist() == [2, 2, 1, 1]
