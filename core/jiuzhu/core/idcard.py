"""Resident identity numbers (GB 11643-1999): check digit, birth date, masking."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


MAX_AGE = 130  # no one older is alive: an earlier birth date is a typing error


def validate(number: str, today: date | None = None) -> str:
    """Return the normalised number or raise ValueError saying what is wrong. With
    ``today``, the birth date must also be plausible: not after today, and no more than
    MAX_AGE years before it."""
    n = number.strip().upper()
    if not _SHAPE.match(n):
        raise ValueError("身份证号应为18位，前17位为数字，末位为数字或X")
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期无效") from None
    if check_digit(n[:17]) != n[17]:
        raise ValueError("身份证号校验位不正确")
    if today is not None:
        if born > today:
            raise ValueError(f"身份证号中的出生日期 {born} 晚于今天，不可能")
        if today.year - born.year > MAX_AGE:
            raise ValueError(f"身份证号中的出生日期 {born} 距今超过{MAX_AGE}年，不可能")
    return n


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask(number: str) -> str:
    """First 6 and last 4 shown, as is common practice: 652301********1234."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_in_text(text: str) -> str:
    """Every valid ID number inside free text, masked (a number that fails the check digit
    or has no valid birth date is left alone: it is not an ID number)."""

    def masked(match: re.Match[str]) -> str:
        try:
            return mask(validate(match.group(0)))
        except ValueError:
            return match.group(0)

    return _IN_TEXT.sub(masked, text) if len(text) >= 18 else text


def make(area: str, born: date, serial: int) -> str:
    """Build a valid number (for demo and synthetic data only)."""
    first17 = f"{area}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)
