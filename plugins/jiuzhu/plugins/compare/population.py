"""One population for every region: a coherent, seeded synthetic generator, and People.

The generator draws the facts rules read (jiuzhu.core.facts.Population) and a needs
matrix (people x kinds of need, units a year). People are drawn so that they are possible:

- people live in **households** (一户一档): a household head (户主) is drawn first, then
  the household's status, then its size conditioned on that status, then its members
  (spouse, children, parents, grandchildren, with ages that follow from the head's);
- one **status** each, exclusive as the rules define them (国办发〔2023〕39号 lists them as
  separate categories): 低保, 低保边缘, 防止返贫监测, 刚性支出困难 and 其他困难 are
  *household* statuses (低保 is granted to a household; every member holds it); 特困 is a
  person's and is drawn only for a head the rules allow (60+, or unable to work: a grade
  1–2 disability), who has no one to share a household with (household of one, 分散供养)
  or lives in an institution (集中供养);
- **income conditioned on status**, per household, in bands over the local 低保 line (低保
  below it, 低保边缘 from 1 to 1.5 times it …);
- **disability grade by age group and disability type** (视力, 听力, 言语, 肢体, 智力, 精神,
  多重); 重度残疾 and 残疾 follow the grade;
- **illness by age group**; **needs conditioned on age, disability grade and type,
  illness, living alone and school** (factors).

Every distribution is a setting (a msgspec Struct decoded from TOML, ``--population-config``)
and names its source in ``sources`` or is illustrative; ``jiuzhu compare
--write-population-config FILE`` writes them all with that provenance as comments.

People are drawn in fixed blocks of ``BLOCK`` people, each from its own seed (the seed and
the block number), so a population can be streamed block by block with bounded memory and
the same seed always gives the same people, whatever the chunk size.

A household never spans two blocks, and chunks are cut at household boundaries, so a
household-level figure (policies per household) can be summed chunk by chunk. Each person
carries ``extra["household"]`` (an id unique in the population) and ``extra["head"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from jiuzhu.core.base import Base, Invalid
from jiuzhu.core.facts import Population, bitmask

from .kinds import KINDS

NeedArray = npt.NDArray[np.int32]
BLOCK = 1 << 16  # people per independently seeded block

# Exclusive statuses (each person has exactly one) and the groups they set.
STATUSES: tuple[str, ...] = ("特困", "低保", "低保边缘", "防止返贫监测", "刚性支出困难", "其他困难")
AGE_GROUPS: tuple[str, ...] = ("child", "working", "elderly")  # <18, 18..59, 60+
HEAD_GROUPS: tuple[str, ...] = ("working", "elderly")  # a household head is an adult
# statuses held by the whole household (the rest, 特困, is a person's)
HOUSEHOLD_STATUSES: tuple[str, ...] = STATUSES[1:]
# relation to the head (与户主关系): extra["relation"]
RELATIONS: tuple[str, ...] = ("户主", "配偶", "子女", "父母", "孙子女")
MEMBER_RELATIONS: tuple[str, ...] = ("子女", "父母", "孙子女")  # members besides a spouse
DISABILITY_TYPES: tuple[str, ...] = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
CHILD_GROUPS = ("困境儿童", "孤儿")  # drawn among people under 18 only
TYPE_FACTORS = {
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "limb": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "multiple": "多重",
}
FACTORS = (
    "elderly",  # age 60+
    "child",  # under 18
    "working_age",  # 18..59
    "disabled",  # any disability grade
    "severe",  # disability grade 1 or 2
    *TYPE_FACTORS,  # disability type
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


class ByAge(Base, frozen=True, kw_only=True):
    """A value per age group: children (<18), working age (18–59), elderly (60+)."""

    child: float
    working: float
    elderly: float

    def values(self) -> list[float]:
        return [self.child, self.working, self.elderly]


class ByHeadAge(Base, frozen=True, kw_only=True):
    """A value per age group of a household head: working age (18–59), elderly (60+)."""

    working: float
    elderly: float

    def values(self) -> list[float]:
        return [self.working, self.elderly]


class ListsByHeadAge(Base, frozen=True, kw_only=True):
    working: list[float]
    elderly: list[float]

    def values(self) -> list[list[float]]:
        return [self.working, self.elderly]


class WeightsByAge(Base, frozen=True, kw_only=True):
    child: list[float]
    working: list[float]
    elderly: list[float]

    def values(self) -> list[list[float]]:
        return [self.child, self.working, self.elderly]


class NeedDist(Base, frozen=True, kw_only=True):
    """How common a kind of need is and how many units a year it asks for.

    ``share`` is the probability of having the need; each factor multiplies it for the
    people it describes (``{elderly = 2.0}`` doubles it for people 60+; 0 rules it out),
    capped at 1. ``among`` (factors) limits the need to the people at least one of them
    describes. Units per year: 1 + Poisson(mean_units - 1), capped at ``max_units``.
    """

    share: float
    mean_units: float = 1.0
    max_units: int = 1000
    factors: dict[str, float] = {}
    among: list[str] = []

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError("share must be between 0 and 1")
        if self.mean_units < 1:
            raise ValueError("mean_units must be at least 1")
        if self.max_units < 1:
            raise ValueError("max_units must be at least 1")
        for name in self.among:
            if name not in FACTORS:
                raise ValueError(f"among: unknown factor {name!r}; known: {', '.join(FACTORS)}")
        for name, value in self.factors.items():
            if name not in FACTORS:
                raise ValueError(f"unknown factor {name!r}; known: {', '.join(FACTORS)}")
            if value < 0:
                raise ValueError(f"factor {name} must be >= 0")


def _default_head_ages() -> list[AgeBand]:
    return [
        AgeBand(min=18, max=39, weight=0.16),
        AgeBand(min=40, max=59, weight=0.38),
        AgeBand(min=60, max=79, weight=0.35),
        AgeBand(min=80, max=99, weight=0.11),
    ]


def _default_statuses() -> dict[str, ByHeadAge]:
    return {
        "特困": ByHeadAge(working=0.04, elderly=0.16),
        "低保": ByHeadAge(working=0.55, elderly=0.55),
        "低保边缘": ByHeadAge(working=0.20, elderly=0.15),
        "防止返贫监测": ByHeadAge(working=0.10, elderly=0.08),
        "刚性支出困难": ByHeadAge(working=0.06, elderly=0.03),
        "其他困难": ByHeadAge(working=0.05, elderly=0.03),
    }


def _default_household_sizes() -> dict[str, list[float]]:
    """Weights of household sizes 1, 2, 3 … by household status (特困: always one)."""
    return {
        "低保": [0.34, 0.26, 0.18, 0.12, 0.06, 0.04],
        "低保边缘": [0.18, 0.28, 0.24, 0.16, 0.09, 0.05],
        "防止返贫监测": [0.10, 0.22, 0.26, 0.22, 0.12, 0.08],
        "刚性支出困难": [0.12, 0.26, 0.28, 0.20, 0.09, 0.05],
        "其他困难": [0.22, 0.30, 0.22, 0.14, 0.08, 0.04],
    }


def _default_income_bands() -> dict[str, list[float]]:
    """Monthly income per head, in multiples of the local 低保 line: [low, high)."""
    return {
        "特困": [0.0, 0.3],
        "低保": [0.2, 1.0],
        "低保边缘": [1.0, 1.5],
        "防止返贫监测": [0.8, 2.0],
        "刚性支出困难": [1.2, 3.0],
        "其他困难": [1.0, 3.0],
    }


def _default_disability() -> WeightsByAge:
    return WeightsByAge(
        child=[0.90, 0.02, 0.03, 0.02, 0.03],
        working=[0.80, 0.03, 0.05, 0.05, 0.07],
        elderly=[0.65, 0.05, 0.07, 0.10, 0.13],
    )


def _default_types() -> dict[str, float]:
    return {
        "视力": 0.1486,
        "听力": 0.2416,
        "言语": 0.0153,
        "肢体": 0.2907,
        "智力": 0.0668,
        "精神": 0.0740,
        "多重": 0.1630,
    }


def _default_sources() -> dict[str, str]:
    return {
        "statuses": "categories: 国办发〔2023〕39号 (DOMAIN.md: 低收入人口); exclusive as the "
        "rules define them; 低保 and the others are granted to a household, 特困 to a person "
        "who is 60+, under 16 or unable to work and has no one obliged to support them "
        "(社会救助暂行办法 第九、十四条 — public, not in the seeds). The weights are "
        "illustrative.",
        "income_bands": "低保边缘: income below 1.5 x the local 低保 line (DOMAIN.md); 低保 below "
        "the line by definition. Other bands illustrative.",
        "disability_types": "第二次全国残疾人抽样调查主要数据公报 (2006): 视力 14.86%, "
        "听力 24.16%, 言语 1.53%, 肢体 29.07%, 智力 6.68%, 精神 7.40%, 多重 16.30% — "
        "public, not in the seeds: check before relying on it",
    }


def _default_needs() -> dict[str, NeedDist]:
    return {
        "慰问": NeedDist(
            share=0.45, mean_units=2, max_units=12, factors={"elderly": 1.3, "alone": 1.5}
        ),
        "助洁": NeedDist(
            share=0.20,
            mean_units=6,
            max_units=52,
            factors={"elderly": 1.6, "severe": 1.8, "alone": 1.3},
        ),
        "助浴": NeedDist(
            share=0.06, mean_units=8, max_units=52, factors={"elderly": 2.0, "severe": 3.0}
        ),
        "助餐": NeedDist(
            share=0.08,
            mean_units=30,
            max_units=365,
            factors={"elderly": 2.0, "severe": 1.5, "alone": 1.5, "visual": 1.5},
        ),
        "个人护理": NeedDist(
            share=0.10, mean_units=4, max_units=24, factors={"elderly": 2.0, "severe": 1.5}
        ),
        "上门照护": NeedDist(
            share=0.05, mean_units=24, max_units=365, factors={"elderly": 2.0, "severe": 4.0}
        ),
        "喘息照护": NeedDist(
            share=0.35, mean_units=6, max_units=48, among=["severe", "intellectual", "multiple"]
        ),
        "陪诊": NeedDist(
            share=0.10,
            mean_units=4,
            max_units=48,
            factors={"major_illness": 3.0, "chronic_illness": 1.5, "elderly": 1.5},
        ),
        "助行": NeedDist(
            share=0.03,
            mean_units=4,
            max_units=48,
            factors={"limb": 4.0, "visual": 3.0, "elderly": 1.5},
        ),
        "康复": NeedDist(
            share=0.04,
            mean_units=8,
            max_units=104,
            factors={"limb": 6.0, "intellectual": 4.0, "multiple": 4.0, "major_illness": 2.5},
        ),
        "辅具适配": NeedDist(
            share=0.30, mean_units=1, max_units=3, among=["limb", "visual", "hearing", "multiple"]
        ),
        "心理疏导": NeedDist(
            share=0.08,
            mean_units=4,
            max_units=24,
            factors={"mental": 4.0, "major_illness": 1.5, "alone": 1.5, "child": 1.3},
        ),
        "社会融入": NeedDist(
            share=0.06, mean_units=3, max_units=24, factors={"alone": 1.5, "disabled": 1.5}
        ),
        "助学": NeedDist(share=0.15, mean_units=8, max_units=100, among=["student"]),
        "技能培训": NeedDist(
            share=0.12,
            mean_units=3,
            max_units=24,
            factors={"working_age": 2.5, "elderly": 0.0, "child": 0.0, "severe": 0.3},
        ),
        "就业链接": NeedDist(
            share=0.06,
            mean_units=1,
            max_units=6,
            factors={"working_age": 3.0, "elderly": 0.0, "child": 0.0, "severe": 0.3},
        ),
    }


class PopulationSettings(Base, frozen=True, kw_only=True):
    """Distributions of the synthetic population. Every field has a default; a TOML file
    sets any of them (``--population-config``). ``sources`` names the source of a setting;
    a setting not named there is illustrative."""

    people: int = 10_000
    seed: int = 0
    # ages of household heads (户主); the members' ages follow from the head's
    head_ages: list[AgeBand] = msgspec.field(default_factory=_default_head_ages)
    # exclusive statuses: weights per age group of the head (特困 only where the rules
    # allow it, in a household of one)
    statuses: dict[str, ByHeadAge] = msgspec.field(default_factory=_default_statuses)
    tekun_central_share: float = 0.25  # of 特困, living in institutions (集中供养)
    # 困境儿童 and 孤儿, among children (besides their status)
    child_groups: dict[str, float] = msgspec.field(
        default_factory=lambda: {"困境儿童": 0.25, "孤儿": 0.02}
    )
    temporary_relief: float = 0.04  # 临时救助 this year, on top of any status
    dibao_line_fen: int = 70_000  # the local 低保 line, per head per month
    income_bands: dict[str, list[float]] = msgspec.field(default_factory=_default_income_bands)
    # disability grades 0 (none), 1 (most severe) .. 4, by age group
    disability: WeightsByAge = msgspec.field(default_factory=_default_disability)
    disability_types: dict[str, float] = msgspec.field(default_factory=_default_types)
    major_illness: ByAge = msgspec.field(
        default_factory=lambda: ByAge(child=0.03, working=0.12, elderly=0.15)
    )
    chronic_illness: ByAge = msgspec.field(
        default_factory=lambda: ByAge(child=0.05, working=0.30, elderly=0.60)
    )
    # weights of household sizes 1, 2, 3 … by household status (特困: one)
    household_sizes: dict[str, list[float]] = msgspec.field(
        default_factory=_default_household_sizes
    )
    # of heads in a household of two or more, the share living with a spouse
    spouse: ByHeadAge = msgspec.field(default_factory=lambda: ByHeadAge(working=0.75, elderly=0.6))
    # the other members' relation to the head: weights of 子女, 父母, 孙子女
    relations: ListsByHeadAge = msgspec.field(
        default_factory=lambda: ListsByHeadAge(working=[0.8, 0.2, 0.0], elderly=[0.55, 0.0, 0.45])
    )
    home_care_elderly: float = 0.25  # of people 60+, in home elderly care (居家养老)
    health_management_severe: float = 0.40  # of grade 1–2, in health management (健康管理)
    institution_over_70: float = 0.03  # of other people 70+, in a care home (机构养老)
    student_share: float = 0.92  # of people 6..18, in school
    # of households, the share that applied on their own (the rest only a warning finds)
    applied_share: float = 0.6
    area_code: str = ""
    needs: dict[str, NeedDist] = msgspec.field(default_factory=_default_needs)
    sources: dict[str, str] = msgspec.field(default_factory=_default_sources)

    def __post_init__(self) -> None:
        if not 0 <= self.people <= 100_000_000:
            raise ValueError("people must be between 0 and 100,000,000")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if not self.head_ages or sum(b.weight for b in self.head_ages) <= 0:
            raise ValueError("head_ages: give at least one band with a positive weight")
        if min(b.min for b in self.head_ages) < 18:
            raise ValueError("head_ages: a household head is 18 or older")
        for name, by_age in self.statuses.items():
            if name not in STATUSES:
                raise ValueError(f"statuses: unknown status {name!r}; known: {', '.join(STATUSES)}")
            if min(by_age.values()) < 0:
                raise ValueError(f"statuses: {name}: weights must be >= 0")
        for g, group in enumerate(HEAD_GROUPS):
            if sum(v.values()[g] for k, v in self.statuses.items() if k != "特困") <= 0:
                raise ValueError(
                    f"statuses: give a positive weight to a household status for {group} heads"
                )
        for name, p in self.child_groups.items():
            if name not in CHILD_GROUPS:
                raise ValueError(f"child_groups: {name!r}; known: {', '.join(CHILD_GROUPS)}")
            _prob(f"child_groups.{name}", p)
        for name in STATUSES:
            band = self.income_bands.get(name)
            if band is None or len(band) != 2 or not 0 <= band[0] <= band[1]:
                raise ValueError(f"income_bands: {name}: give [low, high] with 0 <= low <= high")
        if self.dibao_line_fen <= 0:
            raise ValueError("dibao_line_fen must be positive")
        for group, weights in zip(AGE_GROUPS, self.disability.values(), strict=True):
            if len(weights) != 5 or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"disability.{group}: give 5 non-negative weights, grades 0..4")
        unknown = set(self.disability_types) - set(DISABILITY_TYPES)
        if unknown or sum(self.disability_types.values()) <= 0:
            raise ValueError(
                f"disability_types: give positive weights of {', '.join(DISABILITY_TYPES)}"
            )
        for name, sizes in self.household_sizes.items():
            if name not in HOUSEHOLD_STATUSES:
                raise ValueError(
                    f"household_sizes: {name!r} is not a household status; known: "
                    f"{', '.join(HOUSEHOLD_STATUSES)} (特困 live in a household of one)"
                )
            if not sizes or min(sizes) < 0 or sum(sizes) <= 0 or len(sizes) > 50:
                raise ValueError(
                    f"household_sizes.{name}: give 1 to 50 non-negative weights for sizes "
                    "1, 2, … (at least one positive)"
                )
        for name in HOUSEHOLD_STATUSES:
            if name not in self.household_sizes:
                raise ValueError(f"household_sizes: give the sizes of {name} households")
        for v in self.spouse.values():
            _prob("spouse", v)
        for group, weights in zip(HEAD_GROUPS, self.relations.values(), strict=True):
            if len(weights) != len(MEMBER_RELATIONS) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(
                    f"relations.{group}: give {len(MEMBER_RELATIONS)} non-negative weights "
                    f"({', '.join(MEMBER_RELATIONS)})"
                )
        for name in ("major_illness", "chronic_illness"):
            for v in getattr(self, name).values():
                _prob(name, v)
        for name in (
            "tekun_central_share",
            "temporary_relief",
            "home_care_elderly",
            "health_management_severe",
            "institution_over_70",
            "student_share",
            "applied_share",
        ):
            _prob(name, getattr(self, name))
        for kind in self.needs:
            if kind not in KINDS:
                raise ValueError(f"needs: unknown kind {kind!r}; known: {', '.join(KINDS)}")
        settable = set(self.__struct_fields__) - {"people", "seed", "sources"}
        for name in self.sources:
            if name not in settable:
                raise ValueError(f"sources: {name!r} is not a setting")


def _prob(name: str, p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"{name} must be a probability between 0 and 1")


class PopulationInfo(Base, frozen=True, kw_only=True):
    """Where a population came from: recorded with every result."""

    source: Literal["synthetic", "roster"]
    people: int
    seed: int | None = None
    settings: PopulationSettings | None = None
    roster: str = ""  # file name of an imported roster
    roster_sha256: str = ""


class People:
    """A population shared by every region: facts, needs (n x len(KINDS)) and provenance.

    A roster is held whole; a synthetic population (``Synthetic``) is drawn block by block
    as it is read (``chunks``), so it never has to be held whole."""

    def __init__(
        self,
        population: Population,
        needs: NeedArray,
        info: PopulationInfo,
        ids: list[str] | None = None,
    ) -> None:
        self._population = population
        self._needs = needs
        self.info = info
        self._ids: list[str] = ids or []  # roster ids, when imported

    @property
    def population(self) -> Population:
        return self._population

    @property
    def needs(self) -> NeedArray:
        return self._needs

    @property
    def ids(self) -> list[str]:
        return self._ids

    def __len__(self) -> int:
        return len(self.population)

    def take(self, index: npt.NDArray[np.intp] | slice) -> tuple[Population, NeedArray]:
        return take(self.population, index), self.needs[index]

    def chunks(self, size: int) -> Iterator[tuple[Population, NeedArray]]:
        """The population in consecutive chunks of at most ``size`` people, each ending
        at a household boundary (a roster's households are listed together)."""
        n = len(self)
        size = max(size, 1)
        head = self.population.extra.get("head")
        start = 0
        while start < n:
            end = min(start + size, n)
            if head is not None and end < n:
                heads = np.flatnonzero(head[start + 1 : end + 1])
                end = start + int(heads[-1]) + 1 if len(heads) else end
            yield self.take(slice(start, end))
            start = end

    def empty(self) -> tuple[Population, NeedArray]:
        return self.take(slice(0, 0))


class Synthetic(People):
    """The synthetic population, drawn block by block (see the module doc)."""

    def __init__(self, settings: PopulationSettings) -> None:
        self.settings = settings
        self.info = PopulationInfo(
            source="synthetic", people=settings.people, seed=settings.seed, settings=settings
        )
        self._ids = []
        self._whole: tuple[Population, NeedArray] | None = None

    def __len__(self) -> int:
        return self.settings.people

    def blocks(self) -> Iterator[tuple[Population, NeedArray]]:
        n = self.settings.people
        for b, start in enumerate(range(0, n, BLOCK)):
            yield draw_block(self.settings, b, min(BLOCK, n - start))

    def block(self, b: int) -> tuple[Population, NeedArray]:
        """Block ``b`` alone (a partition of a distributed run)."""
        start = b * BLOCK
        return draw_block(self.settings, b, max(0, min(BLOCK, self.settings.people - start)))

    def chunks(self, size: int) -> Iterator[tuple[Population, NeedArray]]:
        size = max(size, 1)
        parts: list[tuple[Population, NeedArray]] = []
        held = 0
        for pop, needs in self.blocks():
            parts.append((pop, needs))
            held += len(pop)
            while held >= size:
                whole = concat(parts)
                cut = household_cut(whole[0], size)
                yield take(whole[0], slice(0, cut)), whole[1][:cut]
                rest = (take(whole[0], slice(cut, None)), whole[1][cut:])
                parts, held = [rest], held - cut
        if held:
            yield concat(parts)

    def _materialise(self) -> tuple[Population, NeedArray]:
        if self._whole is None:
            parts = list(self.blocks())
            self._whole = concat(parts) if parts else draw_block(self.settings, 0, 0)
        return self._whole

    @property
    def population(self) -> Population:
        return self._materialise()[0]

    @property
    def needs(self) -> NeedArray:
        return self._materialise()[1]


def household_cut(pop: Population, size: int) -> int:
    """Where to end a chunk of at most ``size`` people of ``pop`` without splitting a
    household: before the last head at or before ``size`` (``pop`` ends with a whole
    household, as a block does). A household longer than ``size`` is cut at ``size``."""
    head = pop.extra.get("head")
    if head is None or len(pop) <= size:
        return min(size, len(pop))
    heads = np.flatnonzero(head[1 : size + 1])
    return int(heads[-1]) + 1 if len(heads) else size


def households(pop: Population) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each person's household id and whether they head it (the first member listed).
    A population without households (``Population.of``) is one household per person."""
    ids = pop.extra.get("household")
    head = pop.extra.get("head")
    if ids is None or head is None:
        return np.arange(len(pop), dtype=np.int64), np.ones(len(pop), dtype=np.bool_)
    return np.asarray(ids, dtype=np.int64), np.asarray(head, dtype=np.bool_)


def concat(parts: list[tuple[Population, NeedArray]]) -> tuple[Population, NeedArray]:
    if len(parts) == 1:
        return parts[0]
    pops = [p for p, _ in parts]
    extra_keys = set(pops[0].extra)
    pop = Population(
        **{
            name: np.concatenate([getattr(p, name) for p in pops])
            for name in Population.__dataclass_fields__
            if name != "extra"
        },
        extra={k: np.concatenate([p.extra[k] for p in pops]) for k in extra_keys},
    )
    return pop, np.concatenate([n for _, n in parts])


def take(pop: Population, index: npt.NDArray[np.intp] | slice) -> Population:
    """The people at ``index`` (an index array, a boolean mask or a slice)."""
    return pop.take(index)


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


def generate(settings: PopulationSettings | None = None) -> Synthetic:
    """The synthetic population. Same settings (incl. seed) -> same people."""
    return Synthetic(settings or PopulationSettings())


def _bits(label: str) -> int:
    return bitmask("groups", [label])


def _categorical(rng: np.random.Generator, probs: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """One draw per row of ``probs`` (n x k, rows summing to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    picked: npt.NDArray[np.intp] = np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)
    return picked


def _ages_in(rng: np.random.Generator, bands: list[AgeBand], n: int) -> npt.NDArray[np.int64]:
    """``n`` ages: a band by weight, then uniform within the band."""
    weights = np.array([b.weight for b in bands], dtype=np.float64)
    band = rng.choice(len(bands), size=n, p=weights / weights.sum())
    lo = np.array([b.min for b in bands], dtype=np.int64)[band]
    hi = np.array([b.max for b in bands], dtype=np.int64)[band]
    ages: npt.NDArray[np.int64] = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    return ages


def draw_block(s: PopulationSettings, block: int, n: int) -> tuple[Population, NeedArray]:
    """People ``block * BLOCK`` .. ``+ n`` of the population ``s`` describes, household by
    household (a household never spans two blocks)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([s.seed, block])))
    dis = np.array(s.disability.values(), dtype=np.float64)
    dis /= dis.sum(axis=1, keepdims=True)

    # heads first: age, disability grade, then the household's status and size. At most n
    # households are needed (each has at least one member); the first that hold n people
    # are kept and the last is cut to fit the block.
    head_age = _ages_in(rng, s.head_ages, n)
    head_group = (head_age >= 60).astype(np.intp)  # index into HEAD_GROUPS
    head_grade = _categorical(rng, dis[head_group + 1]).astype(np.int8)
    may_tekun = (head_age >= 60) | (head_grade == 1) | (head_grade == 2)
    w = np.array([s.statuses[x].values() if x in s.statuses else [0, 0] for x in STATUSES]).T
    probs = w[head_group].astype(np.float64)
    probs[~may_tekun, 0] = 0.0
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    hh_status = _categorical(rng, probs)
    longest = max(len(v) for v in s.household_sizes.values())
    size_w = np.zeros((len(STATUSES), longest), dtype=np.float64)
    size_w[0, 0] = 1.0  # 特困: a household of one
    for i, name in enumerate(STATUSES[1:], start=1):
        sizes = s.household_sizes[name]
        size_w[i, : len(sizes)] = np.asarray(sizes) / sum(sizes)
    size = (_categorical(rng, size_w[hh_status]) + 1).astype(np.int64)
    ends = np.cumsum(size)
    households = int(np.searchsorted(ends, n)) + 1 if n else 0
    size = size[:households]
    if households:
        size[-1] -= int(ends[households - 1]) - n  # the last household is cut to fit
    starts = np.cumsum(size) - size
    hh = np.repeat(np.arange(households), size)  # each person's household (in the block)
    pos = np.arange(n) - starts[hh]  # 0: the head
    head = pos == 0
    h_age = head_age[:households][hh]
    h_group = head_group[:households][hh]

    # members: a spouse (second member, if the head lives with one), then children,
    # parents or grandchildren, with ages that follow from the head's
    spouse_p = np.array(s.spouse.values(), dtype=np.float64)[h_group]
    has_spouse = (rng.random(households) < spouse_p[starts])[hh] if households else head
    rel_w = np.array(s.relations.values(), dtype=np.float64)
    rel_w /= rel_w.sum(axis=1, keepdims=True)
    other = 2 + _categorical(rng, rel_w[h_group])  # 2 子女, 3 父母, 4 孙子女
    relation = np.where(head, 0, np.where((pos == 1) & has_spouse, 1, other)).astype(np.int8)
    u = rng.random(n)
    spouse_age = np.clip(h_age + np.floor(u * 11).astype(np.int64) - 5, 18, 100)
    child_age = np.maximum(h_age - 20 - np.floor(u * 16).astype(np.int64), 0)
    parent_age = np.minimum(h_age + 20 + np.floor(u * 16).astype(np.int64), 105)
    grandchild_age = np.maximum(h_age - 45 - np.floor(u * 21).astype(np.int64), 0)
    age64 = np.select(
        [relation == 0, relation == 1, relation == 2, relation == 3],
        [h_age, spouse_age, child_age, parent_age],
        grandchild_age,
    )
    age = age64.astype(np.int16)
    group = np.where(age < 18, 0, np.where(age < 60, 1, 2))

    # disability grade (the head's as drawn) and type, by each person's age group
    grade = _categorical(rng, dis[group]).astype(np.int8)
    if households:
        grade[head] = head_grade[:households]
    types = np.array([s.disability_types.get(t, 0.0) for t in DISABILITY_TYPES])
    dtype_ = rng.choice(len(DISABILITY_TYPES), size=n, p=types / types.sum()).astype(np.int8)
    dtype_ = np.where(grade > 0, dtype_ + 1, 0).astype(np.int8)  # 0: none, 1..: DISABILITY_TYPES

    major = rng.random(n) < np.array(s.major_illness.values())[group]
    chronic = rng.random(n) < np.array(s.chronic_illness.values())[group]

    # the household's status for every member; 特困 heads live alone or in an institution
    severe = (grade == 1) | (grade == 2)
    status = hh_status[:households][hh] if households else np.zeros(0, dtype=np.intp)
    tekun = status == 0
    central_hh = rng.random(households) < s.tekun_central_share
    central = tekun & central_hh[hh] if households else tekun
    groups = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(STATUSES):
        groups |= np.where(status == i, _bits(name), 0)
    groups |= np.where(tekun & ~central, _bits("分散供养特困"), 0)
    groups |= np.where(central, _bits("集中供养特困"), 0)
    child = age < 18
    for name in CHILD_GROUPS:
        groups |= np.where(child & (rng.random(n) < s.child_groups.get(name, 0.0)), _bits(name), 0)
    groups |= np.where(rng.random(n) < s.temporary_relief, _bits("临时救助"), 0)
    groups |= np.where(severe, _bits("重度残疾"), 0)
    groups |= np.where(grade > 0, _bits("残疾"), 0)

    # income per head per month, one per household, in its status's band over the 低保 line
    bands = np.array([s.income_bands[x] for x in STATUSES], dtype=np.float64)
    st = hh_status[:households]
    lo_b, hi_b = bands[st, 0], bands[st, 1]
    hh_income = np.floor(s.dibao_line_fen * (lo_b + rng.random(households) * (hi_b - lo_b))).astype(
        np.int64
    )
    income = hh_income[hh] if households else np.zeros(0, dtype=np.int64)

    household = size[hh].astype(np.int16) if households else np.zeros(0, dtype=np.int16)
    alone = (household == 1) & ~central

    elderly = age >= 60
    covered = np.zeros(n, dtype=np.int64)
    covered |= np.where(
        elderly & ~central & (rng.random(n) < s.home_care_elderly),
        bitmask("covered_by", ["居家养老"]),
        0,
    )
    covered |= np.where(
        severe & (rng.random(n) < s.health_management_severe),
        bitmask("covered_by", ["健康管理"]),
        0,
    )
    covered |= np.where(central, bitmask("covered_by", ["集中供养"]), 0)
    covered |= np.where(
        ~central & (age >= 70) & (rng.random(n) < s.institution_over_70),
        bitmask("covered_by", ["机构养老"]),
        0,
    )
    student = (age >= 6) & (age <= 18) & (rng.random(n) < s.student_share)
    # applying is a household's act (one application, 一户一档); drawn from its own stream
    # so adding it changed no one else's facts
    applied_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([s.seed, block, 2])))
    applied = (applied_rng.random(households) < s.applied_share)[hh]

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
        # registered where they live (the synthetic population has no migrants)
        hukou_area_code=np.full(n, s.area_code, dtype=f"<U{max(len(s.area_code), 1)}"),
        disability_type=np.array(["", *DISABILITY_TYPES])[dtype_],
        extra={
            "disability_type": dtype_,
            "status": status.astype(np.int8),
            "household": (block * BLOCK + hh).astype(np.int64),
            "head": head,
            "relation": relation,
            "applied": applied,
        },
    )
    # each kind of need from its own stream, so changing one kind's distribution (as the
    # sensitivity table does) changes that kind's column only
    streams = [
        np.random.Generator(np.random.PCG64(np.random.SeedSequence([s.seed, block, 1, k])))
        for k in range(len(KINDS))
    ]
    return pop, draw_needs(streams, pop, s.needs)


def factor_masks(pop: Population) -> dict[str, npt.NDArray[np.bool_]]:
    grade = pop.disability_grade
    dtype_ = pop.extra.get("disability_type")
    if dtype_ is None:
        dtype_ = np.zeros(len(pop), dtype=np.int8)
    masks = {
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
    for factor, name in TYPE_FACTORS.items():
        masks[factor] = dtype_ == DISABILITY_TYPES.index(name) + 1
    return masks


def draw_needs(
    rngs: list[np.random.Generator], pop: Population, dists: dict[str, NeedDist]
) -> NeedArray:
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
        if dist.among:
            within = np.zeros(n, dtype=np.bool_)
            for name in dist.among:
                within |= masks[name]
            p = np.where(within, p, 0.0)
        rng = rngs[k]
        has = rng.random(n) < np.minimum(p, 1.0)
        units = 1 + rng.poisson(dist.mean_units - 1.0, size=n)
        needs[:, k] = np.where(has, np.minimum(units, dist.max_units), 0)
    return needs
