"""Columns of text that line up in a terminal: Chinese characters take two cells."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len


def pad(text: str, width: int, align: str = "<") -> str:
    """`text` padded with spaces to `width` terminal cells (`<` left, `>` right)."""
    gap = max(width - cell_len(text), 0)
    return text + " " * gap if align == "<" else " " * gap + text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], aligns: str = "") -> list[str]:
    """Lines of a plain table; `aligns` has one `<` or `>` per column (default `<`).
    Nothing is cut: a column is as wide as its widest cell, redirected or not."""
    aligns = aligns.ljust(len(headers), "<")
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(pad(c, w, a) for c, w, a in zip(cells, widths, aligns, strict=True))

    return [line(headers).rstrip(), *(line(r).rstrip() for r in rows)]
