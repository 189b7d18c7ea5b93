"""A comparison as an Excel workbook (openpyxl): one sheet per table, figures as numbers,
each figure's provenance marked — a fill colour (yellow: used an illustrative input; blue:
changed by the scenario), a mark after the region's figures ("*", "†") in a column of its
own, and a comment naming the illustrative inputs. The first sheet explains the marks."""

from __future__ import annotations

import io
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from .report import DIMENSION_ROWS, LEGEND, MARKS, basis, provenance, why
from .results import Comparison, RegionResult

FILLS = {
    "illustrative": PatternFill("solid", fgColor="FFF4D6"),
    "scenario": PatternFill("solid", fgColor="E3EDFF"),
}
BOLD = Font(bold=True)

# (label, figure key, value): the summary as numbers (money in yuan)
SUMMARY: list[tuple[str, str, Callable[[RegionResult], float]]] = [
    ("人数 people", "", lambda r: r.eligibility.people),
    ("符合条件 eligible", "eligibility.eligible", lambda r: r.eligibility.eligible),
    ("符合条件户数 eligible households", "households_eligible", lambda r: r.households_eligible),
    ("获得服务 served", "persons_served", lambda r: r.persons_served),
    ("获得服务户数 households served", "households_served", lambda r: r.households_served),
    (
        "人均额度（元）entitlement/person",
        "entitlement.annual_fen",
        lambda r: r.entitlement.annual_fen / 100,
    ),
    (
        "额度总计（元）entitlement total",
        "entitlement.total_fen",
        lambda r: r.entitlement.total_fen / 100,
    ),
    ("支出（元）spent", "entitlement.spent_fen", lambda r: r.entitlement.spent_fen / 100),
    ("额度使用率 used", "entitlement.used_share", lambda r: r.entitlement.used_share),
    (
        "人均支出（元）spent/eligible",
        "entitlement.spent_per_eligible_fen",
        lambda r: r.entitlement.spent_per_eligible_fen / 100,
    ),
    ("用满额度 used it all", "entitlement.full_use", lambda r: r.entitlement.full_use),
    ("需求满足 needs met", "needs_met_share", lambda r: r.needs_met_share),
    ("人次 person-times", "person_times", lambda r: r.person_times),
    ("服务小时 hours", "hours", lambda r: r.hours),
    ("所需人员 staff", "staffing.staff", lambda r: r.staffing.staff),
]
PERCENT = {"额度使用率 used", "需求满足 needs met"}


def _header(ws: Worksheet, cells: list[str]) -> None:
    ws.append(cells)
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def _mark(ws: Worksheet, row: int, col: int, r: RegionResult, key: str) -> str:
    """Colour the cell by the figure's provenance and comment on it; the mark."""
    if not key:
        return ""
    b = basis(r, key)
    cell = ws.cell(row=row, column=col)
    if b in FILLS:
        cell.fill = FILLS[b]
        cell.comment = Comment(why(r, key)[:1000], "jiuzhu")
    return MARKS[b]


def _widths(ws: Worksheet, first: int = 28, rest: int = 16) -> None:
    for i, column in enumerate(ws.iter_cols(min_row=1, max_row=1), start=1):
        ws.column_dimensions[column[0].column_letter].width = first if i == 1 else rest


