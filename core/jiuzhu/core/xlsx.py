"""One minimal XLSX writer (openpyxl, write-only) for what pages export: sheets of a header
row and value rows. Money columns are given in 元 as numbers, so a spreadsheet sums them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx file with one sheet per (title, header, rows); titles are cut to Excel's 31."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
