"""Import (and export) a real anonymised roster: CSV, Parquet or Excel, one person a row.

The first row names the columns, in English (the fact names) or Chinese; a column named
after a kind of need (``助餐``, or ``需求:助餐``) holds that need in units per year. Only
``age`` is required. A bad cell is refused with the file, the row (as a spreadsheet shows
it: the header is row 1) and the column; nothing is guessed.

Reading is columnar (pyarrow): a column is checked and converted as a whole, and only when
a cell is bad is the file walked again to name its row. A 1,000,000-row CSV reads in
about 1.5 s (benchmarks/roster_bench.py).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jiuzhu.core.base import Invalid
from jiuzhu.core.facts import COVERAGE, FACT_KINDS, GROUPS, Population, labels

from .kinds import KINDS
from .population import DISABILITY_TYPES, NeedArray, People, PopulationInfo, households

# column -> Chinese name
COLUMNS: dict[str, str] = {
    "id": "编号",
    "household_id": "户编号",
    "age": "年龄",
    "groups": "群体",
    "disability_grade": "残疾等级",
    "disability_type": "残疾类别",
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
}
ALIASES: dict[str, str] = {zh: en for en, zh in COLUMNS.items()}
ALIASES.update(
    {"人均月收入(元)": "income_per_capita_yuan", "人均月收入(分)": "income_per_capita_fen"}
)
NEED_PREFIXES = ("需求:", "需求：", "need:", "need_")
TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
FALSE = {"0", "false", "no", "n", "否", "无", "", "f", "×"}
SPLIT = re.compile(r"[、,，;；|/\s]+")
SUFFIXES = (".csv", ".parquet", ".xlsx", ".xlsm")


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


class _Table:
    """A roster as text columns, with a way back from a data row to the file's row."""

    def __init__(self, file: str, headers: list[str], cols: list[pa.Array], rows: RowNumbers):
        self.file = file
        self.raw = headers
        self.cols = cols
        self.rows = rows

    def bad(self, col: int, index: int, value: object, expected: str) -> Invalid:
        return Invalid(
            f"{self.file}: row {self.rows(index)}, column {_letter(col)} ({self.raw[col]})",
            f"{value!r} is not {expected}",
        )


RowNumbers = Callable[[int], int]


def _read_csv(path: Path) -> tuple[list[str], list[pa.Array], RowNumbers]:
    import pyarrow.csv as pacsv

    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise Invalid(path.name, f"not UTF-8 text ({exc.reason}); save the CSV as UTF-8") from None
    except OSError as exc:
        raise Invalid(path.name, f"cannot read: {exc.strerror}") from None
    if header is None:
        raise Invalid(path.name, "the file is empty; the first row must name the columns")
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise Invalid(path.name, "not UTF-8 text; save the CSV as UTF-8") from None
        raise Invalid(path.name, f"not a readable CSV: {exc}") from None

    def row_of(index: int) -> int:
        """The spreadsheet row of data row ``index`` (blank lines count, as in a sheet)."""
        with path.open(newline="", encoding="utf-8-sig") as fh:
            seen = -1
            for r, record in enumerate(csv.reader(fh), start=1):
                if r == 1 or not any(cell.strip() for cell in record):
                    continue
                seen += 1
                if seen == index:
                    return r
        return index + 2

    return (
        [h.strip() for h in header],
        [table.column(i) for i in range(len(names))],  # chunked: no copy
        row_of,
    )


def _read_parquet(path: Path) -> tuple[list[str], list[pa.Array], RowNumbers]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Invalid(path.name, f"not a readable Parquet file: {exc}") from None
    heads, cols = _parquet_columns(table)
    return heads, cols, lambda index: index + 2


def _parquet_columns(table: pa.Table) -> tuple[list[str], list[pa.Array]]:
    """Integer and boolean columns stay typed (read as they are); others become text."""
    cols = []
    for arr in table.columns:
        if not (pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type)):
            arr = pc.fill_null(arr.cast(pa.string()), "")
        cols.append(arr)
    return list(table.column_names), cols


