"""Import (and export) a real anonymised roster: CSV or Excel (.xlsx), one person a row.

The first row names the columns, in English (the fact names) or Chinese; a column named
after a kind of service (``助餐``, or ``需求:助餐``) holds that need in units per year.
Only ``age`` is required. A bad cell is refused with the file, the row (as a spreadsheet
shows it: the header is row 1) and the column; nothing is guessed.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jiuzhu.core.base import Invalid
from jiuzhu.core.facts import COVERAGE, DISABILITY_TYPES, FACT_KINDS, GROUPS, Population, labels
from jiuzhu.core.money import parse_yuan

from .kinds import KINDS
from .population import People, PopulationInfo

# column -> (fact, Chinese name)
COLUMNS: dict[str, str] = {
    "id": "编号",
    "age": "年龄",
    "groups": "群体",
    "disability_grade": "残疾等级",
    "major_illness": "重大疾病",
    "chronic_illness": "慢性病",
    "household_size": "家庭人口",
    "income_per_capita_fen": "人均月收入（分）",
    "income_per_capita_yuan": "人均月收入（元）",
    "covered_by": "已享服务",
    "student": "在校",
    "living_alone": "独居",
    "area_code": "区划代码",
    "hukou_area_code": "户籍区划代码",
    "disability_type": "残疾类别",
}
ALIASES: dict[str, str] = {zh: en for en, zh in COLUMNS.items()}
ALIASES.update(
    {"人均月收入(元)": "income_per_capita_yuan", "人均月收入(分)": "income_per_capita_fen"}
)
NEED_PREFIXES = ("需求:", "需求：", "need:", "need_")
TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
FALSE = {"0", "false", "no", "n", "否", "无", "", "f", "×"}
SPLIT = re.compile(r"[、,，;；|/\s]+")


def _column(header: object, file: str, col: int) -> str:
    name = "" if header is None else str(header).strip()
    if name in COLUMNS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    kind = name
    for prefix in NEED_PREFIXES:
        if name.startswith(prefix):
            kind = name[len(prefix) :].strip()
    if kind in KINDS:
        return f"need:{kind}"
    raise Invalid(
        f"{file}: row 1, column {_letter(col)}",
        f"unknown column {name!r}; known: {', '.join(COLUMNS)} (or Chinese "
        f"{', '.join(COLUMNS.values())}) and needs by kind: {', '.join(KINDS)}",
    )


def _letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as a spreadsheet names columns)."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _rows_csv(path: Path) -> Iterator[Sequence[Any]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            yield from csv.reader(fh)
    except UnicodeDecodeError as exc:
        raise Invalid(
            str(path.name), f"not UTF-8 text ({exc.reason}); save the CSV as UTF-8"
        ) from None
    except OSError as exc:
        raise Invalid(str(path.name), f"cannot read: {exc.strerror}") from None


def _rows_xlsx(path: Path) -> Iterator[Sequence[Any]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise Invalid(str(path.name), f"not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


class _Cells:
    """Parses one cell, naming its row and column when it is bad."""

    def __init__(self, file: str, headers: list[str], raw_headers: list[str]) -> None:
        self.file = file
        self.headers = headers
        self.raw = raw_headers
        self.row = 0

    def bad(self, col: int, value: object, expected: str) -> Invalid:
        return Invalid(
            f"{self.file}: row {self.row}, column {_letter(col)} ({self.raw[col]})",
            f"{value!r} is not {expected}",
        )

    def text(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def integer(self, col: int, value: object, lo: int, hi: int, default: int) -> int:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, bool):
            raise self.bad(col, value, f"a whole number from {lo} to {hi}")
        if isinstance(value, float):
            if not value.is_integer():
                raise self.bad(col, value, f"a whole number from {lo} to {hi}")
            number = int(value)
        elif isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                raise self.bad(col, value, f"a whole number from {lo} to {hi}") from None
        if not lo <= number <= hi:
            raise self.bad(col, value, f"a whole number from {lo} to {hi}")
        return number

    def boolean(self, col: int, value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = self.text(value).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise self.bad(col, value, "yes or no (是/否, 1/0, true/false)")

    def labels(self, col: int, value: object, vocab: tuple[str, ...]) -> int:
        mask = 0
        for label in SPLIT.split(self.text(value)):
            if not label:
                continue
            if label not in vocab:
                raise self.bad(col, label, f"one of {', '.join(vocab)}")
            mask |= 1 << vocab.index(label)
        return mask

    def yuan(self, col: int, value: object) -> int:
        if value is None or not self.text(value):
            return 0
        try:
            fen = parse_yuan(self.text(value) if not isinstance(value, float) else repr(value))
        except ValueError:
            raise self.bad(col, value, "an amount in yuan (at most two decimals)") from None
        if fen < 0:
            raise self.bad(col, value, "an amount of at least 0")
        return fen


def read_roster(path: Path) -> People:
    """Read a roster (.csv or .xlsx) into People; Invalid names the row and column of a
    bad cell."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise Invalid("--roster", f"{path}: no such file")
    if suffix == ".csv":
        rows = _rows_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _rows_xlsx(path)
    else:
        raise Invalid("--roster", f"{path.name}: give a .csv or .xlsx file")
    file = path.name
    header_row = next(rows, None)
    if header_row is None:
        raise Invalid(file, "the file is empty; the first row must name the columns")
    raw_headers = ["" if h is None else str(h).strip() for h in header_row]
    while raw_headers and not raw_headers[-1]:
        raw_headers.pop()
    headers = [_column(h, file, i) for i, h in enumerate(raw_headers)]
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h in seen:
            raise Invalid(
                f"{file}: row 1, column {_letter(i)}",
                f"column {raw_headers[i]!r} repeats column {_letter(seen[h])}",
            )
        seen[h] = i
    if "age" not in seen:
        raise Invalid(f"{file}: row 1", "a column 'age' (年龄) is required")
    if "income_per_capita_fen" in seen and "income_per_capita_yuan" in seen:
        raise Invalid(f"{file}: row 1", "give income in fen or in yuan, not both")
    cells = _Cells(file, headers, raw_headers)
    cols: dict[str, list[Any]] = {h: [] for h in (*COLUMNS, *(f"need:{k}" for k in KINDS))}
    n = 0
    for r, row in enumerate(rows, start=2):
        values = list(row)[: len(headers)]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines are skipped
        values += [None] * (len(headers) - len(values))
        cells.row = r
        got = dict(zip(headers, values, strict=True))
        cols["id"].append(cells.text(got.get("id")) or str(n + 1))
        if got.get("age") is None or not cells.text(got.get("age")):
            raise Invalid(
                f"{file}: row {r}, column {_letter(seen['age'])} ({raw_headers[seen['age']]})",
                "age is required",
            )
        cols["age"].append(cells.integer(seen["age"], got["age"], 0, 120, 0))
        cols["groups"].append(
            cells.labels(seen["groups"], got["groups"], GROUPS) if "groups" in got else 0
        )
        cols["disability_grade"].append(
            cells.integer(seen["disability_grade"], got["disability_grade"], 0, 4, 0)
            if "disability_grade" in got
            else 0
        )
        for fact in ("major_illness", "chronic_illness", "student", "living_alone"):
            cols[fact].append(cells.boolean(seen[fact], got[fact]) if fact in got else False)
        cols["household_size"].append(
            cells.integer(seen["household_size"], got["household_size"], 1, 50, 1)
            if "household_size" in got
            else 1
        )
        if "income_per_capita_fen" in got:
            income = cells.integer(
                seen["income_per_capita_fen"], got["income_per_capita_fen"], 0, 10**12, 0
            )
        elif "income_per_capita_yuan" in got:
            income = cells.yuan(seen["income_per_capita_yuan"], got["income_per_capita_yuan"])
        else:
            income = 0
        cols["income_per_capita_fen"].append(income)
        cols["covered_by"].append(
            cells.labels(seen["covered_by"], got["covered_by"], COVERAGE)
            if "covered_by" in got
            else 0
        )
        code = cells.text(got.get("area_code"))
        if code and not code.isdigit():
            raise cells.bad(seen["area_code"], code, "a numeric division code")
        cols["area_code"].append(code)
        hukou = cells.text(got.get("hukou_area_code"))
        if hukou and not hukou.isdigit():
            raise cells.bad(seen["hukou_area_code"], hukou, "a numeric division code")
        cols["hukou_area_code"].append(hukou)
        dtype = cells.text(got.get("disability_type"))
        if dtype and dtype not in DISABILITY_TYPES:
            raise cells.bad(seen["disability_type"], dtype, f"one of {', '.join(DISABILITY_TYPES)}")
        cols["disability_type"].append(dtype)
        for kind in KINDS:
            key = f"need:{kind}"
            cols[key].append(cells.integer(seen[key], got[key], 0, 100_000, 0) if key in got else 0)
        n += 1
    width = max((len(c) for c in cols["area_code"]), default=1) or 1
    hwidth = max((len(c) for c in cols["hukou_area_code"]), default=1) or 1
    pop = Population(
        age=np.array(cols["age"], dtype=np.int16),
        groups=np.array(cols["groups"], dtype=np.int64),
        disability_grade=np.array(cols["disability_grade"], dtype=np.int8),
        major_illness=np.array(cols["major_illness"], dtype=np.bool_),
        chronic_illness=np.array(cols["chronic_illness"], dtype=np.bool_),
        household_size=np.array(cols["household_size"], dtype=np.int16),
        income_per_capita_fen=np.array(cols["income_per_capita_fen"], dtype=np.int64),
        covered_by=np.array(cols["covered_by"], dtype=np.int64),
        student=np.array(cols["student"], dtype=np.bool_),
        living_alone=np.array(cols["living_alone"], dtype=np.bool_),
        area_code=np.array(cols["area_code"], dtype=f"<U{width}"),
        hukou_area_code=np.array(cols["hukou_area_code"], dtype=f"<U{hwidth}"),
        disability_type=np.array(cols["disability_type"], dtype="<U2"),
    )
    needs = np.array([cols[f"need:{k}"] for k in KINDS], dtype=np.int32).T.reshape(n, len(KINDS))
    info = PopulationInfo(
        source="roster",
        people=n,
        roster=file,
        roster_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    return People(population=pop, needs=needs, info=info, ids=cols["id"])


HEADER: tuple[str, ...] = ("id", *FACT_KINDS, *KINDS)  # the facts rules read, then needs


def roster_rows(people: People) -> Iterator[list[Any]]:
    """Rows (header first) of a roster holding ``people``: the inverse of read_roster."""
    pop = people.population
    yield list(HEADER)
    for i in range(len(people)):
        yield [
            people.ids[i] if people.ids else str(i + 1),
            int(pop.age[i]),
            "、".join(labels("groups", int(pop.groups[i]))),
            int(pop.disability_grade[i]),
            "是" if pop.major_illness[i] else "否",
            "是" if pop.chronic_illness[i] else "否",
            int(pop.household_size[i]),
            int(pop.income_per_capita_fen[i]),
            "、".join(labels("covered_by", int(pop.covered_by[i]))),
            "是" if pop.student[i] else "否",
            "是" if pop.living_alone[i] else "否",
            str(pop.area_code[i]),
            str(pop.hukou_area_code[i]),
            str(pop.disability_type[i]),
            *(int(x) for x in people.needs[i]),
        ]


def write_roster(people: People, path: Path) -> None:
    """Write ``people`` as a roster (.csv or .xlsx) that read_roster reads back."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(roster_rows(people))
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("roster")
        for row in roster_rows(people):
            sheet.append(row)
        book.save(path)
    else:
        raise Invalid("--output", f"{path.name}: give a .csv or .xlsx file")
