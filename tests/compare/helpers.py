"""Shared helpers for the comparison tests."""

from __future__ import annotations

from datetime import date

import msgspec
import numpy as np

from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.results import Comparison

ON = date(2025, 6, 1)


def needs_row(**units: int) -> np.ndarray:
    row = np.zeros((1, len(KINDS)), dtype=np.int32)
    for kind, u in units.items():
        row[0, KINDS.index(kind)] = u
    return row


def model_answer(c: Comparison) -> dict[str, object]:
    """A comparison without its wall time: what must repeat exactly."""
    data: dict[str, object] = msgspec.to_builtins(c)
    data.pop("seconds")
    return data
