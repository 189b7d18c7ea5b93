"""The comparison engine: every region's model over one population, side by side.

Python API (the web app and notebooks use it; the ``jiuzhu compare`` command is a shell):

    from jiuzhu.plugins.compare import compare, generate, PopulationSettings, render_html
    result = compare(regions, generate(PopulationSettings(people=100_000, seed=7)))
    html = render_html(result)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jiuzhu.core import Region, hookimpl

from .config import ServiceKinds, Staffing
from .engine import PlanSettings, compare
from .kinds import KINDS, check_kind
from .population import People, PopulationSettings, generate
from .report import render_html, render_json
from .results import Comparison

if TYPE_CHECKING:
    import click

__all__ = [
    "KINDS",
    "Comparison",
    "People",
    "PlanSettings",
    "PopulationSettings",
    "ServiceKinds",
    "Staffing",
    "compare",
    "generate",
    "render_html",
    "render_json",
]


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    register("staffing", Staffing)
    register("service_kinds", ServiceKinds)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    """service_kinds.toml names catalogue items and kinds of the vocabulary."""
    kinds = region.section("service_kinds", ServiceKinds)
    if kinds is None:
        return None
    where = region.data_dir / "service_kinds.toml"
    codes = {item.code for item in region.catalogue.items}
    problems = []
    for code, kind in kinds.items.items():
        if code not in codes:
            problems.append(f"{where}: items.{code}: not an item of the region's catalogue")
        problem = check_kind(kind)
        if problem:
            problems.append(f"{where}: items.{code}: {problem}")
    return problems


@hookimpl
def jiuzhu_cli_commands(cli: click.Group) -> None:
    from .cli import compare_command

    cli.add_command(compare_command)
