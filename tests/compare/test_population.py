"""The synthetic population: seeded, settable, coherent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jiuzhu.core.base import Invalid
from jiuzhu.core.facts import FACT_KINDS, bitmask
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import (
    NeedDist,
    PopulationSettings,
    generate,
    load_settings,
)

FACTS = tuple(FACT_KINDS)


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


def test_facts_are_coherent() -> None:
    p = generate(PopulationSettings(people=20_000, seed=3)).population
    g = p.groups
    child = p.age < 18
    for name in ("困境儿童", "孤儿"):
        assert not ((g & bitmask("groups", [name])) != 0)[~child].any()
    sub = bitmask("groups", ["分散供养特困", "集中供养特困"])
    tekun = bitmask("groups", ["特困"])
    assert (((g & sub) != 0) <= ((g & tekun) != 0)).all()
    severe = (g & bitmask("groups", ["重度残疾"])) != 0
    assert np.array_equal(severe, np.isin(p.disability_grade, [1, 2]))
    assert np.array_equal(p.living_alone, p.household_size == 1)
    assert p.age.min() >= 0 and p.age.max() <= 99
    assert p.disability_grade.min() >= 0 and p.disability_grade.max() <= 4


def test_settings_shape_the_population() -> None:
    s = PopulationSettings(
        people=3000,
        seed=5,
        groups={"低保": 1.0},
        disability=[1, 0, 0, 0, 0],
        needs={"助餐": NeedDist(share=1.0, mean_units=3, max_units=5)},
    )
    people = generate(s)
    assert ((people.population.groups & bitmask("groups", ["低保"])) != 0).all()
    assert (people.population.disability_grade == 0).all()
    meals = people.needs[:, KINDS.index("助餐")]
    assert (meals >= 1).all() and (meals <= 5).all()
    others = np.delete(people.needs, KINDS.index("助餐"), axis=1)
    assert (others == 0).all()


def test_factor_zero_rules_a_need_out() -> None:
    people = generate(PopulationSettings(people=5000, seed=9))
    job = people.needs[:, KINDS.index("就业链接")]
    assert (job[people.population.age >= 60] == 0).all()
    assert (job[people.population.age < 18] == 0).all()


def test_settings_from_toml(tmp_path: Path) -> None:
    f = tmp_path / "pop.toml"
    f.write_text(
        "people = 123\nseed = 9\nmajor_illness = 0.5\n"
        '[groups]\n"低保" = 0.9\n'
        '[needs."康复"]\nshare = 0.3\nmean_units = 6\nfactors = { disabled = 2.0 }\n',
        encoding="utf-8",
    )
    s = load_settings(f)
    assert s.people == 123 and s.seed == 9 and s.groups == {"低保": 0.9}
    assert s.needs["康复"].factors == {"disabled": 2.0}
    assert len(generate(s)) == 123


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("peeple = 3\n", "peeple"),
        ('[groups]\n"低宝" = 0.1\n', "低宝"),
        ('[groups]\n"重度残疾" = 0.1\n', "disability grade"),
        ('[needs."飞行"]\nshare = 0.1\n', "飞行"),
        ('[needs."助餐"]\nshare = 1.5\n', "share"),
        ('[needs."助餐"]\nshare = 0.5\nfactors = { tall = 2.0 }\n', "tall"),
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
