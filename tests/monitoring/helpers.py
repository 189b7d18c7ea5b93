"""Builders for the monitoring tests: feed files in a region's own columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date

from jiuzhu.core import idcard
from jiuzhu.core.regions import Region
from jiuzhu.plugins.monitoring.config import Monitoring


def mon(region: Region) -> Monitoring:
    found = region.section("monitoring", Monitoring)
    assert found is not None
    return found


def number(area: str, serial: int, born: date = date(1970, 1, 1)) -> str:
    return idcard.make(area, born, serial)


def csv_bytes(
    region: Region, kind: str, rows: Sequence[dict[str, str]], encoding: str = "utf-8"
) -> bytes:
    """A CSV with the kind's headers; each row gives cells by column code."""
    feed = mon(region).kind(kind)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in feed.columns])
    for row in rows:
        writer.writerow([row.get(c.code, "") for c in feed.columns])
    return out.getvalue().encode(encoding)


def xlsx_bytes(region: Region, kind: str, rows: Sequence[Mapping[str, object]]) -> bytes:
    from openpyxl import Workbook

    feed = mon(region).kind(kind)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([c.header for c in feed.columns])
    for row in rows:
        sheet.append([row.get(c.code) for c in feed.columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
