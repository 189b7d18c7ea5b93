"""Reading HTML forms: every value arrives as text (or a list of texts for repeated names).

Conversion errors are collected per field, in Chinese, so a page can show them next to the
fields and write nothing. Plugins' pages use the same helpers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

from ...money import parse_yuan

YUAN = re.compile(r"[0-9]{1,11}(\.[0-9]{1,2})?")
DIGITS = re.compile(r"[0-9]{1,12}")
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).strip()


def many(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def checked(data: dict[str, Any], key: str) -> bool:
    return text(data, key) in ("1", "on", "yes", "true")


def integer(
    data: dict[str, Any], key: str, errors: dict[str, str], default: int | None = None
) -> int | None:
    raw = text(data, key)
    if not raw:
        return default
    if not DIGITS.fullmatch(raw):
        errors[key] = "应为不带小数的非负整数"
        return default
    return int(raw)


def fen(
    data: dict[str, Any], key: str, errors: dict[str, str], default: int | None = None
) -> int | None:
    """An amount typed in yuan (元), returned in fen."""
    raw = text(data, key).replace(",", "").replace("，", "").removesuffix("元")
    if not raw:
        return default
    if not YUAN.fullmatch(raw):
        errors[key] = "应为金额（元），最多两位小数"
        return default
    value = parse_yuan(raw)
    if value > 10**12:
        errors[key] = "金额过大"
        return default
    return value


def safe_next(target: str, fallback: str) -> str:
    """Only a path on this site (no scheme, host or protocol-relative '//')."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback
