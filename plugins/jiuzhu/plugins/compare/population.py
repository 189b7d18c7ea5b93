"""One population for every region: a seeded synthetic generator, and the columnar People.

The generator draws the facts rules read (jiuzhu.core.facts.Population) and a needs matrix
(people x kinds of service, units per year) from distributions set in a msgspec Struct that
decodes from TOML (``--population-config``). The same settings and seed always give the
same people (numpy's PCG64 Generator); the settings are recorded with every result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from jiuzhu.core.base import Base, Invalid
from jiuzhu.core.facts import GROUPS, Population, bitmask

from .kinds import KINDS

NeedArray = npt.NDArray[np.int32]

# Groups the generator derives from other facts rather than drawing.
DERIVED_GROUPS = {
    "重度残疾": "disability grade 1 or 2",
    "残疾": "any disability grade",
}
CHILD_GROUPS = ("困境儿童", "孤儿")  # drawn among people under 18 only
TEKUN_KINDS = ("分散供养特困", "集中供养特困")  # each implies 特困

FACTORS = (
    "elderly",  # age 60+
    "child",  # under 18
    "working_age",  # 18..59
    "disabled",  # any disability grade
    "severe",  # disability grade 1 or 2
    "major_illness",
    "chronic_illness",
    "alone",  # living alone
    "student",
)


class AgeBand(Base, frozen=True, kw_only=True):
    min: int
    max: int  # inclusive
    weight: float

    def __post_init__(self) -> None:
        if not 0 <= self.min <= self.max <= 120:
            raise ValueError(f"age band {self.min}-{self.max}: need 0 <= min <= max <= 120")
        if self.weight < 0:
            raise ValueError(f"age band {self.min}-{self.max}: weight must be >= 0")


class NeedDist(Base, frozen=True, kw_only=True):
    """How common a kind of need is and how many units a year it asks for.

    ``share`` is the probability of having the need; each factor multiplies it for the
    people it describes (``{elderly = 2.0}`` doubles it for people 60+; 0 rules it out),
    capped at 1. Units per year: 1 + Poisson(mean_units - 1), capped at ``max_units``.
    """

    share: float
    mean_units: float = 1.0
    max_units: int = 1000
    factors: dict[str, float] = {}

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError("share must be between 0 and 1")
        if self.mean_units < 1:
            raise ValueError("mean_units must be at least 1")
        if self.max_units < 1:
            raise ValueError("max_units must be at least 1")
        for name, value in self.factors.items():
            if name not in FACTORS:
                raise ValueError(f"unknown factor {name!r}; known: {', '.join(FACTORS)}")
            if value < 0:
                raise ValueError(f"factor {name} must be >= 0")


def _default_ages() -> list[AgeBand]:
    return [
        AgeBand(min=0, max=17, weight=0.14),
        AgeBand(min=18, max=39, weight=0.14),
        AgeBand(min=40, max=59, weight=0.30),
        AgeBand(min=60, max=79, weight=0.32),
        AgeBand(min=80, max=99, weight=0.10),
    ]


def _default_groups() -> dict[str, float]:
    return {
        "低保": 0.60,
        "特困": 0.04,
        "分散供养特困": 0.06,
        "集中供养特困": 0.02,
        "低保边缘": 0.18,
        "防止返贫监测": 0.05,
        "刚性支出困难": 0.04,
        "困境儿童": 0.25,  # among children
        "孤儿": 0.02,  # among children
        "临时救助": 0.04,
        "其他困难": 0.02,
    }


def _default_needs() -> dict[str, NeedDist]:
    return {
        "慰问": NeedDist(
            share=0.45, mean_units=2, max_units=12, factors={"elderly": 1.3, "alone": 1.5}
        ),
        "助洁": NeedDist(
            share=0.25,
            mean_units=6,
            max_units=52,
            factors={"elderly": 1.6, "disabled": 1.4, "alone": 1.3},
        ),
        "助浴": NeedDist(
            share=0.08, mean_units=8, max_units=52, factors={"elderly": 2.0, "severe": 3.0}
        ),
        "助餐": NeedDist(
            share=0.12,
            mean_units=60,
            max_units=730,
            factors={"elderly": 2.0, "severe": 1.5, "alone": 1.5},
        ),
        "个人护理": NeedDist(
            share=0.12, mean_units=4, max_units=24, factors={"elderly": 2.0, "severe": 1.5}
        ),
        "上门照护": NeedDist(
            share=0.08, mean_units=24, max_units=365, factors={"elderly": 2.0, "severe": 3.5}
        ),
        "陪诊": NeedDist(
            share=0.12,
            mean_units=4,
            max_units=48,
            factors={"major_illness": 3.0, "chronic_illness": 1.5, "elderly": 1.5},
        ),
        "喘息照护": NeedDist(
            share=0.02, mean_units=6, max_units=48, factors={"severe": 6.0, "disabled": 2.0}
        ),
        "辅具适配": NeedDist(share=0.01, mean_units=1, max_units=3, factors={"disabled": 15.0}),
        "助行": NeedDist(
            share=0.04, mean_units=4, max_units=48, factors={"disabled": 2.5, "elderly": 1.5}
        ),
        "康复": NeedDist(
            share=0.08, mean_units=8, max_units=104, factors={"disabled": 3.5, "major_illness": 2.0}
        ),
        "心理疏导": NeedDist(
            share=0.10,
            mean_units=4,
            max_units=24,
            factors={"major_illness": 1.5, "alone": 1.5, "child": 1.3},
        ),
        "社会融入": NeedDist(
            share=0.08, mean_units=3, max_units=24, factors={"alone": 1.5, "disabled": 1.3}
        ),
        "助学": NeedDist(
            share=0.02, mean_units=8, max_units=100, factors={"student": 20.0, "child": 1.5}
        ),
        "技能培训": NeedDist(
            share=0.12,
            mean_units=3,
            max_units=24,
            factors={"working_age": 2.5, "elderly": 0.0, "child": 0.0},
        ),
        "就业链接": NeedDist(
            share=0.06,
            mean_units=1,
            max_units=6,
            factors={"working_age": 3.0, "elderly": 0.0, "child": 0.0},
        ),
    }


class PopulationSettings(Base, frozen=True, kw_only=True):
    """Distributions of the synthetic population. Every field has a sensible default;
    a TOML file sets any of them (``--population-config``)."""

    people: int = 10_000
    seed: int = 0
    ages: list[AgeBand] = msgspec.field(default_factory=_default_ages)
    # probability of each group (independent draws); 困境儿童 and 孤儿 among children only;
    # 分散供养特困 / 集中供养特困 imply 特困; 重度残疾 and 残疾 follow the disability grade.
    groups: dict[str, float] = msgspec.field(default_factory=_default_groups)
    # probability of disability grades 0 (none), 1 (most severe) .. 4
    disability: list[float] = msgspec.field(default_factory=lambda: [0.74, 0.04, 0.06, 0.08, 0.08])
    major_illness: float = 0.12
    chronic_illness: float = 0.35
    # weights of household sizes 1, 2, 3 …
    household_sizes: list[float] = msgspec.field(
        default_factory=lambda: [0.22, 0.30, 0.22, 0.14, 0.08, 0.04]
    )
    # among people 60+, share already receiving home elderly care (居家养老)
    home_care_elderly: float = 0.25
    # among people with disability grade 1-2, share in health management (健康管理)
    health_management_severe: float = 0.40
    # 集中供养特困 are covered by 集中供养; a share of other people 70+ live in institutions
    institution_over_70: float = 0.03
    # among people 6..18, share in school
    student_share: float = 0.92
    # monthly income per head: log-normal median (fen) and sigma
    income_median_fen: int = 60_000
    income_sigma: float = 0.5
    area_code: str = ""
    needs: dict[str, NeedDist] = msgspec.field(default_factory=_default_needs)

    def __post_init__(self) -> None:
        if not 0 <= self.people <= 50_000_000:
            raise ValueError("people must be between 0 and 50,000,000")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if not self.ages or sum(b.weight for b in self.ages) <= 0:
            raise ValueError("ages: give at least one band with a positive weight")
        for name, p in self.groups.items():
            if name not in GROUPS:
                raise ValueError(f"groups: unknown group {name!r}; known: {', '.join(GROUPS)}")
            if name in DERIVED_GROUPS:
                raise ValueError(
                    f"groups: {name} is not drawn, it follows the {DERIVED_GROUPS[name]}"
                )
            if not 0 <= p <= 1:
                raise ValueError(f"groups: {name} must be a probability between 0 and 1")
        if len(self.disability) != 5 or min(self.disability) < 0 or sum(self.disability) <= 0:
            raise ValueError("disability: give 5 non-negative weights, for grades 0..4")
        if not self.household_sizes or min(self.household_sizes) < 0:
            raise ValueError("household_sizes: give non-negative weights for sizes 1, 2, …")
        if sum(self.household_sizes) <= 0:
            raise ValueError("household_sizes: at least one weight must be positive")
        for name in (
            "major_illness",
            "chronic_illness",
            "home_care_elderly",
            "health_management_severe",
            "institution_over_70",
            "student_share",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a probability between 0 and 1")
        if self.income_median_fen < 0 or self.income_sigma < 0:
            raise ValueError("income_median_fen and income_sigma must be >= 0")
        for kind in self.needs:
            if kind not in KINDS:
                raise ValueError(f"needs: unknown kind {kind!r}; known: {', '.join(KINDS)}")


class PopulationInfo(Base, frozen=True, kw_only=True):
    """Where a population came from: recorded with every result."""

    source: Literal["synthetic", "roster"]
    people: int
    seed: int | None = None
    settings: PopulationSettings | None = None
    roster: str = ""  # file name of an imported roster
    roster_sha256: str = ""


@dataclass
class People:
    """A population shared by every region: facts, needs (n x len(KINDS)) and provenance."""

    population: Population
    needs: NeedArray
    info: PopulationInfo
    ids: list[str] = field(default_factory=list)  # roster ids, when imported

    def __len__(self) -> int:
        return len(self.population)

    def take(self, index: npt.NDArray[np.intp] | slice) -> tuple[Population, NeedArray]:
        return take(self.population, index), self.needs[index]

    def chunks(self, size: int) -> Iterator[tuple[Population, NeedArray]]:
        """The population in consecutive chunks of at most ``size`` people."""
        n = len(self)
        for start in range(0, n, max(size, 1)):
            yield self.take(slice(start, min(start + size, n)))

    def empty(self) -> tuple[Population, NeedArray]:
        return self.take(slice(0, 0))


def take(pop: Population, index: npt.NDArray[np.intp] | slice) -> Population:
    """The people at ``index`` (an index array, a boolean mask or a slice)."""
    return Population(
        age=pop.age[index],
        groups=pop.groups[index],
        disability_grade=pop.disability_grade[index],
        major_illness=pop.major_illness[index],
        chronic_illness=pop.chronic_illness[index],
        household_size=pop.household_size[index],
        income_per_capita_fen=pop.income_per_capita_fen[index],
        covered_by=pop.covered_by[index],
        student=pop.student[index],
        living_alone=pop.living_alone[index],
        area_code=pop.area_code[index],
    )


def load_settings(path: Path) -> PopulationSettings:
    """Decode a population TOML file; errors name the file and the key."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid("--population-config", f"{path}: cannot read: {exc.strerror}") from None
    try:
        return msgspec.toml.decode(raw, type=PopulationSettings)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Invalid("--population-config", f"{path}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise Invalid("--population-config", f"{path}: {exc}") from None


def _bits(fact: str, label: str) -> int:
    return bitmask(fact, [label])


def generate(settings: PopulationSettings | None = None) -> People:
    """Draw the synthetic population. Same settings (incl. seed) -> same people."""
    s = settings or PopulationSettings()
    n = s.people
    rng = np.random.Generator(np.random.PCG64(s.seed))

    # ages: a band by weight, then uniform within the band
    weights = np.array([b.weight for b in s.ages], dtype=np.float64)
    band = rng.choice(len(s.ages), size=n, p=weights / weights.sum())
    lo = np.array([b.min for b in s.ages], dtype=np.int64)[band]
    hi = np.array([b.max for b in s.ages], dtype=np.int64)[band]
    age = (lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)).astype(np.int16)
    child = age < 18

    dis = np.array(s.disability, dtype=np.float64)
    grade = rng.choice(5, size=n, p=dis / dis.sum()).astype(np.int8)

    groups = np.zeros(n, dtype=np.int64)
    for name in GROUPS:  # a fixed order, so the draws do not depend on the dict's order
        p = s.groups.get(name, 0.0)
        if name in DERIVED_GROUPS:
            continue
        hit = rng.random(n) < p
        if name in CHILD_GROUPS:
            hit &= child
        groups |= np.where(hit, _bits("groups", name), 0)
    tekun_sub = _bits("groups", "分散供养特困") | _bits("groups", "集中供养特困")
    groups |= np.where((groups & tekun_sub) != 0, _bits("groups", "特困"), 0)
    groups |= np.where((grade == 1) | (grade == 2), _bits("groups", "重度残疾"), 0)
    groups |= np.where(grade > 0, _bits("groups", "残疾"), 0)

    major = rng.random(n) < s.major_illness
    chronic = rng.random(n) < s.chronic_illness

    hh = np.array(s.household_sizes, dtype=np.float64)
    household = (rng.choice(len(hh), size=n, p=hh / hh.sum()) + 1).astype(np.int16)
    alone = household == 1

    covered = np.zeros(n, dtype=np.int64)
    elderly = age >= 60
    severe = (grade == 1) | (grade == 2)
    covered |= np.where(
        elderly & (rng.random(n) < s.home_care_elderly), _bits("covered_by", "居家养老"), 0
    )
    covered |= np.where(
        severe & (rng.random(n) < s.health_management_severe), _bits("covered_by", "健康管理"), 0
    )
    central = (groups & _bits("groups", "集中供养特困")) != 0
    covered |= np.where(central, _bits("covered_by", "集中供养"), 0)
    covered |= np.where(
        ~central & (age >= 70) & (rng.random(n) < s.institution_over_70),
        _bits("covered_by", "机构养老"),
        0,
    )
    student = (age >= 6) & (age <= 18) & (rng.random(n) < s.student_share)
    income = np.round(s.income_median_fen * np.exp(rng.normal(0.0, s.income_sigma, size=n))).astype(
        np.int64
    )

    pop = Population(
        age=age,
        groups=groups,
        disability_grade=grade,
        major_illness=major,
        chronic_illness=chronic,
        household_size=household,
        income_per_capita_fen=income,
        covered_by=covered,
        student=student,
        living_alone=alone,
        area_code=np.full(n, s.area_code, dtype=f"<U{max(len(s.area_code), 1)}"),
    )
    needs = draw_needs(rng, pop, s.needs)
    info = PopulationInfo(source="synthetic", people=n, seed=s.seed, settings=s)
    return People(population=pop, needs=needs, info=info)


