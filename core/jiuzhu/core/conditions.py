"""Declarative conditions on person facts, evaluated over columns.

A condition is data (`{fact = "age", lt = 60}`); `mask()` evaluates it for a whole
population at once, so the same rule serves one person and a million.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .base import Base
from .facts import CHOICE_VOCAB, FACT_KINDS, SET_VOCAB, Population, bitmask


class Condition(Base, frozen=True, kw_only=True):
    fact: str  # the fact tested: one of jiuzhu.core.facts.FACT_KINDS
    eq: int | bool | str | None = None  # the fact equals this value
    ne: int | bool | str | None = None  # the fact differs from this value
    lt: int | None = None  # the fact is less than this number
    le: int | None = None  # the fact is at most this number
    gt: int | None = None  # the fact is greater than this number
    ge: int | None = None  # the fact is at least this number
    one_of: list[int | str] | None = None  # the fact is one of these values
    has: str | None = None  # the set fact contains this label
    has_any: list[str] | None = None  # the set fact contains at least one of these labels
    has_none: list[str] | None = None  # the set fact contains none of these labels
    prefix: str | None = None  # the text fact starts with this (e.g. an area code's first digits)

    def __post_init__(self) -> None:
        kind = FACT_KINDS.get(self.fact)
        if kind is None:
            raise ValueError(f"unknown fact {self.fact!r}; known: {', '.join(FACT_KINDS)}")
        ops = [k for k in _OPS if getattr(self, k) is not None]
        if len(ops) != 1:
            raise ValueError(f"give exactly one test for fact {self.fact!r}, got {ops or 'none'}")
        op = ops[0]
        if kind == "set":
            if op not in ("has", "has_any", "has_none"):
                raise ValueError(f"fact {self.fact!r} is a set: use has, has_any or has_none")
            wanted: list[str] = [str(self.has)] if op == "has" else list(getattr(self, op))
            bitmask(self.fact, wanted)  # raises on an unknown label
        elif op in ("has", "has_any", "has_none"):
            raise ValueError(
                f"{op} applies to set facts ({', '.join(SET_VOCAB)}), not {self.fact!r}"
            )
        elif op == "prefix" and kind != "str":
            raise ValueError(f"prefix applies to text facts, not {self.fact!r}")
        vocab = CHOICE_VOCAB.get(self.fact)
        if vocab is not None and op in ("eq", "ne", "one_of"):
            value = getattr(self, op)
            wanted = [str(v) for v in value] if op == "one_of" else [str(value)]
            unknown = [v for v in wanted if v and v not in vocab]
            if unknown:
                raise ValueError(
                    f"unknown {self.fact} value {unknown[0]!r}; known: {', '.join(vocab)}"
                )

    @property
    def op(self) -> str:
        return next(k for k in _OPS if getattr(self, k) is not None)

    def mask(self, pop: Population) -> npt.NDArray[np.bool_]:
        col = pop.column(self.fact)
        op = self.op
        value: Any = getattr(self, op)
        if op in ("has", "has_any"):
            bits = bitmask(self.fact, [value] if op == "has" else value)
            return np.asarray((col & bits) != 0, dtype=np.bool_)
        if op == "has_none":
            return np.asarray((col & bitmask(self.fact, value)) == 0, dtype=np.bool_)
        if op == "prefix":
            return np.char.startswith(col.astype(np.str_), value)
        if op == "one_of":
            return np.isin(col, value)
        result: npt.NDArray[np.bool_] = {
            "eq": lambda: col == value,
            "ne": lambda: col != value,
            "lt": lambda: col < value,
            "le": lambda: col <= value,
            "gt": lambda: col > value,
            "ge": lambda: col >= value,
        }[op]()
        return np.asarray(result, dtype=np.bool_)


_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "one_of", "has", "has_any", "has_none", "prefix")


class Criteria(Base, frozen=True, kw_only=True):
    """All of `all` and at least one of `any` (when given)."""

    all: list[Condition] = []
    any: list[Condition] = []

    def mask(self, pop: Population) -> npt.NDArray[np.bool_]:
        result = np.ones(len(pop), dtype=np.bool_)
        for c in self.all:
            result &= c.mask(pop)
        if self.any:
            either = np.zeros(len(pop), dtype=np.bool_)
            for c in self.any:
                either |= c.mask(pop)
            result &= either
        return result


# --- conditions as people read them (pages, refusals) -------------------------------------
FACT_LABELS = {
    "age": "年龄",
    "groups": "人员类别",
    "disability_grade": "残疾等级",
    "major_illness": "重特大疾病",
    "chronic_illness": "慢性病",
    "household_size": "家庭人口",
    "income_per_capita_fen": "人均收入",
    "covered_by": "已享保障",
    "student": "在校学生",
    "living_alone": "独居",
    "area_code": "居住地区划",
    "hukou_area_code": "户籍地区划",
    "disability_type": "残疾类别",
}
OP_LABELS = {
    "eq": "为",
    "ne": "不为",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "one_of": "为",
    "has": "含",
    "has_any": "含",
    "has_none": "不含",
    "prefix": "属",
}
_GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def _value(fact: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if fact == "disability_grade" and isinstance(value, int):
        return _GRADES.get(value, str(value))
    if fact == "income_per_capita_fen" and isinstance(value, int):
        return f"{value / 100:g}元"
    return str(value)


def describe_condition(c: Condition) -> str:
    """``{fact = "age", ge = 60}`` → 年龄≥60; in Chinese, with values as people read them
    (grades 一级…四级, money in 元, yes/no)."""
    op, value = c.op, getattr(c, c.op)
    name = FACT_LABELS.get(c.fact, c.fact)
    if isinstance(value, bool):
        return f"{name}：{_value(c.fact, value) if op == 'eq' else ('否' if value else '是')}"
    if c.fact == "disability_grade" and op in ("ge", "le", "gt", "lt") and isinstance(value, int):
        low, high = {
            "ge": (value, 4),
            "gt": (value + 1, 4),
            "le": (1, value),
            "lt": (1, value - 1),
        }[op]
        if low <= 1 and high >= 4:
            return "持有残疾证（一级至四级）"
        return f"残疾等级{_GRADES.get(low, low)}至{_GRADES.get(high, high)}"
    if isinstance(value, list):
        joiner = "或" if op in ("one_of", "has_any") else "、"
        shown = joiner.join(_value(c.fact, v) for v in value)
        return f"{name}{OP_LABELS[op]}{shown}"
    if c.fact == "age" and op in ("ge", "gt", "le", "lt"):
        return f"{name}{OP_LABELS[op]}{value}岁"
    return f"{name}{OP_LABELS[op]}{_value(c.fact, value)}"


def describe_criteria(who: Criteria | None) -> str:
    """All conditions joined by 且, the alternatives by 或: 年龄≥60岁且（重特大疾病：是 或 …）."""
    if who is None:
        return ""
    parts = [describe_condition(c) for c in who.all]
    if who.any:
        either = " 或 ".join(describe_condition(c) for c in who.any)
        parts.append(f"（{either}）" if who.all else either)
    return "且".join(parts)
