"""Showing a comparison: a terminal table (rich), JSON (msgspec) and an HTML report.

``render_html(comparison)`` is what the web app calls; the report is one self-contained
page (inline CSS and SVG charts, nothing loaded from the internet).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import jinja2
import msgspec
from markupsafe import Markup
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
    return r.needs_met_share


def eligible_cell(r: RegionResult) -> str:
    e = r.eligibility
    return f"{e.eligible:,} ({percent(e.eligible / e.people)})" if e.people else "0"


# Marks a figure carries in the table (and classes in the HTML), by its provenance.
MARKS = {"sourced": "", "illustrative": "*", "scenario": "†"}
LEGEND = (
    "无标记 = 所用参数均有来源 (sourced)；* = 用到示例参数 (illustrative)；"
    "† = 用到本次情景修改的参数 (scenario, --set/--normalise)。"
    "所有数字都取决于所用人群（合成人群的分布为示例）。"
)


def basis(r: RegionResult, key: str) -> str:
    p = r.provenance.get(key)
    return p.basis if p is not None else "illustrative"  # no provenance: not trusted


def mark(r: RegionResult, key: str, text: str) -> str:
    return text + MARKS[basis(r, key)]


# (label, figure key, cell) — the same figures in the table and the HTML
ROWS: list[tuple[str, str, Callable[[RegionResult], str]]] = [
    ("人数 people", "", lambda r: f"{r.eligibility.people:,}"),
    ("符合条件 eligible", "eligibility.eligible", eligible_cell),
    ("获得服务 served", "persons_served", lambda r: f"{r.persons_served:,}"),
    (
        "人均额度 entitlement/person",
        "entitlement.annual_fen",
        lambda r: yuan(r.entitlement.annual_fen),
    ),
    (
        "额度总计 entitlement total",
        "entitlement.total_fen",
        lambda r: yuan_int(r.entitlement.total_fen),
    ),
    ("支出 spent", "entitlement.spent_fen", lambda r: yuan_int(r.entitlement.spent_fen)),
    ("额度使用率 used", "entitlement.used_share", lambda r: percent(r.entitlement.used_share)),
    (
        "人均支出 spent/eligible",
        "entitlement.spent_per_eligible_fen",
        lambda r: yuan(r.entitlement.spent_per_eligible_fen),
    ),
    ("用满额度 used it all", "entitlement.full_use", lambda r: f"{r.entitlement.full_use:,}"),
    ("需求满足 needs met", "needs_met_share", lambda r: percent(r.needs_met_share)),
    ("人次 person-times", "person_times", lambda r: f"{r.person_times:,}"),
    ("服务小时 hours", "hours", lambda r: f"{r.hours:,.0f}"),
    ("所需人员 staff", "staffing.staff", lambda r: staff_cell(r)),
    ("团队 teams", "staffing.staff", lambda r: f"{r.staffing.teams:,}"),
    (
        "中级社工师 intermediate SW",
        "staffing.staff",
        lambda r: f"{r.staffing.intermediate_social_workers:,}",
    ),
    ("助理社工师 junior SW", "staffing.staff", lambda r: f"{r.staffing.junior_social_workers:,}"),
]


def one_form_cell(r: RegionResult) -> str:
    o = r.dimensions.one_form
    if o is None:
        return "—"
    return (
        f"户均{o.policies_per_household:.1f}项（{o.households_with_policy:,}/{o.households:,}户）"
        f"；现金+服务{o.cash_and_services:,}户"
    )


def lights_cell(r: RegionResult) -> str:
    sv = r.dimensions.supervision
    if sv is None:
        return "—"
    order = ["绿灯", "黄灯", "红灯"]
    labels = sorted(sv.lights, key=lambda x: order.index(x) if x in order else len(order))
    return (
        "、".join(f"{label}{sv.lights[label]:,}" for label in labels) + f"（共{sv.providers:,}家）"
    )


def time_cell(r: RegionResult) -> str:
    tm = r.dimensions.time
    if tm is None:
        return "—"
    return (
        f"应{tm.owed_hours:,.0f}小时/实{tm.delivered_hours:,.0f}小时"
        f"；{tm.people_short:,}/{tm.people:,}人未达下限"
    )


def finding_cell(r: RegionResult) -> str:
    fd = r.dimensions.finding
    if fd is None:
        return "—"
    return (
        f"预警{fd.found:,}人；其中符合条件{fd.found_eligible:,}"
        f"；未申请者中找到{fd.found_beyond_applicants:,}/{fd.eligible_not_applied:,}"
    )


# the other dimensions (shown when some region has them): label, figure key, cell
DIMENSION_ROWS: list[tuple[str, str, str, Callable[[RegionResult], str]]] = [
    ("one_form", "联办表覆盖 one-form coverage", "dimensions.one_form", one_form_cell),
    ("supervision", "服务机构红绿灯 provider lights", "dimensions.supervision", lights_cell),
    ("time", "时间保障 time floor (hours/year)", "dimensions.time", time_cell),
    ("finding", "政策找人 finding people", "dimensions.finding", finding_cell),
]


def dimension_rows(c: Comparison) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(label, [(text, basis, title)]) for each dimension some region has."""
    out = []
    for name, label, key, cell in DIMENSION_ROWS:
        if all(getattr(r.dimensions, name) is None for r in c.regions):
            continue
        cells = []
        for r in c.regions:
            present = getattr(r.dimensions, name) is not None
            cells.append(
                (cell(r), basis(r, key) if present else "sourced", why(r, key) if present else "")
            )
        out.append((label, cells))
    return out


