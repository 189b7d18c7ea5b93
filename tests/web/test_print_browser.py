"""Point 10 of issue 18, measured in headless Chromium with print media (A4) and on screens
of 1366 and 390 px: the receipt number on one line, 办理时限 and 结果 not broken per
character, write-in cells at least 12 mm tall, every region's paper form asks who applies
(姓名、身份证号、电话、住址), and no form prints a note meant for screens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.plugins.one_form.config import PolicyList
from jiuzhu.plugins.one_form.render import identity_rows, render_form, render_receipt
from jiuzhu.plugins.one_form.service import get_application, submit_application
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form

from .artifacts import screens_dir
from .conftest import World

CHROMIUM = Path("/usr/bin/chromium")
MM = 96 / 25.4  # CSS px per millimetre
A4 = 794  # px, the printable page at 96 dpi
SCREENS = screens_dir()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]

# the number of lines the text of each matched element takes
LINES = """sel => [...document.querySelectorAll(sel)].map(el => {
  const r = document.createRange(); r.selectNodeContents(el);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return tops.size; })"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


def _page(browser: Any, html: str, width: int, media: str) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 1000}, locale="zh-CN")
    page.emulate_media(media=media)
    page.set_content(html)
    return page


def _receipt(world: World) -> str:
    svc: Services = world.svc
    region = svc.regions.get("ordos")
    codes = [p.code for p in region.section("policies", PolicyList).policies[:4]]  # type: ignore[union-attr]
    clerk = actor_for(svc.regions, "ordos", Role.CLERK, username="window")
    from jiuzhu.core.services.cases import get_case

    pid = get_case(svc, clerk, world.case_east).person_id
    app = submit_application(
        svc, clerk, "ordos", pid, codes, filled_form(region, codes), ["身份证"]
    )
    assert get_application(svc, clerk, app.receipt).receipt == app.receipt
    return render_receipt(svc, clerk, app.receipt)


@pytest.mark.parametrize(("width", "media"), [(A4, "print"), (1366, "screen"), (390, "screen")])
def test_the_receipt_keeps_its_number_and_columns_whole(
    browser: Any, world: World, width: int, media: str
) -> None:
    page = _page(browser, _receipt(world), width, media)
    try:
        assert page.evaluate(LINES, ".receipt-no") == [1]
        assert set(page.evaluate(LINES, "td.nowrap")) == {1}  # 办理时限
        assert set(page.evaluate(LINES, ".nowrap-text")) == {1}  # 结果
        if media == "print":
            SCREENS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENS / "print-receipt.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("region_id", ["ordos", "changji", "shizuishan", "binzhou"])
def test_every_paper_form_asks_who_applies_with_room_to_write(
    browser: Any, regions: Regions, region_id: str
) -> None:
    region = regions.get(region_id)
    html = render_form(region)
    for pattern in ("姓名", "身份证号|公民身份号码", "电话", "住址|居住地址"):
        assert re.search(rf"<th[^>]*>[^<]*(?:{pattern})", html), (region_id, pattern)
    assert "显示时" not in html and "前6位后4位" not in html
    page = _page(browser, html, A4, "print")
    try:
        heights = page.evaluate(
            "() => [...document.querySelectorAll('td.blank')]"
            ".map(td => td.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 12 * MM - 0.5
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"print-form-{region_id}.png"), full_page=True)
    finally:
        page.close()


def test_identity_rows_fill_only_what_a_region_lacks() -> None:
    assert identity_rows(["household_size"]) == ["申请人姓名", "身份证号", "联系电话", "现居住地址"]
    assert identity_rows(["applicant_name", "id_number", "phone", "address"]) == []
    assert identity_rows(["name", "phone"]) == ["身份证号", "现居住地址"]