def workbook(c: Comparison) -> Workbook:
    book = Workbook()
    info = book.active
    assert info is not None
    info.title = "说明"
    info.append(["服务类社会救助：同一人群在各地模式下的结果（jiuzhu compare）"])
    info["A1"].font = Font(bold=True, size=14)
    info.append(["来源标记", LEGEND])
    info.append(
        ["黄色底色", "该数字用到示例参数（illustrative），标记 *；悬停批注列出所用示例参数"]
    )
    info.append(["蓝色底色", "该数字用到本次情景修改的参数（scenario），标记 †"])
    info.append(["无底色", "所用参数均有来源（sourced）"])
    info.append(["版本与人群", provenance(c)])
    info.append(["规则日期", str(c.plan.on)])
    if c.plan.normalise:
        info.append(["统一", "、".join(c.plan.normalise)])
    for r in c.regions:
        info.append([r.name, f"{r.id} · 插件 {r.plugin_version or '?'} · 数据 {r.data_version}"])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 120

    ws = book.create_sheet("总览")
    regions = c.regions
    _header(ws, ["指标", *(r.name for r in regions), *(f"{r.name} 来源" for r in regions)])
    for label, key, value in SUMMARY:
        ws.append([label, *(value(r) for r in regions)])
        row = ws.max_row
        marks = [_mark(ws, row, 2 + i, r, key) for i, r in enumerate(regions)]
        for i, m in enumerate(marks):
            ws.cell(row=row, column=2 + len(regions) + i, value=(m or "有来源") if key else "")
        if label in PERCENT:
            for i in range(len(regions)):
                ws.cell(row=row, column=2 + i).number_format = "0.0%"
    _widths(ws)

    ws = book.create_sheet("需求满足")
    _header(
        ws,
        ["种类", *(f"{r.name} 满足率" for r in regions), *(f"{r.name} 满足/需求" for r in regions)],
    )
    for k, kind in enumerate(c.kinds):
        ws.append(
            [
                kind,
                *(r.needs[k].met_share if r.needs[k].offered else "未提供" for r in regions),
                *(f"{r.needs[k].met_units}/{r.needs[k].eligible_need_units}" for r in regions),
            ]
        )
        row = ws.max_row
        for i, r in enumerate(regions):
            _mark(ws, row, 2 + i, r, f"needs[{kind}].met_share")
            ws.cell(row=row, column=2 + i).number_format = "0.0%"
    _widths(ws, 12)

    ws = book.create_sheet("资金来源")
    _header(ws, ["地区", "资金来源", "层级", "支出（元）", "占比", "来源"])
    for r in regions:
        for s in r.funding:
            ws.append([r.name, s.name, s.level, s.spent_fen / 100, s.share])
            row = ws.max_row
            ws.cell(row=row, column=5).number_format = "0.0%"
            m = _mark(ws, row, 4, r, f"funding[{s.code}].spent_fen")
            ws.cell(row=row, column=6, value=m or "有来源")
    _widths(ws, 18, 22)

    ws = book.create_sheet("服务项目")
    _header(
        ws,
        [
            "地区",
            "编码",
            "项目",
            "类别",
            "需求种类",
            "单位",
            "单价（元）",
            "数量",
            "支出（元）",
            "人数",
            "小时",
            "来源",
        ],
    )
    for r in regions:
        for it in r.items:
            ws.append(
                [
                    r.name,
                    it.code,
                    it.name,
                    it.category,
                    it.kind,
                    it.unit,
                    it.unit_price_fen / 100,
                    it.units,
                    it.spent_fen / 100,
                    it.persons,
                    it.hours,
                ]
            )
            m = _mark(ws, ws.max_row, 8, r, f"items[{it.code}].units")
            ws.cell(row=ws.max_row, column=12, value=m or "有来源")
    _widths(ws, 18, 14)

    dims = [(name, label, key, cell) for name, label, key, cell in DIMENSION_ROWS]
    ws = book.create_sheet("其他维度")
    _header(ws, ["维度", *(r.name for r in regions)])
    for name, label, key, cell in dims:
        if all(getattr(r.dimensions, name) is None for r in regions):
            continue
        ws.append([label, *(cell(r) for r in regions)])
        for i, r in enumerate(regions):
            if getattr(r.dimensions, name) is not None:
                _mark(ws, ws.max_row, 2 + i, r, key)
    _widths(ws, 30, 40)

    if c.calibration:
        ws = book.create_sheet("校准")
        _header(ws, ["地区", "对象", "指标", "公布", "模型", "可比", "来源"])
        for cal in c.calibration:
            for crow in cal.rows:
                ws.append(
                    [
                        cal.region,
                        cal.target,
                        f"{crow.name} 人数",
                        crow.published_persons,
                        crow.model_persons,
                        "否",
                        cal.source,
                    ]
                )
                ws.append(
                    [
                        cal.region,
                        cal.target,
                        f"{crow.name} 人次",
                        crow.published_times,
                        crow.model_times,
                        "否",
                        cal.source,
                    ]
                )
                ws.append(
                    [
                        cal.region,
                        cal.target,
                        f"{crow.name} 人均次数",
                        crow.published_times_per_person,
                        crow.model_times_per_person,
                        "是",
                        cal.source,
                    ]
                )
                for row in range(ws.max_row - 2, ws.max_row + 1):
                    ws.cell(row=row, column=5).fill = FILLS["illustrative"]
            for total in cal.totals:
                ws.append(
                    [
                        cal.region,
                        cal.target,
                        total.measure,
                        total.published,
                        total.model,
                        "是" if total.comparable else "否",
                        cal.source,
                    ]
                )
                if total.basis in FILLS:
                    ws.cell(row=ws.max_row, column=5).fill = FILLS[total.basis]
        _widths(ws, 12, 18)

    ex = c.explanation
    if ex is not None and ex.sensitivity:
        ws = book.create_sheet("敏感性")
        _header(
            ws,
            [
                "地区",
                "参数",
                "路径",
                "原值",
                "最大变动",
                "指标",
                "需求满足 −20%",
                "需求满足 +20%",
                "支出 −20%",
                "支出 +20%",
            ],
        )
        for sr in ex.sensitivity:
            ws.append(
                [
                    sr.region,
                    sr.label,
                    sr.parameter,
                    sr.base,
                    sr.largest,
                    sr.largest_headline,
                    sr.headlines_low.get("needs_met_share", 0.0),
                    sr.headlines_high.get("needs_met_share", 0.0),
                    sr.headlines_low.get("spent_fen", 0.0),
                    sr.headlines_high.get("spent_fen", 0.0),
                ]
            )
        _widths(ws, 10, 16)
    if ex is not None and ex.decomposition is not None:
        ws = book.create_sheet("结构与参数")
        d = ex.decomposition
        _header(ws, ["指标", *(sc.name for sc in d.scenarios), "结构占比"])
        for h, share in d.structural_share.items():
            ws.append([h, *(sc.spread[h] for sc in d.scenarios), share])
        _widths(ws, 20, 16)
    return book


def to_xlsx(c: Comparison) -> bytes:
    out = io.BytesIO()
    workbook(c).save(out)
    return out.getvalue()
