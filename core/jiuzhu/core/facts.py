"""The facts about a person that rules may read, and their columnar form.

Rules are written once against these facts and evaluated over columns (numpy arrays),
whether the population holds one person (the service loop) or a million (the comparison).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from .base import Base

# National categories of low-income people (国办发〔2023〕39号) and related groups.
# Vocabulary, not policy: which of them a region serves is the region's data.
GROUPS: tuple[str, ...] = (
    "低保",
    "特困",
    "分散供养特困",
    "集中供养特困",
    "低保边缘",
    "防止返贫监测",
    "刚性支出困难",
    "困境儿童",
    "孤儿",
    "重度残疾",
    "残疾",
    "临时救助",
    "其他困难",
)
# 残疾类别 on the 残疾人证 (GB/T 26341); "" means none recorded.
DISABILITY_TYPES: tuple[str, ...] = ("肢体", "视力", "听力", "言语", "智力", "精神", "多重")
# Services a person already receives from other programmes (rules exclude on them).
COVERAGE: tuple[str, ...] = (
    "居家养老",
    "健康管理",
    "集中供养",
    "机构养老",
    "长期护理保险",
)


class Disability(IntEnum):
    """Disability grade as on the 残疾人证: 1 is the most severe; 0 means none."""

    NONE = 0
    GRADE1 = 1
    GRADE2 = 2
    GRADE3 = 3
    GRADE4 = 4


class PersonFacts(Base, frozen=True, kw_only=True):
    """What rules know of one person on one day."""

    age: int  # in whole years on the day the rule is applied
    groups: frozenset[str] = frozenset()  # assistance categories held: labels of GROUPS
    disability_grade: int = 0  # 残疾人证 grade, 1 (most severe) to 4; 0: none
    major_illness: bool = False  # a major illness (重大疾病)
    chronic_illness: bool = False
    household_size: int = 1  # members of the household
    income_per_capita_fen: int = 0  # household income per member per month, in fen
    covered_by: frozenset[str] = frozenset()  # services already received: labels of COVERAGE
    student: bool = False  # in school or college
    living_alone: bool = False
    area_code: str = ""  # where the person lives (residence); eligibility rules read this
    hukou_area_code: str = ""  # where the household is registered (户籍); "" if not recorded
    disability_type: str = ""  # one of DISABILITY_TYPES, or ""


# fact name -> kind; "set" facts are bitmasks over their vocabulary.
FACT_KINDS: dict[str, str] = {
    "age": "int",
    "groups": "set",
    "disability_grade": "int",
    "major_illness": "bool",
    "chronic_illness": "bool",
    "household_size": "int",
    "income_per_capita_fen": "int",
    "covered_by": "set",
    "student": "bool",
    "living_alone": "bool",
    "area_code": "str",
    "hukou_area_code": "str",
    "disability_type": "str",
}
SET_VOCAB: dict[str, tuple[str, ...]] = {"groups": GROUPS, "covered_by": COVERAGE}
# text facts whose values come from a vocabulary ("" allowed: not recorded)
CHOICE_VOCAB: dict[str, tuple[str, ...]] = {"disability_type": DISABILITY_TYPES}


def bitmask(fact: str, labels: Iterable[str]) -> int:
    vocab = SET_VOCAB[fact]
    mask = 0
    for label in labels:
        try:
            mask |= 1 << vocab.index(label)
        except ValueError:
            raise ValueError(f"unknown {fact} value {label!r}; known: {', '.join(vocab)}") from None
    return mask


def labels(fact: str, mask: int) -> list[str]:
    return [name for i, name in enumerate(SET_VOCAB[fact]) if mask >> i & 1]


@dataclass
class Population:
    """A columnar population: every fact is one numpy array of length n."""

    age: npt.NDArray[np.int16]
    groups: npt.NDArray[np.int64]
    disability_grade: npt.NDArray[np.int8]
    major_illness: npt.NDArray[np.bool_]
    chronic_illness: npt.NDArray[np.bool_]
    household_size: npt.NDArray[np.int16]
    income_per_capita_fen: npt.NDArray[np.int64]
    covered_by: npt.NDArray[np.int64]
    student: npt.NDArray[np.bool_]
    living_alone: npt.NDArray[np.bool_]
    area_code: npt.NDArray[np.str_]
    hukou_area_code: npt.NDArray[np.str_]
    disability_type: npt.NDArray[np.str_]
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.age.shape[0])

    def take(self, index: npt.NDArray[np.intp] | slice) -> Population:
        """The people at ``index`` (an index array, a boolean mask or a slice)."""
        columns: dict[str, Any] = {f: self.column(f)[index] for f in FACT_KINDS}
        return Population(**columns, extra={k: v[index] for k, v in self.extra.items()})

    def column(self, fact: str) -> npt.NDArray[Any]:
        col: npt.NDArray[Any] = getattr(self, fact)
        return col

    @classmethod
    def of(cls, people: Sequence[PersonFacts]) -> Population:
        return cls(
            age=np.array([p.age for p in people], dtype=np.int16),
            groups=np.array([bitmask("groups", p.groups) for p in people], dtype=np.int64),
            disability_grade=np.array([p.disability_grade for p in people], dtype=np.int8),
            major_illness=np.array([p.major_illness for p in people], dtype=np.bool_),
            chronic_illness=np.array([p.chronic_illness for p in people], dtype=np.bool_),
            household_size=np.array([p.household_size for p in people], dtype=np.int16),
            income_per_capita_fen=np.array(
                [p.income_per_capita_fen for p in people], dtype=np.int64
            ),
            covered_by=np.array([bitmask("covered_by", p.covered_by) for p in people], np.int64),
            student=np.array([p.student for p in people], dtype=np.bool_),
            living_alone=np.array([p.living_alone for p in people], dtype=np.bool_),
            area_code=np.array([p.area_code for p in people], dtype=np.str_),
            hukou_area_code=np.array([p.hukou_area_code for p in people], dtype=np.str_),
            disability_type=np.array([p.disability_type for p in people], dtype=np.str_),
        )


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
