"""The evaluator's page in headless Chromium at 1366 and 390 px, under the CSP: start a
comparison, see its progress, open the report, download the XLSX workbook and open it.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from .conftest import World
from .test_browser import CHROMIUM, page, server, shot, sign_in
from .test_browser_core_model import no_overflow
from .test_browser_security import PHONE, watch

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
WIDE = {"width": 1366, "height": 900}


def test_an_evaluator_runs_a_comparison_in_a_browser(
    page: Any, world: World, tmp_path: Path
) -> None:
    problems = watch(page)
    sign_in(page, "ordos-evaluator")
    page.set_viewport_size(WIDE)
    page.click("nav >> text=模式比较")
    page.wait_for_url("**/compare")
    no_overflow(page)
    page.fill("#people", "300000")
    page.fill("#seed", "7")
    page.check("#regions input[value=ordos]")
    page.check("#regions input[value=binzhou]")
    shot(page, "compare-01-form-1366")
    page.click("#start")
    page.wait_for_url("**/compare/jobs/*")
    # the progress while it runs: a bar and a state, kept up to date by the page's script
    assert page.locator("#job-progress").count() == 1
    first = page.locator("#job-state").inner_text()
    assert first in ("排队中", "运行中", "已完成")
    seen = {first}
    if first != "已完成":
        shot(page, "compare-02-progress-1366")
    for _ in range(600):
        if page.locator("#open-report").count():
            break
        seen.add(page.locator("#job-state").inner_text())
        page.wait_for_timeout(200)
    assert page.locator("#open-report").count() == 1, seen
    assert page.locator("#job-percent").inner_text() == "100%"
    assert seen & {"排队中", "运行中"}  # it was seen before it ended
    shot(page, "compare-03-done-1366")

    with page.expect_download() as download:
        page.click("#download-xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    book = openpyxl.load_workbook(path)
    assert "总览" in book.sheetnames and "其他维度" in book.sheetnames
    names = [c.value for c in book["总览"][1]]
    assert "鄂尔多斯市" in names[1:3] and "滨州市" in names[1:3]

    page.set_viewport_size(PHONE)
    no_overflow(page)
    shot(page, "compare-04-done-390")
    page.click("#open-report")
    page.wait_for_url("**/report")
    assert "同一人群" in page.locator("h1").inner_text()
    assert page.locator("#summary").count() == 1 and page.locator("#dimensions-table").count() == 1
    shot(page, "compare-05-report-390")
    page.set_viewport_size(WIDE)
    shot(page, "compare-06-report-1366")
    page.goto("/compare")
    page.set_viewport_size(PHONE)
    no_overflow(page)
    assert page.locator("#jobs tr").count() == 2  # the header and the run
    shot(page, "compare-07-list-390")
    # a download shows as an aborted navigation; nothing else may fail
    assert [p for p in problems if "/download/" not in p] == [], problems
