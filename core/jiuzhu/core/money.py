"""Money is integer fen (分). Formatting and parsing live here, nowhere else."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

Fen = int


def yuan(fen: Fen) -> str:
    """1234567 -> '12,345.67元'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}元"


def parse_yuan(text: str) -> Fen:
    """'12.5' -> 1250; refuses more than two decimals rather than rounding money."""
    try:
        value = Decimal(text.strip().removesuffix("元"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount in yuan: {text!r}") from exc
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(fen)
