"""Dated parameters: a value applies from a date until the next one (OpenFisca style)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar


class HasFrom(Protocol):
    @property
    def valid_from(self) -> date: ...


T = TypeVar("T", bound=HasFrom)


def in_force(versions: Sequence[T], on: date) -> T:
    """The version whose `valid_from` is the latest not after `on`."""
    best: T | None = None
    for v in versions:
        if v.valid_from <= on and (best is None or v.valid_from > best.valid_from):
            best = v
    if best is None:
        first = min((v.valid_from for v in versions), default=None)
        raise LookupError(f"no rule in force on {on} (earliest applies from {first})")
    return best