def factor_masks(pop: Population) -> dict[str, npt.NDArray[np.bool_]]:
    grade = pop.disability_grade
    return {
        "elderly": pop.age >= 60,
        "child": pop.age < 18,
        "working_age": (pop.age >= 18) & (pop.age < 60),
        "disabled": grade > 0,
        "severe": (grade == 1) | (grade == 2),
        "major_illness": pop.major_illness,
        "chronic_illness": pop.chronic_illness,
        "alone": pop.living_alone,
        "student": pop.student,
    }


def draw_needs(rng: np.random.Generator, pop: Population, dists: dict[str, NeedDist]) -> NeedArray:
    n = len(pop)
    masks = factor_masks(pop)
    needs = np.zeros((n, len(KINDS)), dtype=np.int32)
    for k, kind in enumerate(KINDS):  # vocabulary order: independent of the dict's order
        dist = dists.get(kind)
        if dist is None:
            continue
        p = np.full(n, dist.share, dtype=np.float64)
        for name, factor in sorted(dist.factors.items()):
            p = np.where(masks[name], p * factor, p)
        has = rng.random(n) < np.minimum(p, 1.0)
        units = 1 + rng.poisson(dist.mean_units - 1.0, size=n)
        needs[:, k] = np.where(has, np.minimum(units, dist.max_units), 0)
    return needs
