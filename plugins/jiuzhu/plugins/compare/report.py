"""Showing a comparison: a terminal table (rich), JSON (msgspec) and an HTML report.

``render_html(comparison)`` is what the web app calls; the report is one self-contained
page (inline CSS and SVG charts, nothing loaded from the internet).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, TextIO

import jinja2
import msgspec
from markupsafe import Markup
from rich.console import Console
from rich.table import Table

from jiuzhu.core.money import yuan

from . import svg
from .results import Comparison, RegionResult, to_json

TEMPLATES = Path(__file__).parent / "templates"


def yuan_int(fen: int) -> str:
    """Whole yuan for summaries: 1234567 fen -> '12,346元'."""
    return f"{round(fen / 100):,}元"


def percent(share: float) -> str:
    return f"{share:.1%}"


def overall_met(r: RegionResult) -> float:
    need = sum(n.eligible_need_units for n in r.needs)
    return sum(n.met_units for n in r.needs) / need if need else 0.0


def eligible_cell(r: RegionResult) -> str:
    e = r.eligibility
    return f"{e.eligible:,} ({percent(e.eligible / e.people)})" if e.people else "0"


def summary_rows(c: Comparison) -> list[tuple[str, list[str]]]:
    """(label, one cell per region) — the same figures in the table and the HTML."""
    rs = c.regions
    return [
        ("人数 people", [f"{r.eligibility.people:,}" for r in rs]),
        ("符合条件 eligible", [eligible_cell(r) for r in rs]),
        ("获得服务 served", [f"{r.persons_served:,}" for r in rs]),
        ("人均额度 entitlement/person", [yuan(r.entitlement.annual_fen) for r in rs]),
        ("额度总计 entitlement total", [yuan_int(r.entitlement.total_fen) for r in rs]),
        ("支出 spent", [yuan_int(r.entitlement.spent_fen) for r in rs]),
        ("额度使用率 used", [percent(r.entitlement.used_share) for r in rs]),
        ("人均支出 spent/eligible", [yuan(r.entitlement.spent_per_eligible_fen) for r in rs]),
        ("用满额度 used it all", [f"{r.entitlement.full_use:,}" for r in rs]),
        ("需求满足 needs met", [percent(overall_met(r)) for r in rs]),
        ("人次 person-times", [f"{r.person_times:,}" for r in rs]),
        ("服务小时 hours", [f"{r.hours:,.0f}" for r in rs]),
        ("所需人员 staff", [f"{r.staffing.staff:,}" for r in rs]),
        ("团队 teams", [f"{r.staffing.teams:,}" for r in rs]),
        ("中级社工师 intermediate SW", [f"{r.staffing.intermediate_social_workers:,}" for r in rs]),
        ("助理社工师 junior SW", [f"{r.staffing.junior_social_workers:,}" for r in rs]),
    ]


def provenance(c: Comparison) -> str:
    p = c.population
    who = (
        f"synthetic population, seed {p.seed}, {p.people:,} people"
        if p.source == "synthetic"
        else f"roster {p.roster} ({p.people:,} people, sha256 {p.roster_sha256[:12]}…)"
    )
    regions = ", ".join(
        f"{r.id} {r.plugin_version or '?'} (data {r.data_version})" for r in c.regions
    )
    return f"jiuzhu {c.jiuzhu_version}; {who}; rules on {c.plan.on}; regions: {regions}"


def print_table(c: Comparison, console: Console) -> None:
    """The side-by-side summary, needs met by kind and spend by funding source."""
    names = [f"{r.name}\n{r.id}" for r in c.regions]
    table = Table(title="服务类社会救助：同一人群，各地模式 (one population, each region's model)")
    table.add_column("")
    for name in names:
        table.add_column(name, justify="right")
    for label, cells in summary_rows(c):
        table.add_row(label, *cells)
    console.print(table)

    needs = Table(title="需求满足率（按服务种类） needs met, by kind")
    needs.add_column("种类 kind")
    for name in names:
        needs.add_column(name, justify="right")
    for k, kind in enumerate(c.kinds):
        cells = []
        for r in c.regions:
            n = r.needs[k]
            cells.append(
                "未提供"
                if not n.items
                else f"{percent(n.met_share)} ({n.met_units:,}/{n.eligible_need_units:,})"
            )
        needs.add_row(kind, *cells)
    console.print(needs)

    for r in c.regions:
        fund = Table(title=f"{r.name}：资金来源 funding · 资格 eligibility", show_header=True)
        fund.add_column("")
        fund.add_column("", justify="right")
        for s in r.funding:
            fund.add_row(s.name, f"{yuan_int(s.spent_fen)} ({percent(s.share)})")
        for t in r.entitlement.tiers:
            fund.add_row(f"{t.name} ({t.share_percent}%)", yuan_int(t.spent_fen))
        for inc in r.eligibility.includes:
            fund.add_row(f"纳入 {inc.label}", f"{inc.people:,}")
        for exc in r.eligibility.excludes:
            fund.add_row(f"排除 {exc.label}", f"{exc.people:,}")
        console.print(fund)
    console.print(provenance(c), style="dim")


# Wide enough that no table is ever squeezed: rich tables take their natural width and
# never pad to the console's, so a file or pipe gets whole cells, not "…" at 80 columns.
UNBOUNDED = 10_000


def table_console(file: TextIO) -> Console:
    """A console for the tables: the terminal's own width on a terminal; anywhere else
    (a pipe, a file) wide enough that no cell is cut."""
    if file.isatty():
        return Console(file=file)
    return Console(file=file, width=UNBOUNDED, color_system=None)


def table_text(c: Comparison, width: int = UNBOUNDED) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    print_table(c, console)
    return console.export_text()


def charts(c: Comparison) -> dict[str, Markup]:
    labels = [r.name for r in c.regions]
    rs = c.regions
    out = {
        "people": svg.bars(
            "符合条件与获得服务的人数",
            labels,
            [
                ("符合条件", [r.eligibility.eligible for r in rs]),
                ("获得服务", [r.persons_served for r in rs]),
            ],
        ),
        "spend": svg.bars(
            "人均额度与人均支出（元）",
            labels,
            [
                ("人均额度", [r.entitlement.annual_fen / 100 for r in rs]),
                ("人均支出", [r.entitlement.spent_per_eligible_fen / 100 for r in rs]),
            ],
            fmt=lambda v: f"{v:,.0f}元",
        ),
        "funding": svg.stacked(
            "支出按资金来源",
            labels,
            [[(s.name, s.spent_fen) for s in r.funding] for r in rs],
        ),
        "needs": svg.heatmap(
            "需求满足率（按服务种类）",
            c.kinds,
            labels,
            [
                [r.needs[k].met_share if r.needs[k].items else None for r in rs]
                for k in range(len(c.kinds))
            ],
        ),
        "staff": svg.bars(
            "服务机构所需人员",
            labels,
            [
                ("所需人员", [r.staffing.staff for r in rs]),
                ("中级社工师", [r.staffing.intermediate_social_workers for r in rs]),
                ("助理社工师", [r.staffing.junior_social_workers for r in rs]),
            ],
        ),
    }
    return {k: Markup(v) for k, v in out.items()}  # built from escaped text


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yuan"] = yuan
    env.filters["yuan_int"] = yuan_int
    env.filters["percent"] = percent
    return env


def render_html(c: Comparison) -> str:
    """The self-contained HTML report of a comparison (for files and the web app)."""
    settings: Any = msgspec.to_builtins(c.population.settings) if c.population.settings else None
    return (
        _env()
        .get_template("compare.html")
        .render(
            c=c,
            rows=summary_rows(c),
            charts=charts(c),
            provenance=provenance(c),
            overall_met=overall_met,
            settings_json=to_json_text(settings),
        )
    )


def to_json_text(value: Any) -> str:
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


def render_json(c: Comparison) -> str:
    return to_json(c).decode()
