"""Generated rosters for the data-exchange tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from jiuzhu.core import idcard
from jiuzhu.core.storage.tables import (
    audit_log,
    case_events,
    households,
    persons,
    providers,
    workers,
)
from jiuzhu.plugins.exchange.reader import Sheet, read_bytes

PERSON_HEADERS = [
    "身份证号",
    "姓名",
    "性别",
    "区划代码",
    "户籍地区划代码",
    "联系电话",
    "救助类别",
    "残疾等级",
    "残疾类别",
    "重大疾病",
    "家庭人口",
    "家庭人均月收入（元）",
]

# one unreadable or rule-breaking value per column: what the import must report
BAD_CELLS = {
    "身份证号": "150602196001020010",  # wrong check digit
    "姓名": "",
    "性别": "未知",
    "区划代码": "999999",
    "户籍地区划代码": "12ab",
    "联系电话": "1" * 21,
    "救助类别": "外星人",
    "残疾等级": "九级",
    "残疾类别": "肚子",
    "重大疾病": "也许",
    "家庭人口": "三口",
    "家庭人均月收入（元）": "很多",
}


def person_row(i: int, area: str, born: date = date(1958, 3, 4)) -> list[str]:
    number = idcard.make(area[:6], born, i)
    grade = ("", "1级", "2级", "3级")[i % 4]
    return [
        number,
        f"对象{i}",
        "男" if i % 2 else "女",
        area,
        "110101",
        f"1380000{i:04d}",
        "低保、残疾" if i % 3 else "特困",
        grade,
        "肢体" if grade else "",
        "是" if i % 5 == 0 else "否",
        str(1 + i % 4),
        f"{(i * 37) % 2000}.50",
    ]


def to_csv(headers: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode(encoding)


def to_xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet(headers: list[str], rows: list[list[str]]) -> Sheet:
    return read_bytes(to_csv(headers, rows), "roster.csv")


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (persons, households, providers, workers, case_events, audit_log)
        }
