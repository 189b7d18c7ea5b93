"""Data exchange in headless Chromium under the CSP, at phone and desktop width: a region
administrator uploads a roster with mistakes, downloads the error workbook, corrects the
cells in it and uploads it again, then applies. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from jiuzhu.core.storage.tables import persons
from tests.exchange.helpers import BAD_CELLS, PERSON_HEADERS, person_row, to_csv

from .conftest import World
from .test_browser import CHROMIUM, page, server, shot, sign_in
from .test_browser_core_model import no_overflow
from .test_browser_security import DESKTOP, PHONE, watch

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def count(world: World) -> int:
    with world.svc.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(persons)).scalar_one()


def test_upload_error_workbook_corrected_upload_apply(
    page: Any, world: World, tmp_path: Path
) -> None:
    problems = watch(page)
    rows = [person_row(i, "150602", date(1966, 6, 6)) for i in range(4)]
    area, groups = PERSON_HEADERS.index("区划代码"), PERSON_HEADERS.index("救助类别")
    good_area, good_groups = rows[1][area], rows[3][groups]
    rows[1][area] = BAD_CELLS["区划代码"]
    rows[3][groups] = BAD_CELLS["救助类别"]
    roster = tmp_path / "低保名单.csv"
    roster.write_bytes(to_csv(PERSON_HEADERS, rows, "gbk"))
    before = count(world)

    sign_in(page, "ordos-admin")
    page.set_viewport_size(PHONE)
    page.click("text=数据导入导出")
    page.wait_for_url("**/exchange")
    no_overflow(page)
    shot(page, "exchange-01-upload-phone")
    page.select_option("#kind", "persons")
    page.set_input_files("#file", str(roster))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#not-applied")
    assert "2 行有问题" in page.locator("#counts").inner_text()
    table = page.locator("#problems").inner_text()
    assert "区划代码" in table and "外星人" in table
    no_overflow(page)
    shot(page, "exchange-02-report-phone")
    page.set_viewport_size(DESKTOP)
    shot(page, "exchange-03-report-desktop")

    with page.expect_download() as info:
        page.click("#errors-link")
    workbook = tmp_path / "问题.xlsx"
    info.value.save_as(str(workbook))
    book = load_workbook(workbook)
    ws = book["数据"]
    assert ws.cell(row=3, column=len(PERSON_HEADERS) + 1).value.startswith("区划代码：")
    ws.cell(row=3, column=area + 1).value = good_area
    ws.cell(row=5, column=groups + 1).value = good_groups
    book.save(workbook)
    assert count(world) == before

    page.click("#again")
    page.wait_for_url("**/exchange")
    page.set_input_files("#file", str(workbook))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#clean")
    assert "新增 4" in page.locator("#counts").inner_text()
    assert count(world) == before
    page.set_viewport_size(PHONE)
    no_overflow(page)
    page.click("#apply-form button")
    page.wait_for_selector("#applied")
    shot(page, "exchange-04-applied-phone")
    assert count(world) == before + 4

    page.goto("/stats")
    with page.expect_download() as info:
        page.click("text=下载统计报表（Excel）")
    stats = tmp_path / "stats.xlsx"
    info.value.save_as(str(stats))
    assert load_workbook(stats).worksheets[0]["A1"].value == "月份"
    no_overflow(page)
    # a download ends its navigation as "aborted" in Chromium: that is not a failure
    assert [p for p in problems if not p.endswith("net::ERR_ABORTED")] == []
    assert all(("/errors" in p or "/exchange/export/" in p) for p in problems)