def staff_cell(r: RegionResult) -> str:
    """Staff, and what set it when it is not the hours (by recipients: an artefact of
    max_recipients_per_team, a team rule, not of the work)."""
    by = {"recipients": "（按服务人数）", "team size": "（按团队规模）"}.get(
        r.staffing.teams_by, ""
    )
    return f"{r.staffing.staff:,}{by}"


def summary_rows(c: Comparison) -> list[tuple[str, list[str]]]:
    """(label, one marked cell per region) — the same figures in the table and the HTML."""
    return [
        (label, [mark(r, key, cell(r)) if key else cell(r) for r in c.regions])
        for label, key, cell in ROWS
    ]


def summary_cells(c: Comparison) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """For the HTML: (label, [(text, basis, title)]) — the title names the illustrative and
    scenario inputs the figure used."""
    out = []
    for label, key, cell in ROWS:
        cells = []
        for r in c.regions:
            b = basis(r, key) if key else "sourced"
            cells.append((cell(r), b, why(r, key) if key else ""))
        out.append((label, cells))
    return out


def why(r: RegionResult, key: str) -> str:
    p = r.provenance.get(key)
    if p is None:
        return "未记录来源"
    parts = []
    if p.scenario:
        parts.append("情景修改：" + "；".join(r.inputs[k].label for k in p.scenario))
    if p.illustrative:
        names = [r.inputs[k].label for k in p.illustrative]
        more = f" 等{len(names)}项" if len(names) > 6 else ""
        parts.append("示例参数：" + "；".join(names[:6]) + more)
    return " / ".join(parts) or f"所用{p.inputs}项参数均有来源"


def need_cell(r: RegionResult, k: int) -> str:
    n = r.needs[k]
    if not n.offered:
        return "未提供" + MARKS[basis(r, f"needs[{n.kind}].met_share")]
    text = f"{percent(n.met_share)} ({n.met_units:,}/{n.eligible_need_units:,})"
    return mark(r, f"needs[{n.kind}].met_share", text)


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

    dims = dimension_rows(c)
    if dims:
        other = Table(title="其他维度 other dimensions")
        other.add_column("")
        for name in names:
            other.add_column(name, justify="right")
        for label, marked in dims:
            other.add_row(label, *(text + MARKS[b] for text, b, _ in marked))
        console.print(other)

    needs = Table(title="需求满足率（按服务种类） needs met, by kind")
    needs.add_column("种类 kind")
    for name in names:
        needs.add_column(name, justify="right")
    for k, kind in enumerate(c.kinds):
        needs.add_row(kind, *(need_cell(r, k) for r in c.regions))
    console.print(needs)

    for r in c.regions:
        fund = Table(title=f"{r.name}：资金来源 funding · 资格 eligibility", show_header=True)
        fund.add_column("")
        fund.add_column("", justify="right")
        for s in r.funding:
            text = f"{yuan_int(s.spent_fen)} ({percent(s.share)})"
            fund.add_row(s.name, mark(r, f"funding[{s.code}].spent_fen", text))
        for i, t in enumerate(r.entitlement.tiers):
            key = f"entitlement.tiers[{i}].spent_fen"
            fund.add_row(f"{t.name} ({t.share_percent}%)", mark(r, key, yuan_int(t.spent_fen)))
        for inc in r.eligibility.includes:
            fund.add_row(f"纳入 {inc.label}", f"{inc.people:,}")
        for exc in r.eligibility.excludes:
            fund.add_row(f"排除 {exc.label}", f"{exc.people:,}")
        console.print(fund)
    for part in explain_tables(c):
        console.print(part)
    console.print(LEGEND)
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


HEADLINE_NAMES = {
    "eligible": "符合条件 eligible",
    "served": "获得服务 served",
    "spent_fen": "支出 spent",
    "needs_met_share": "需求满足 needs met",
    "hours": "服务小时 hours",
    "staff": "所需人员 staff",
}


def headline_value(name: str, value: float) -> str:
    if name == "spent_fen":
        return yuan_int(int(value))
    if name == "needs_met_share":
        return percent(value)
    return f"{value:,.0f}"


def measure_value(x: float) -> str:
    return f"{x:,.0f}" if x >= 1000 or float(x).is_integer() else f"{x:,.2f}"


