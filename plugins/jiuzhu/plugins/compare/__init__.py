"""The comparison engine: every region's model over one population, side by side.

Python API (the web app and notebooks use it; the ``jiuzhu compare`` command is a shell):

    from jiuzhu.plugins.compare import compare, generate, PopulationSettings, render_html
    result = compare(regions, generate(PopulationSettings(people=100_000, seed=7)))
    html = render_html(result)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jiuzhu.core import hookimpl
from jiuzhu.core.lazy import lazy_exports

if TYPE_CHECKING:
    from jiuzhu.core import Region
    from jiuzhu.core.access import Permission

    from .config import Staffing
    from .engine import PlanSettings, compare
    from .kinds import KINDS, NeedMap
    from .population import People, PopulationSettings, generate
    from .report import render_html, render_json
    from .results import Comparison

# The API loads on first use (PEP 562), and the hooks import what they call: `jiuzhu
# --help` imports this package for its command and must not pay for numpy and the report.
_LAZY = {
    "Staffing": "config",
    "PlanSettings": "engine",
    "compare": "engine",
    "KINDS": "kinds",
    "NeedMap": "kinds",
    "People": "population",
    "PopulationSettings": "population",
    "generate": "population",
    "render_html": "report",
    "render_json": "report",
    "Comparison": "results",
}

_find = lazy_exports(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _find(name)


__all__ = [
    "KINDS",
    "Comparison",
    "NeedMap",
    "People",
    "PlanSettings",
    "PopulationSettings",
    "Staffing",
    "compare",
    "generate",
    "render_html",
    "render_json",
]


@hookimpl
def jiuzhu_region_sections(register: Callable[..., None]) -> None:
    from .calibration import Calibration
    from .config import Staffing
    from .kinds import NeedMap

    register("staffing", Staffing)
    register("needs", NeedMap)
    register("calibration", Calibration)


@hookimpl
def jiuzhu_check_region(region: Region) -> list[str] | None:
    """needs.toml names catalogue items, places every item, and maps no item that nobody
    can buy within the region's own budget."""
    from .calibration import check_calibration
    from .kinds import check_need_map

    return [*check_need_map(region), *check_calibration(region)]


@hookimpl
def jiuzhu_register_permissions(register: Callable[[Permission], None]) -> None:
    from jiuzhu.core.access import Permission, Role

    register(
        Permission(
            name="compare.run",
            description="模式比较: run comparisons of the regions' models, read their reports",
            roles=(Role.EVALUATOR, Role.ADMIN),
        )
    )


@hookimpl
def jiuzhu_migrations(register: Callable[[Path, str], None]) -> None:
    from . import jobs  # noqa: F401  (the plugin's table joins the core MetaData)

    register(Path(__file__).parent / "migrations", "compare")


@hookimpl
def jiuzhu_web_pages(register: Callable[[Any], None]) -> None:
    from .web import PAGES

    for handler in PAGES:
        register(handler)
