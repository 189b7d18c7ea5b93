"""GB/T 42195-2022 老年人能力评估规范 as an instrument any region can name.

4 domains — 自理能力 (8 items, 32 points), 基础运动能力 (4, 15), 精神状态 (9, 28),
感知觉与社会参与 (5, 15) — 90 points, higher = more able. Levels: 能力完好 90, 轻度失能
66–89, 中度失能 46–65, 重度失能 30–45, 完全失能 0–29; raised one level for a diagnosis of
dementia or a mental disorder, or two or more care-risk events in the last 30 days.

A region writes ``uses = "gbt42195"`` in its assessment.toml and adds its need rules
(``max_score``: a domain score at or below it calls for the items).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files

import msgspec

from jiuzhu.core import hookimpl
from jiuzhu.core.assessment import Instrument

ID = "gbt42195"


@cache
def instrument() -> Instrument:
    raw = files(__name__).joinpath("data", "gbt42195.toml").read_bytes()
    return msgspec.toml.decode(raw, type=Instrument)


@hookimpl
def jiuzhu_register_instruments(register: Callable[[Instrument], None]) -> None:
    register(instrument())