def _text(arr: pa.Array) -> pa.Array:
    """A column as text (typed Parquet columns where text is expected)."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if pa.types.is_boolean(arr.type):
        return pc.fill_null(pc.if_else(arr, "1", "0"), "")
    return pc.fill_null(arr.cast(pa.string()), "")


def _read_xlsx(path: Path) -> tuple[list[str], list[pa.Array], RowNumbers]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise Invalid(path.name, f"not a readable .xlsx workbook: {exc}") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise Invalid(path.name, "the file is empty; the first row must name the columns")
        width = len(header)
        data: list[list[str]] = [[] for _ in range(width)]
        numbers: list[int] = []
        for r, row in enumerate(rows, start=2):
            cells = [_cell(v) for v in list(row)[:width]] + [""] * (width - len(row))
            if not any(cells):
                continue
            numbers.append(r)
            for i, cell in enumerate(cells):
                data[i].append(cell)
    finally:
        book.close()
    heads = ["" if h is None else str(h).strip() for h in header]
    return heads, [pa.array(d, type=pa.string()) for d in data], lambda index: numbers[index]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_roster(path: Path) -> People:
    """Read a roster (.csv, .parquet or .xlsx) into People; Invalid names the row and
    column of a bad cell."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise Invalid("--roster", f"{path}: no such file")
    if suffix == ".parquet":
        return ParquetRoster(path)  # read row group by row group
    readers = {".csv": _read_csv, ".xlsx": _read_xlsx}
    readers[".xlsm"] = _read_xlsx
    if suffix not in readers:
        raise Invalid("--roster", f"{path.name}: give a .csv, .parquet or .xlsx file")
    raw_headers, cols, row_of = readers[suffix](path)
    pop, needs, ids = parse_columns(
        path.name, raw_headers, cols, row_of, blank_lines=suffix == ".csv"
    )
    household, _head = households(pop)
    if len(household) and (np.diff(household) != 0).sum() >= len(np.unique(household)):
        # a household's members listed apart: list them together (a stable sort keeps
        # the head first), so chunks end at household boundaries
        order = np.argsort(household, kind="stable")
        pop, needs, ids = pop.take(order), needs[order], [ids[i] for i in order]
    info = PopulationInfo(
        source="roster", people=len(pop), roster=path.name, roster_sha256=_sha256(path)
    )
    return People(population=pop, needs=needs, info=info, ids=ids)


class ParquetRoster(People):
    """A Parquet roster read row group by row group as the comparison reads it (chunks), so
    it is never held whole; ``population`` and ``needs`` read it whole when asked."""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.parts = parquet_parts(path)
        self.rows = int(pq.ParquetFile(path).metadata.num_rows)
        self.info = PopulationInfo(
            source="roster", people=self.rows, roster=path.name, roster_sha256=_sha256(path)
        )
        self._whole: People | None = None

    def __len__(self) -> int:
        return self.rows

    def chunks(self, size: int) -> Iterator[tuple[Population, NeedArray]]:
        for part in range(self.parts):  # a row group is a chunk, whatever ``size``
            pop, needs = read_parquet_part(self.path, part)
            if len(pop):
                yield pop, needs

    def _read(self) -> People:
        if self._whole is None:
            raw_headers, cols, row_of = _read_parquet(self.path)
            pop, needs, ids = parse_columns(self.path.name, raw_headers, cols, row_of)
            self._whole = People(population=pop, needs=needs, info=self.info, ids=ids)
        return self._whole

    @property
    def population(self) -> Population:
        return self._read().population

    @property
    def needs(self) -> NeedArray:
        return self._read().needs

    @property
    def ids(self) -> list[str]:
        return self._read().ids


