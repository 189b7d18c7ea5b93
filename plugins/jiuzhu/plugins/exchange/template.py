"""Import templates: an empty workbook with the headers, a help row (its cells start with
说明：, so the importer skips it) and drop-down lists (groups, disability grades and types,
yes/no, the region's areas) kept on a hidden sheet 选项."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jiuzhu.core.region import RegionInfo

from .columns import COLUMNS, KIND_LABELS
from .files import atomic_path
from .reader import HELP_PREFIX

ROWS = 5000  # rows the drop-downs cover
MULTI = {"groups", "covered_by", "qualifications"}  # several values: the list only suggests


def area_choices(info: RegionInfo) -> list[str]:
    return [f"{info.code} {info.name}", *(f"{a.code} {a.name}" for a in info.areas)]


def write_template(kind: str, info: RegionInfo | None, path: Path) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = KIND_LABELS[kind]
    options = book.create_sheet("选项")
    options.sheet_state = "hidden"
    help_fill = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
    option_col = 0
    for i, col in enumerate(COLUMNS[kind], 1):
        letter = get_column_letter(i)
        head = ws.cell(row=1, column=i, value=col.header)
        head.font = Font(bold=True, color="C00000" if col.required else "000000")
        note = f"{HELP_PREFIX}{'必填；' if col.required else ''}{col.help}"
        cell = ws.cell(row=2, column=i, value=note)
        cell.fill = help_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[letter].width = max(12, min(40, len(col.header) * 3))
        ws.column_dimensions[letter].number_format = "@"
        choices = list(col.choices)
        if col.choices_from_areas and info is not None:
            choices = area_choices(info)
        if not choices:
            continue
        option_col += 1
        oletter = get_column_letter(option_col)
        options.cell(row=1, column=option_col, value=col.header)
        for j, choice in enumerate(choices, 2):
            options.cell(row=j, column=option_col, value=choice)
        rule = DataValidation(
            type="list",
            formula1=f"=选项!${oletter}$2:${oletter}${len(choices) + 1}",
            allow_blank=True,
            showErrorMessage=col.key not in MULTI,
            errorTitle=col.header,
            error=f"请从下拉列表中选择：{col.help}",
            promptTitle=col.header,
            prompt=col.help[:255],
            showInputMessage=True,
        )
        rule.add(f"{letter}3:{letter}{ROWS}")
        ws.add_data_validation(rule)
    ws.freeze_panes = "A3"
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path
