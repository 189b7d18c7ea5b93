"""The error workbook: the input as it was read, with a column 问题 naming each problem of
its row in Chinese and the cells at fault highlighted, plus a sheet 问题清单 listing every
problem by row and column. Written with openpyxl's write-only mode, to a temporary file
renamed into place (never half-written)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from .files import atomic_path
from .importer import Outcome

PROBLEM_HEADER = "问题"
BAD = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
BAD_FONT = Font(color="9C0006")
BOLD = Font(bold=True)


def write_error_workbook(outcome: Outcome, path: Path) -> Path:
    by_row: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for p in outcome.problems:
        by_row[p.row].append((p.column, p.message))
    book = Workbook(write_only=True)
    ws = book.create_sheet("数据")
    headers = [h for h in outcome.sheet.headers if h != PROBLEM_HEADER]
    keep = [i for i, h in enumerate(outcome.sheet.headers) if h != PROBLEM_HEADER]
    header_cells = []
    for h in [*headers, PROBLEM_HEADER]:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = BOLD
        if h != PROBLEM_HEADER and any(c == h for c, _ in by_row.get(1, [])):
            cell.fill = BAD
        header_cells.append(cell)
    ws.append(header_cells)
    for number, cells in outcome.sheet.rows:
        problems = by_row.get(number)
        if not problems:
            ws.append([*(cells[i] if i < len(cells) else "" for i in keep), ""])
            continue
        bad_columns = {c for c, _ in problems}
        row = []
        for i in keep:
            cell = WriteOnlyCell(ws, value=cells[i] if i < len(cells) else "")
            if outcome.sheet.headers[i] in bad_columns:
                cell.fill = BAD
                cell.font = BAD_FONT
            row.append(cell)
        text = "；".join(f"{c}：{m}" if c else m for c, m in problems)
        note = WriteOnlyCell(ws, value=text)
        note.font = BAD_FONT
        row.append(note)
        ws.append(row)
    listing = book.create_sheet("问题清单")
    listing.append([WriteOnlyCell(listing, value=h) for h in ("行号", "列", "问题")])
    for p in sorted(outcome.problems, key=lambda p: p.row):
        listing.append([p.row, p.column, p.message])
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path
