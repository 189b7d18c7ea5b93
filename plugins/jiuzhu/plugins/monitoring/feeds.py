"""Reading a department's file (CSV in UTF-8 or GBK, or XLSX) against its feed kind.

Every cell is checked; every problem is reported by row (as a spreadsheet numbers it: the
header is row 1) and column (the file's header and the rule's code). A file with any
problem is refused whole: nothing of it is loaded.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jiuzhu.core import idcard

from .config import Column, FeedKind

MAX_ROWS = 1_000_000  # one file; larger exports are split by the department
_INT = re.compile(r"^-?\d{1,15}$")
_MONEY = re.compile(r"^(\d{1,13})(?:\.(\d{1,2}))?$")
_DATE = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$")
_TRUE = {"是", "true", "1", "y", "yes"}
_FALSE = {"否", "false", "0", "n", "no"}


@dataclass(frozen=True)
class Problem:
    """One bad cell (or header): where it is and what is wrong, for people."""

    row: int  # 1 = the header row
    column: str  # the header in the file ("" for a problem of the whole row)
    code: str  # the column's code in monitoring.toml
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行"
        if self.column:
            where += f"「{self.column}」列"
            if self.code and self.code != self.column:
                where += f"（{self.code}）"
        return f"{where}：{self.message}"


@dataclass
class Parsed:
    """A file read against a feed kind: its rows (values by column code) or its problems."""

    kind: FeedKind
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, values)
    problems: list[Problem] = field(default_factory=list)


class FeedRefused(Exception):
    """A file was refused: nothing of it was loaded; ``problems`` names every bad cell."""

    def __init__(self, filename: str, problems: Sequence[Problem]) -> None:
        self.filename = filename
        self.problems = list(problems)
        first = "; ".join(str(p) for p in self.problems[:3])
        more = f"（另有{len(self.problems) - 3}处）" if len(self.problems) > 3 else ""
        super().__init__(
            f"{filename}: 文件有{len(self.problems)}处错误，未导入任何数据：{first}{more}"
        )


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The cells of a CSV (UTF-8, with or without BOM, else GBK/GB18030) or XLSX file, as
    text; raise FeedRefused when the file cannot be read at all."""
    if filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        return _read_xlsx(filename, content)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise FeedRefused(filename, [Problem(1, "", "", "文件编码无法识别（应为UTF-8或GBK）")])
    if "\x00" in text:
        raise FeedRefused(filename, [Problem(1, "", "", "不是文本文件（应为CSV或XLSX）")])
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise FeedRefused(filename, [Problem(1, "", "", f"CSV格式错误：{exc}")]) from None


def _read_xlsx(filename: str, content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FeedRefused(
            filename, [Problem(1, "", "", f"无法读取XLSX文件：{type(exc).__name__}")]
        ) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    return str(value)


def parse(
    kind: FeedKind,
    table: Sequence[Sequence[str]],
    areas: Iterable[str],
    today: date,
    other_columns: bool = False,
) -> Parsed:
    """Check every cell of ``table`` (its first row the header) against ``kind``. With
    ``other_columns`` a column the kind does not name is skipped instead of refused (the
    comparison reads one file against several regions' kinds)."""
    out = Parsed(kind=kind)
    if not table or not any(c.strip() for c in table[0]):
        out.problems.append(Problem(1, "", "", "文件为空或缺少表头行"))
        return out
    header = [h.strip() for h in table[0]]
    by_header = {c.header: c for c in kind.columns}
    where: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        if h in where:
            out.problems.append(Problem(1, h, "", "表头重复"))
        elif h not in by_header:
            if other_columns:
                continue
            known = "、".join(by_header)
            out.problems.append(Problem(1, h, "", f"不是「{kind.name}」的列；应有的列：{known}"))
        else:
            where[h] = i
    for c in kind.columns:
        if c.header not in where:
            out.problems.append(Problem(1, c.header, c.code, "缺少此列"))
    if out.problems:
        return out
    if len(table) - 1 > MAX_ROWS:
        out.problems.append(Problem(1, "", "", f"行数超过{MAX_ROWS}行，请分文件导入"))
        return out
    area_set = set(areas)
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue  # a blank line
        values: dict[str, Any] = {}
        bad = False
        for c in kind.columns:
            i = where[c.header]
            raw = cells[i].strip() if i < len(cells) else ""
            try:
                values[c.code] = cell(c, raw, area_set, today)
            except ValueError as exc:
                out.problems.append(Problem(number, c.header, c.code, str(exc)))
                bad = True
        if len(cells) > len(header) and any(str(x).strip() for x in cells[len(header) :]):
            out.problems.append(Problem(number, "", "", "本行的值多于表头的列数"))
            bad = True
        if not bad:
            out.rows.append((number, values))
    return out


def cell(column: Column, raw: str, areas: set[str], today: date) -> Any:
    """One cell's value in its column's type; ValueError says what was expected."""
    if raw == "":
        if column.required:
            raise ValueError("不能为空")
        return None
    kind = column.type
    if kind == "text":
        if column.choices and raw not in column.choices:
            raise ValueError(f"应为{'、'.join(column.choices)}之一，实为「{raw}」")
        if len(raw) > 200:
            raise ValueError("文本过长（至多200字）")
        return raw
    if kind == "int":
        if not _INT.match(raw):
            raise ValueError(f"应为整数，实为「{_short(raw)}」")
        return int(raw)
    if kind == "money":
        m = _MONEY.match(raw)
        if not m:
            raise ValueError(f"应为金额（元，非负，至多两位小数），实为「{_short(raw)}」")
        return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
    if kind == "date":
        m = _DATE.match(raw)
        try:
            if not m:
                raise ValueError
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            raise ValueError(f"应为日期（如2025-03-01），实为「{_short(raw)}」") from None
    if kind == "id_number":
        try:
            return idcard.validate(raw, today)
        except ValueError as exc:
            raise ValueError(f"{exc}（实为「{idcard.mask(raw[:18])}」）") from None
    if kind == "bool":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"应为「是」或「否」，实为「{_short(raw)}」")
    if kind == "area":
        if raw not in areas:
            raise ValueError(f"「{_short(raw)}」不是本地区的区划代码")
        return raw
    raise ValueError(f"未知的列类型 {kind}")  # pragma: no cover - Literal in config


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "…"
