"""The comparison engine: every region's model over one population, side by side."""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import hookimpl

from .config import Staffing


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("staffing", Staffing)