def parquet_parts(path: Path) -> int:
    """How many row groups (partitions) a Parquet roster has."""
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).num_row_groups)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Invalid(path.name, f"not a readable Parquet file: {exc}") from None


def read_parquet_part(path: Path, part: int) -> tuple[Population, NeedArray]:
    """Row group ``part`` of a Parquet roster (one partition of a distributed run); a bad
    cell is named by its row in the whole file."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    offset = sum(f.metadata.row_group(i).num_rows for i in range(part))
    table = f.read_row_group(part)
    heads, cols = _parquet_columns(table)
    pop, needs, _ids = parse_columns(
        path.name, heads, cols, lambda i: offset + i + 2, first_row=offset
    )
    return pop, needs


def parse_columns(
    file: str,
    raw_headers: list[str],
    cols: list[pa.Array],
    row_of: RowNumbers,
    blank_lines: bool = False,
    first_row: int = 0,
) -> tuple[Population, NeedArray, list[str]]:
    """Check and convert a roster's text columns (see read_roster). ``first_row``: the
    data row the columns start at (a Parquet row group's offset), for household ids."""
    while raw_headers and not raw_headers[-1]:
        raw_headers.pop()
    cols = cols[: len(raw_headers)]
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
    # rows whose cells are all empty are blank lines (checked only when the first column
    # has an empty cell at all)
    if cols and blank_lines and pc.any(pc.equal(cols[0], "")).as_py():
        blank = pc.equal(cols[0], "")
        for c in cols[1:]:
            blank = pc.and_(blank, pc.equal(c, ""))
        if pc.any(blank).as_py():
            keep = pc.invert(blank)
            kept = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
            cols = [pc.filter(c, keep) for c in cols]
            outer = row_of
            row_of = lambda index: outer(int(kept[index]))  # noqa: E731
    t = _Table(file, raw_headers, cols, row_of)
    n = len(cols[0]) if cols else 0

    def get(name: str) -> tuple[int, pa.Array] | None:
        return (seen[name], cols[seen[name]]) if name in seen else None

    age = get("age")
    assert age is not None
    if pa.types.is_integer(age[1].type):
        empty = np.flatnonzero(pc.is_null(age[1]).to_numpy(False))
    else:
        empty = np.flatnonzero(pc.equal(pc.utf8_trim_whitespace(age[1]), "").to_numpy(False))
    if len(empty):
        where = f"column {_letter(age[0])} ({raw_headers[age[0]]})"
        raise Invalid(f"{file}: row {row_of(int(empty[0]))}, {where}", "age is required")
    ids = get("id")
    types = _type(t, get("disability_type"), n)
    household, head = _households(get("household_id"), n, first_row)
    if get("household_id") is not None and get("household_size") is None:
        # the household's size is the number of its members listed
        _, inverse, counts = np.unique(household, return_inverse=True, return_counts=True)
        size = np.minimum(counts[inverse], 50)
    else:
        size = _int(t, get("household_size"), 1, 50, 1, n)
    pop = Population(
        age=_int(t, age, 0, 120, 0).astype(np.int16),
        groups=_labels(t, get("groups"), GROUPS, n),
        disability_grade=_int(t, get("disability_grade"), 0, 4, 0, n).astype(np.int8),
        major_illness=_bool(t, get("major_illness"), n),
        chronic_illness=_bool(t, get("chronic_illness"), n),
        household_size=size.astype(np.int16),
        income_per_capita_fen=_income(
            t, get("income_per_capita_fen"), get("income_per_capita_yuan"), n
        ),
        covered_by=_labels(t, get("covered_by"), COVERAGE, n),
        student=_bool(t, get("student"), n),
        living_alone=_bool(t, get("living_alone"), n),
        area_code=_area(t, get("area_code"), n),
        hukou_area_code=_area(t, get("hukou_area_code"), n),
        disability_type=np.array(["", *DISABILITY_TYPES])[types],
        extra={"disability_type": types, "household": household, "head": head},
    )
    needs = np.zeros((n, len(KINDS)), dtype=np.int32)
    for k, kind in enumerate(KINDS):
        needs[:, k] = _int(t, get(f"need:{kind}"), 0, 100_000, 0, n)
    id_list = _text(ids[1]).to_pylist() if ids is not None else [str(i + 1) for i in range(n)]
    return pop, needs, [v or str(i + 1) for i, v in enumerate(id_list)]


def _households(
    got: tuple[int, pa.Array] | None, n: int, first_row: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Household ids (int64) and heads (the first member listed). A person with no
    household id is a household of their own (a negative id from the row). Ids are a hash
    of the text, so the same household has the same id in every row group."""
    own = -(first_row + np.arange(n, dtype=np.int64) + 1)
    if got is None:
        return own, np.ones(n, dtype=np.bool_)
    arr = pc.utf8_trim_whitespace(_text(got[1]))
    distinct = pc.unique(arr)
    index = np.asarray(pc.index_in(arr, value_set=distinct).to_numpy(False), np.intp)
    ids = _stable_ids(distinct)[index] if n else np.zeros(0, np.int64)
    alone = pc.equal(arr, "").to_numpy(zero_copy_only=False)
    ids = np.where(alone, own, ids)
    # the first row of each household id is its head (each person alone is their own)
    first = np.full(len(distinct), n, dtype=np.intp)
    np.minimum.at(first, index, np.arange(n, dtype=np.intp))
    head = np.zeros(n, dtype=np.bool_)
    head[first[first < n]] = True
    head[alone] = True
    return ids.astype(np.int64), head


_FNV_BASIS = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _stable_ids(values: pa.Array) -> npt.NDArray[np.int64]:
    """A non-negative 63-bit FNV-1a hash of each string's UTF-8 bytes, computed over
    Arrow's buffers a byte position at a time (as many steps as the longest id, not one
    Python call per household)."""
    values = values.cast(pa.large_string())
    _, offsets_buf, data_buf = values.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        values.offset : values.offset + len(values) + 1
    ]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
    )
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(len(values), _FNV_BASIS, dtype=np.uint64)
    last = max(len(data) - 1, 0)
    for j in range(int(lengths.max(initial=0))):
        byte = data[np.minimum(starts + j, last)].astype(np.uint64)
        h = np.where(j < lengths, (h ^ byte) * _FNV_PRIME, h)
    return (h >> np.uint64(1)).astype(np.int64)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _first_bad(t: _Table, col: int, arr: pa.Array, ok: pa.Array, expected: str) -> Invalid:
    bad = np.flatnonzero(~ok.to_numpy(zero_copy_only=False))
    i = int(bad[0])
    return t.bad(col, i, arr[i].as_py(), expected)


def _int(
    t: _Table, got: tuple[int, pa.Array] | None, lo: int, hi: int, default: int, n: int = 0
) -> npt.NDArray[np.int64]:
    if got is None:
        return np.full(n, default, dtype=np.int64)
    col, arr = got
    expected = f"a whole number from {lo} to {hi}"
    if pa.types.is_integer(arr.type):  # a typed Parquet column
        typed: npt.NDArray[np.int64] = np.asarray(
            pc.fill_null(arr, default).to_numpy(zero_copy_only=False), np.int64
        )
        in_range = (typed >= lo) & (typed <= hi)
        if not in_range.all():
            i = int(np.flatnonzero(~in_range)[0])
            raise t.bad(col, i, int(typed[i]), expected)
        return typed
    arr = _text(arr)
    filled = pc.if_else(pc.equal(arr, ""), str(default), arr)
    try:  # the common case: clean digits, converted at C speed
        values = pc.cast(filled, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # spaces or 45.0 from a spreadsheet are fine; anything else is named by its row
        text = pc.replace_substring_regex(pc.utf8_trim_whitespace(filled), r"\.0+$", "")
        ok = pc.match_substring_regex(text, r"^[+-]?\d{1,12}$")
        if not pc.all(ok).as_py():
            raise _first_bad(t, col, arr, ok, expected) from None
        values = pc.cast(text, pa.int64())
    out: npt.NDArray[np.int64] = np.asarray(values.to_numpy(zero_copy_only=False), np.int64)
    in_range = (out >= lo) & (out <= hi)
    if not in_range.all():
        i = int(np.flatnonzero(~in_range)[0])
        raise t.bad(col, i, arr[i].as_py(), expected)
    return out


def _bool(t: _Table, got: tuple[int, pa.Array] | None, n: int) -> npt.NDArray[np.bool_]:
    if got is None:
        return np.zeros(n, dtype=np.bool_)
    if pa.types.is_boolean(got[1].type):  # a typed Parquet column
        flags: npt.NDArray[np.bool_] = np.asarray(
            pc.fill_null(got[1], False).to_numpy(zero_copy_only=False), np.bool_
        )
        return flags

    def parse(text: str) -> bool:
        low = text.strip().lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ValueError(text)

    parsed, index = _dictionary(t, got, parse, "yes or no (是/否, 1/0, true/false)")
    return np.array(parsed, dtype=np.bool_)[index] if len(index) else np.zeros(0, np.bool_)


def _dictionary(
    t: _Table,
    got: tuple[int, pa.Array],
    parse: Callable[[str], Any],
    expected: str,
) -> tuple[list[Any], npt.NDArray[np.intp]]:
    """Parse each distinct value once: the parsed values and each cell's index into them."""
    col, arr = got
    arr = _text(arr)
    distinct = pc.unique(arr)
    values = distinct.to_pylist()
    parsed = []
    for v in values:
        try:
            parsed.append(parse(v.strip()))
        except ValueError as exc:
            pos = int(np.flatnonzero(pc.equal(arr, v).to_numpy(zero_copy_only=False))[0])
            raise t.bad(col, pos, exc.args[0] if exc.args else v, expected) from None
    index = pc.index_in(arr, value_set=distinct).to_numpy(zero_copy_only=False)
    return parsed, np.asarray(index, dtype=np.intp)


def _labels(
    t: _Table, got: tuple[int, pa.Array] | None, vocab: tuple[str, ...], n: int
) -> npt.NDArray[np.int64]:
    if got is None:
        return np.zeros(n, dtype=np.int64)

    def parse(text: str) -> int:
        mask = 0
        for label in SPLIT.split(text):
            if not label:
                continue
            if label not in vocab:
                raise ValueError(label)
            mask |= 1 << vocab.index(label)
        return mask

    parsed, index = _dictionary(t, got, parse, f"one of {', '.join(vocab)}")
    return np.array(parsed, dtype=np.int64)[index] if len(index) else np.zeros(0, np.int64)


def _type(t: _Table, got: tuple[int, pa.Array] | None, n: int) -> npt.NDArray[np.int8]:
    if got is None:
        return np.zeros(n, dtype=np.int8)

    def parse(text: str) -> int:
        if not text:
            return 0
        name = text.removesuffix("残疾")
        if name not in DISABILITY_TYPES:
            raise ValueError(text)
        return DISABILITY_TYPES.index(name) + 1

    parsed, index = _dictionary(t, got, parse, f"one of {', '.join(DISABILITY_TYPES)}")
    return np.array(parsed, dtype=np.int8)[index] if len(index) else np.zeros(0, np.int8)


def _income(
    t: _Table,
    fen: tuple[int, pa.Array] | None,
    yuan: tuple[int, pa.Array] | None,
    n: int,
) -> npt.NDArray[np.int64]:
    if fen is not None:
        return _int(t, fen, 0, 10**12, 0)
    if yuan is None:
        return np.zeros(n, dtype=np.int64)
    col, arr = yuan
    arr = pc.utf8_trim_whitespace(_text(arr))
    ok = pc.or_(pc.equal(arr, ""), pc.match_substring_regex(arr, r"^\d{1,10}(\.\d{0,2})?$"))
    if not pc.all(ok).as_py():
        raise _first_bad(t, col, arr, ok, "an amount in yuan (at most two decimals)")
    whole = pc.replace_substring_regex(arr, r"\..*$", "")
    whole = pc.if_else(pc.equal(whole, ""), "0", whole)
    frac = pc.replace_substring_regex(arr, r"^[^.]*\.?", "")
    frac = pc.utf8_rpad(frac, width=2, padding="0")
    out = pc.add(pc.multiply(pc.cast(whole, pa.int64()), 100), pc.cast(frac, pa.int64())).to_numpy(
        zero_copy_only=False
    )
    return np.asarray(out, dtype=np.int64)


def _area(t: _Table, got: tuple[int, pa.Array] | None, n: int) -> npt.NDArray[np.str_]:
    if got is None:
        return np.full(n, "", dtype="<U1")

    def parse(text: str) -> str:
        code = text.strip()
        if not code.isdigit() and code:
            raise ValueError(text)
        return code

    parsed, index = _dictionary(t, got, parse, "a numeric division code")
    width = max((len(c) for c in parsed), default=1) or 1
    return np.array(parsed, dtype=f"<U{width}")[index] if len(index) else np.full(0, "", "<U1")


# the facts rules read, then needs
HEADER: tuple[str, ...] = ("id", "household_id", *FACT_KINDS, *KINDS)


def roster_rows(people: People) -> Iterator[list[Any]]:
    """Rows (header first) of a roster holding ``people``: the inverse of read_roster."""
    pop = people.population
    types = pop.extra.get("disability_type")
    household, _head = households(pop)
    yield list(HEADER)
    for i in range(len(people)):
        t = int(types[i]) if types is not None else 0
        yield [
            people.ids[i] if people.ids else str(i + 1),
            f"H{household[i]}" if household[i] >= 0 else "",
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
            DISABILITY_TYPES[t - 1] if t else "",
            *(int(x) for x in people.needs[i]),
        ]


def write_roster(people: People, path: Path) -> None:
    """Write ``people`` as a roster (.csv, .parquet or .xlsx) that read_roster reads back."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(roster_rows(people))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = roster_rows(people)
        header = next(rows)
        body = list(rows)
        table = pa.table({h: [r[i] for r in body] for i, h in enumerate(header)})
        pq.write_table(table, path)
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("roster")
        for row in roster_rows(people):
            sheet.append(row)
        book.save(path)
    else:
        raise Invalid("--output", f"{path.name}: give a .csv, .parquet or .xlsx file")


def write_template(path: Path) -> None:
    """A roster template: the Chinese headers and one example person."""
    rows: Sequence[list[Any]] = [
        [
            "编号",
            "户编号",
            "年龄",
            "群体",
            "残疾等级",
            "残疾类别",
            "重大疾病",
            "慢性病",
            "家庭人口",
            "人均月收入（元）",
            "已享服务",
            "在校",
            "独居",
            "区划代码",
            *(f"需求:{k}" for k in KINDS),
        ],
        [
            "示例1",
            "户1",
            50,
            "低保",
            4,
            "肢体",
            "否",
            "是",
            2,
            "512.50",
            "",
            "否",
            "否",
            "150602",
            *(2 if k in ("助洁", "康复") else "" for k in KINDS),
        ],
        # the same household (户编号): 低保 is the household's, income is per head
        ["示例2", "户1", 52, "低保", "", "", "否", "否", 2, "512.50", "", "否", "否", "150602"]
        + ["" for _ in KINDS],
    ]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(rows)
    elif suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("名册")
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        raise Invalid("--write-roster-template", f"{path.name}: give a .csv or .xlsx file")
