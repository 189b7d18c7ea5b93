"""政策找人 in headless Chromium under the CSP: an officer uploads a department's file, the
warning it raises is verified on a phone (390 px), and the visit sends the person to the
one-form intake, pre-filled, where the application is accepted. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.users import add_user
from jiuzhu.plugins.monitoring.work import case_source
from tests.web.conftest import PASSWORD, World, app, cheap_hashes, world
from tests.web.test_browser import CHROMIUM, page, server, shot, sign_in, sign_out
from tests.web.test_browser_core_model import no_overflow
from tests.web.test_browser_security import DESKTOP, PHONE, watch

__all__ = ["app", "cheap_hashes", "page", "server", "world"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
AREA = "371621001001"


def test_feed_to_warning_to_visit_to_application(page: Any, world: World, tmp_path: Path) -> None:
    svc = world.svc
    problems = watch(page)
    setup = system_actor("binzhou", "371600", "setup")
    region = svc.region("binzhou")
    area = AREA if AREA in {a.code for a in region.info.areas} else region.info.areas[-1].code
    number = idcard.make("371621", date(1958, 4, 2), 88)
    person = create_person(
        svc,
        setup,
        NewPerson(
            region_id="binzhou", id_number=number, name="韩秀英", area_code=area, groups=["低保"]
        ),
    )
    add_user(svc, "bz-officer", PASSWORD, "officer", "binzhou", "371600")
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["身份证号", "姓名", "出院日期", "总费用", "个人自付", "居住地区划"],
            [number, "韩秀英", "2025-02-10", "31000", "12500.00", ""],
        ]
    )
    feed = tmp_path / "医保2025-02.csv"
    feed.write_bytes(out.getvalue().encode("gbk"))

    # 1. the officer at a desk: upload the medical-insurance file
    sign_in(page, "bz-officer")
    page.set_viewport_size(DESKTOP)
    page.click("nav >> text=部门数据")
    page.select_option("#kind", "medical")
    page.set_input_files("#file", str(feed))
    page.click("#upload button")
    assert "新增预警 2 条" in page.locator("#loaded").inner_text()
    shot(page, "monitoring-01-feed-loaded")

    # 2. on a phone: the queue, the red warning, the visit's outcome
    page.set_viewport_size(PHONE)
    page.click("nav >> text=预警核实")
    card = page.locator(".signal.level-red")
    assert "大额医疗支出" in card.inner_text() and "韩秀英" in card.inner_text()
    no_overflow(page)
    shot(page, "monitoring-02-queue-phone")
    card.locator("text=核实").click()
    page.wait_for_url("**/monitoring/warnings/*")
    assert "12,500.00元" in page.locator("main").inner_text()
    page.check("input[name=outcome][value=apply]")
    page.fill("#note", "入户核实：住院自付较多，家庭困难，引导申请临时救助")
    no_overflow(page)
    shot(page, "monitoring-03-visit-phone")
    page.click("#visit button")
    assert "进入一表受理" in page.locator("#apply").inner_text()

    # 3. the one-form intake, pre-filled with the person: apply for 临时救助
    page.click("#apply button")
    page.wait_for_url("**/apply/*")
    assert number not in page.url
    for box in page.locator("input[name=policies]").all():
        box.set_checked(box.get_attribute("value") == "linshi")
    for field, value in (("#f-address", "孙武街道城北社区5号"), ("#f-hardship", "住院自付较多")):
        if page.locator(field).count():
            page.fill(field, value)
    if page.locator("#f-medical_expense").count():
        page.fill("#f-medical_expense", "12500")
    for doc in ("身份证", "医疗费用票据"):
        page.check(f"input[name=documents][value={doc}]")
    shot(page, "monitoring-04-joint-form-phone")
    page.click("#submit")
    page.wait_for_url("**/applications/*")
    assert page.locator("#receipt-no").inner_text()
    no_overflow(page)
    shot(page, "monitoring-05-receipt-phone")

    # 4. supervision: the figures and bars, no inline style or script refused
    page.set_viewport_size(DESKTOP)
    page.click("nav >> text=预警监管")
    assert "已核实 1 条" in page.locator("#response").inner_text()
    shot(page, "monitoring-06-oversight")
    sign_out(page)

    # 5. a 救助顾问 reports a lead on a phone, without an ID number
    add_user(svc, "bz-adviser", PASSWORD, "adviser", "binzhou", area)
    sign_in(page, "bz-adviser")
    page.set_viewport_size(PHONE)
    page.click("nav >> text=报告线索")
    page.fill("#name", "李奶奶")
    page.fill("#description", "独居老人，近来行动不便，无人照看")
    page.select_option("#level", "orange")
    page.click("#lead button")
    assert "已收到线索" in page.locator("#made").inner_text()
    no_overflow(page)
    shot(page, "monitoring-07-lead-phone")
    sign_out(page)
    assert problems == [], problems

    from jiuzhu.core.services.cases import open_case_of

    with svc.engine.connect() as conn:
        from jiuzhu.core.services.people import get_person

        case_id = open_case_of(conn, get_person(svc, setup, person.id))
    assert case_id is not None and case_source(svc, case_id) == "rule"
