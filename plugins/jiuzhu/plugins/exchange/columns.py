"""The columns of each importable kind: the Chinese header (what templates write), English
aliases (what other systems export), how a cell is read, and the help a clerk sees.

A cell is read into the value the core stores; a cell that cannot be read raises
``CellError`` with a Chinese message naming the rule. Validation against the region (ID
check digit, areas, vocabularies) is the core's, applied after reading (importer.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu.core.domain import RELATIONS
from jiuzhu.core.facts import COVERAGE, DISABILITY_TYPES, GROUPS

from .kinds import KINDS as KINDS

KIND_LABELS = {
    "persons": "救助对象",
    "households": "家庭户",
    "providers": "服务机构",
    "workers": "社工",
}


class CellError(ValueError):
    """A cell that cannot be read; the message is for a clerk."""


def text(cell: str) -> str:
    return cell.strip()


SPLIT = re.compile(r"[、,，;；/|\s]+")


def tags(cell: str) -> list[str]:
    return [t for t in SPLIT.split(cell.strip()) if t]


YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"", "否", "无", "n", "no", "false", "0", "×"}


def yes_no(cell: str) -> bool:
    value = cell.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellError("应填“是”或“否”（空白视为否）")


GRADES = {"": 0, "无": 0, "0": 0, "一级": 1, "二级": 2, "三级": 3, "四级": 4}


def grade(cell: str) -> int:
    value = cell.strip()
    if value in GRADES:
        return GRADES[value]
    digits = value.removesuffix("级")
    if digits.isascii() and digits.isdigit():
        return int(digits)
    raise CellError("残疾等级应为 无、1级、2级、3级 或 4级")


def count(cell: str) -> int:
    value = cell.strip().removesuffix(".0")
    if not value:
        return 1
    if value.isascii() and value.isdigit():
        return int(value)
    raise CellError("应为整数")


def yuan_to_fen(cell: str) -> int:
    """An amount in yuan (up to 2 decimals) as integer fen; blank is 0."""
    value = cell.strip().replace(",", "").removesuffix("元")
    if not value:
        return 0
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CellError("应为金额（元），如 850 或 850.50") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("金额最多两位小数（分）")
    return int(fen)


def code(cell: str) -> str:
    """An area code; a drop-down entry "150602 东胜区" is read as its code."""
    value = cell.strip().split(" ", 1)[0].split("\u3000", 1)[0]
    return value.removesuffix(".0")


def id_number(cell: str) -> str:
    return cell.strip().upper()


@dataclass(frozen=True)
class Column:
    key: str  # the field it fills
    header: str  # the Chinese header (templates write it)
    aliases: tuple[str, ...]  # other accepted headers (English, older names)
    read: Callable[[str], Any]
    help: str
    required: bool = False
    choices: Sequence[str] = ()  # a drop-down list in the template
    choices_from_areas: bool = False  # the region's areas as the drop-down


SEP = "多项以“、”分隔"

PERSONS = (
    Column(
        "id_number",
        "身份证号",
        ("id_number", "idcard", "公民身份号码"),
        id_number,
        "18位居民身份证号，末位可为X",
        required=True,
    ),
    Column("name", "姓名", ("name",), text, "不超过60字", required=True),
    Column("sex", "性别", ("sex", "gender"), text, "男 或 女", choices=("男", "女")),
    Column(
        "area_code",
        "区划代码",
        ("area_code", "area", "所属区划"),
        code,
        "本地区内的区划代码（可从下拉列表选）",
        required=True,
        choices_from_areas=True,
    ),
    Column(
        "hukou_area_code",
        "户籍地区划代码",
        ("hukou_area_code", "hukou"),
        code,
        "6至12位数字，可为外省",
    ),
    Column("phone", "联系电话", ("phone", "电话", "手机"), text, "不超过20字"),
    Column(
        "groups",
        "救助类别",
        ("groups", "类别", "人员类别"),
        tags,
        f"{SEP}：{'、'.join(GROUPS)}",
        choices=GROUPS,
    ),
    Column(
        "disability_grade",
        "残疾等级",
        ("disability_grade",),
        grade,
        "无、1级、2级、3级、4级",
        choices=("无", "1级", "2级", "3级", "4级"),
    ),
    Column(
        "disability_type",
        "残疾类别",
        ("disability_type",),
        text,
        "、".join(DISABILITY_TYPES),
        choices=DISABILITY_TYPES,
    ),
    Column("major_illness", "重大疾病", ("major_illness",), yes_no, "是/否", choices=("是", "否")),
    Column(
        "chronic_illness", "慢性病", ("chronic_illness",), yes_no, "是/否", choices=("是", "否")
    ),
    Column(
        "covered_by",
        "已享服务",
        ("covered_by",),
        tags,
        f"{SEP}：{'、'.join(COVERAGE)}",
        choices=COVERAGE,
    ),
    Column("student", "在校学生", ("student",), yes_no, "是/否", choices=("是", "否")),
    Column("living_alone", "独居", ("living_alone",), yes_no, "是/否", choices=("是", "否")),
    Column("household_size", "家庭人口", ("household_size",), count, "1至100，空白为1"),
    Column(
        "income_per_capita_fen",
        "家庭人均月收入（元）",
        ("income_per_capita_yuan", "income"),
        yuan_to_fen,
        "元，最多两位小数",
    ),
)

HOUSEHOLDS = (
    Column(
        "head_id_number",
        "户主身份证号",
        ("head_id_number", "head"),
        id_number,
        "已登记对象的身份证号；一户各行相同",
        required=True,
    ),
    Column(
        "id_number",
        "成员身份证号",
        ("member_id_number", "id_number", "member"),
        id_number,
        "已登记对象的身份证号；户主本人也占一行",
        required=True,
    ),
    Column(
        "relation",
        "与户主关系",
        ("relation",),
        text,
        "、".join(RELATIONS),
        required=True,
        choices=RELATIONS,
    ),
    Column(
        "area_code",
        "区划代码",
        ("area_code", "area"),
        code,
        "新户须填（户主行）；本地区内的区划代码",
        choices_from_areas=True,
    ),
    Column("address", "住址", ("address",), text, "不超过200字"),
    Column("phone", "联系电话", ("phone",), text, "不超过20字"),
)

PROVIDERS = (
    Column(
        "name", "机构名称", ("name", "provider"), text, "本地区内唯一，不超过100字", required=True
    ),
    Column(
        "area_code",
        "区划代码",
        ("area_code", "area"),
        code,
        "本地区内的区划代码",
        required=True,
        choices_from_areas=True,
    ),
)

WORKERS = (
    Column(
        "provider",
        "机构名称",
        ("provider", "provider_name"),
        text,
        "已登记的服务机构名称",
        required=True,
    ),
    Column("name", "姓名", ("name",), text, "不超过60字", required=True),
    Column("phone", "联系电话", ("phone",), text, "如 13800000001；同机构同名以电话区分"),
    Column("qualifications", "资质", ("qualifications",), tags, f"{SEP}，如 社工师、护理员"),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "persons": PERSONS,
    "households": HOUSEHOLDS,
    "providers": PROVIDERS,
    "workers": WORKERS,
}


def normal(header: str) -> str:
    return re.sub(r"[\s*＊()（）]+", "", header).lower()


def match_headers(kind: str, headers: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Which file column holds each field: ({key: index}, problems). Unknown headers are
    kept (and ignored); a missing required column or a column named twice is a problem."""
    by_name: dict[str, Column] = {}
    for col in COLUMNS[kind]:
        for name in (col.header, *col.aliases):
            by_name[normal(name)] = col
    found: dict[str, int] = {}
    problems: list[str] = []
    for i, header in enumerate(headers):
        match = by_name.get(normal(header))
        if match is None:
            continue
        if match.key in found:
            problems.append(f"表头“{header}”与第{found[match.key] + 1}列重复（都是{match.header}）")
            continue
        found[match.key] = i
    for col in COLUMNS[kind]:
        if col.required and col.key not in found:
            problems.append(f"缺少必填列“{col.header}”（也可写作 {'、'.join(col.aliases)}）")
    return found, problems
