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
