"""Sections plugins add to core pages and files (``jiuzhu_page_sections``): a title, named
columns and rows — rendered as a table on the page and returned as data by the API."""

from __future__ import annotations

from typing import Any

import msgspec


class PageSection(msgspec.Struct, kw_only=True):
    key: str  # unique on the page, e.g. "one_form.applications"
    title: str
    columns: list[tuple[str, str]]  # (row key, column heading)
    rows: list[dict[str, Any]]
    link: str = ""  # a row's link, formatted with the row: "/applications/{receipt}"
    empty: str = "暂无"
    actions: list[tuple[str, str]] = []  # (href, label) buttons under the table

    def href(self, row: dict[str, Any]) -> str:
        try:
            return self.link.format(**row) if self.link else ""
        except (KeyError, IndexError, ValueError):
            return ""
