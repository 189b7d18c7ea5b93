"""Read an uploaded roster: CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel on
Chinese Windows saves it) or XLSX (python-calamine). Every cell becomes text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

HELP_PREFIX = "说明："  # the template's help row starts every cell with it


class FileProblem(ValueError):
    """The file as a whole cannot be read (a message for people)."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells)
    kind: str = "csv"  # "csv" or "xlsx"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileProblem("文件编码无法识别：请另存为 CSV UTF-8 或 Excel 工作簿（.xlsx）") from None


def _is_help(cells: list[str]) -> bool:
    first = next((c for c in cells if c), "")
    return first.startswith(HELP_PREFIX)


def _collect(sheet: Sheet, numbered: Any) -> Sheet:
    for number, cells in numbered:
        if not any(cells) or _is_help(cells):
            continue
        width = len(sheet.headers)
        sheet.rows.append((number, (cells + [""] * width)[: max(width, len(cells))]))
    return sheet


def read_csv(data: bytes) -> Sheet:
    text = decode(data)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = [h.strip() for h in next(rows)]
    except StopIteration:
        raise FileProblem("文件是空的：第1行应为表头") from None
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式有误：{exc}") from None
    sheet = Sheet(headers=headers, kind="csv")
    try:
        return _collect(sheet, ((i, [c.strip() for c in r]) for i, r in enumerate(rows, 2)))
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式有误：{exc}") from None


def read_xlsx(data: bytes) -> Sheet:
    """The first worksheet of an XLSX, read with python-calamine (Rust; about 20 times
    faster than openpyxl on a 100,000-row roster)."""
    from python_calamine import CalamineError, CalamineWorkbook, ZipError

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        values = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ZipError, ValueError, OSError) as exc:
        raise FileProblem(f"不是有效的 Excel 工作簿（.xlsx）：{exc}") from None
    if not values:
        raise FileProblem("工作表是空的：第1行应为表头")
    headers = [cell_text(v) for v in values[0]]
    while headers and not headers[-1]:
        headers.pop()
    sheet = Sheet(headers=headers, kind="xlsx")
    return _collect(sheet, ((i, [cell_text(v) for v in r]) for i, r in enumerate(values[1:], 2)))


def read_bytes(data: bytes, name: str) -> Sheet:
    """Read by content: an XLSX is a zip (PK…); anything else is read as CSV."""
    if data[:2] == b"PK":
        return read_xlsx(data)
    if name.lower().endswith((".xls", ".et")):
        raise FileProblem("不支持旧版 .xls：请在 Excel 中另存为 .xlsx 或 CSV")
    return read_csv(data)


def read_path(path: Path) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"无法读取文件 {path}：{exc.strerror}") from None
    return read_bytes(data, path.name)