def signed(x: float) -> str:
    return f"{x:+.1%}" if x else "0"


def explain_tables(c: Comparison, top: int = 15) -> list[Table | Text]:
    """Calibration, structure vs parameters, and sensitivity, when the run has them."""
    out: list[Table | Text] = []
    for cal in c.calibration:
        t = Table(title=f"校准 calibration：模型与{cal.target}公布数据 (model vs published)")
        for col in (
            "项目 item",
            "公布 人/人次",
            "模型 人/人次",
            "人均次数 公布/模型",
            "人次占比 公布/模型",
        ):
            t.add_column(col, justify="left" if col.startswith("项目") else "right")
        for crow in cal.rows:
            t.add_row(
                crow.name,
                f"{crow.published_persons:,}/{crow.published_times:,}",
                f"{crow.model_persons:,}/{crow.model_times:,}",
                f"{crow.published_times_per_person:.2f}/{crow.model_times_per_person:.2f}",
                f"{percent(crow.published_mix)}/{percent(crow.model_mix)}",
            )
        t.caption = "；".join(cal.notes) or None
        if cal.rows:
            out.append(t)
        if cal.totals:
            tt = Table(title=f"校准 calibration：模型与{cal.target}公布总数 (model vs published)")
            for col in ("指标 measure", "公布 published", "模型 model", "可比 comparable"):
                tt.add_column(col, justify="left" if col.startswith("指标") else "right")
            for m in cal.totals:
                tt.add_row(
                    m.measure,
                    measure_value(m.published),
                    measure_value(m.model) + MARKS.get(m.basis, "*"),
                    "是" if m.comparable else "否（取决于人群）",
                )
            tt.caption = "；".join(cal.notes) or None
            out.append(tt)
        out.append(Text(f"来源 source: {cal.source}", style="dim"))
    ex = c.explanation
    if ex is not None and ex.decomposition is not None:
        d = ex.decomposition
        t = Table(title="差异来自模式结构还是参数 structure vs parameters (spread across regions)")
        t.add_column("指标 headline")
        for sc in d.scenarios:
            t.add_column(sc.name, justify="right")
        t.add_column("结构占比 structural", justify="right")
        for h, name in HEADLINE_NAMES.items():
            t.add_row(
                name,
                *(headline_value(h, sc.spread[h]) for sc in d.scenarios),
                percent(d.structural_share[h]),
            )
        t.caption = (
            "各列为各地区之间的极差；统一额度与价格后仍存在的差异来自模式结构（资格、阶段、清单、上限），"
            "其余来自参数。"
        )
        out.append(t)
    if ex is not None and ex.sensitivity:
        t = Table(title=f"敏感性 sensitivity：示例参数各 ±20%（影响最大的 {top} 项）")
        for col in (
            "地区",
            "参数 parameter",
            "原值",
            "需求满足 −/+",
            "支出 −/+",
            "最大变动 largest",
        ):
            t.add_column(col, justify="left" if col in ("地区", "参数 parameter") else "right")
        for row in ex.sensitivity[:top]:
            t.add_row(
                row.region,
                row.label,
                f"{row.base:,.0f}",
                f"{signed(row.headlines_low['needs_met_share'])} / "
                f"{signed(row.headlines_high['needs_met_share'])}",
                f"{signed(row.headlines_low['spent_fen'])} / "
                f"{signed(row.headlines_high['spent_fen'])}",
                f"{percent(row.largest)} {HEADLINE_NAMES[row.largest_headline].split()[0]}",
            )
        out.append(t)
    return out


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
                [r.needs[k].met_share if r.needs[k].offered else None for r in rs]
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


# The figures each chart draws, for its provenance caption.
CHART_KEYS: list[tuple[str, list[str]]] = [
    ("people", ["eligibility.eligible", "persons_served"]),
    ("spend", ["entitlement.annual_fen", "entitlement.spent_per_eligible_fen"]),
    ("needs", ["needs_met_share"]),
    ("funding", ["entitlement.spent_fen"]),
    ("staff", ["staffing.staff"]),
]


def chart_flags(c: Comparison, keys: list[str]) -> list[str]:
    """Regions whose figures in a chart are not all sourced (marked after the name)."""
    out = []
    for r in c.regions:
        worst = max((basis(r, k) for k in keys), key=["sourced", "illustrative", "scenario"].index)
        if worst != "sourced":
            out.append(f"{r.name}{MARKS[worst]}")
    return out


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
            rows=summary_cells(c),
            dimension_rows=dimension_rows(c),
            kind_names={"cash": "现金", "service": "服务", "in_kind": "实物", "other": "其他"},
            legend=LEGEND,
            basis=basis,
            why=why,
            chart_keys=CHART_KEYS,
            headline_names=HEADLINE_NAMES,
            headline_value=headline_value,
            signed=signed,
            measure_value=measure_value,
            chart_flags=lambda keys: chart_flags(c, keys),
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
