"""End to end in headless Chromium, through pages only: sign-in → case → dispatch → worker →
rating → supervision, and the whole loop from the front desk: intake → approval → assessment
→ entitlement → order → dispatch → worker → rating → supervision.

Screenshots of each page go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import DONGSHENG, PASSWORD, World, draw_signature

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            base_url=server, locale="zh-CN", viewport={"width": 390, "height": 844}
        )
        yield context.new_page()
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def sign_out(page: Any) -> None:
    page.click("text=退出登录")
    page.wait_for_url("**/login")


def test_walk_through_the_loop(page: Any, world: World) -> None:
    order_id = world.orders[0]
    page.goto("/")
    assert page.url.endswith("/login")
    shot(page, "01-login")
    sign_in(page, "ordos-officer")
    assert page.locator("h1").inner_text() == "今日待办"
    shot(page, "02-home-officer")

    page.goto(f"/cases/{world.case_east}")
    assert "王秀兰" in page.locator("h1").inner_text()
    shot(page, "03-case")

    page.goto("/dispatch")
    card = page.locator(f"#order-{order_id}")
    card.locator("select").select_option(str(world.red_provider))
    card.locator("button").click()
    assert "不再派单" in page.locator(".error").inner_text()
    shot(page, "04-dispatch-red-refused")
    card = page.locator(f"#order-{order_id}")
    card.locator("select").select_option(str(world.provider))
    card.locator("button").click()
    assert "已派出" in page.locator(".notice").inner_text()
    shot(page, "05-dispatch-done")
    sign_out(page)

    sign_in(page, "ordos-worker")
    page.goto("/work")
    shot(page, "06-work-dispatched")
    page.locator(f"#order-{order_id} button").click()
    page.locator(f"#order-{order_id} button").click()  # check in
    card = page.locator(f"#order-{order_id}")
    for box in card.locator("input[type=checkbox]").all():
        box.check()
    card.locator("input[name=confirmed_by]").fill("王秀兰")
    draw_signature(page, card)
    shot(page, "07-work-checkout")
    card.locator("button[type=submit]").click()
    assert "服务完成" in page.locator(".notice").inner_text()
    sign_out(page)

    sign_in(page, "ordos-officer")
    page.goto(f"/cases/{world.case_east}")
    link = page.locator("a.rating-link").first.get_attribute("href")
    assert link
    sign_out(page)
    page.goto(link)
    shot(page, "08-rating")
    page.check("input[name=score][value='5']")
    page.click("#next")
    page.click("#confirm")  # the choice is confirmed, not final on the first tap
    assert "谢谢" in page.locator(".notice").inner_text()
    shot(page, "09-rated")

    sign_in(page, "ordos-supervisor")
    page.goto("/supervision")
    assert "监管" in page.locator("h1").inner_text()
    shot(page, "10-supervision")
    page.goto("/stats")
    assert page.locator("svg").count() >= 1
    shot(page, "11-stats")
    page.goto("/config")
    shot(page, "12-config")


def test_intake_to_supervision_through_pages_only(page: Any, world: World) -> None:
    """The one-form front desk to the supervisor's page, a phone-sized browser throughout."""
    from datetime import date

    from jiuzhu.core import idcard
    from jiuzhu.core.services.users import add_user

    for dept in ("mz", "grid"):
        add_user(world.svc, f"ordos-approver-{dept}", PASSWORD, "approver", "ordos", "150600",
                 department=dept)  # fmt: skip
    number = idcard.make("150602", date(1982, 6, 15), 77)

    def snap(name: str) -> None:
        shot(page, f"intake-{name}")

    # 1. the clerk: find → register → the joint form → 检查 → 提交 → the receipt
    sign_in(page, "ordos-clerk")
    page.click("nav >> text=一表受理")
    page.fill("#id_number", number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.click("#find-person button")
    assert "校验位" in page.locator(".field-error").inner_text()
    snap("01-id-refused")
    page.fill("#id_number", number)
    page.click("#find-person button")
    assert number not in page.url  # ID numbers stay out of URLs and access logs
    page.fill("#p-name", "孙桂芳")
    page.select_option("#p-area", DONGSHENG)
    page.check("#person-form input[name=groups][value=低保]")
    page.select_option("#p-grade", "4")
    page.fill("#p-income", "480")
    snap("02-register")
    page.click("#person-form button[type=submit]")
    page.wait_for_url("**/apply/*")
    assert page.locator("input[name=policies][value=service_relief]").is_checked()
    snap("03-joint-form")
    page.click("#check")
    warning = page.locator("#warn-service_relief").inner_text()
    assert "必填未填" in warning and "缺少材料" in warning
    snap("04-checked")
    for box in page.locator("input[name=policies]").all():  # only what she asks for
        if box.get_attribute("value") != "service_relief":
            box.set_checked(False)
    page.fill("#f-phone", "13900000000")
    page.fill("#f-address", "永兴社区3号楼2单元")
    page.select_option("#f-disability_grade", "四级")
    page.check("input[name='form.major_illness'][value=no]")
    page.fill("#f-service_needs", "助浴、保洁")
    page.check("input[name=documents][value=身份证]")
    page.check("input[name=documents][value=残疾人证]")  # 「残疾人证或重大疾病诊断证明」
    page.click("#check")
    assert "齐全" in page.locator("#check-summary").inner_text()
    page.click("#submit")
    page.wait_for_url("**/applications/*")
    receipt = page.locator("#receipt-no").inner_text()
    assert receipt.startswith("ORD-") and page.locator("#print").is_visible()
    snap("05-receipt")
    page.emulate_media(media="print")
    snap("06-receipt-print")
    page.emulate_media(media="screen")
    sign_out(page)

    # 2. the officer: the file from the receipt, the assessment with the instrument
    sign_in(page, "ordos-officer")
    page.click("nav >> text=办理进度")
    page.fill("#q", receipt)  # 办理进度: by receipt number, name or ID number
    page.click("form >> text=查询")
    page.click("text=一人一档")
    page.click("#assess-link")
    for fieldset in page.locator("fieldset[id^=ind-]").all():
        fieldset.locator("input[type=radio]").nth(1).check()
    snap("07-assessment")
    page.click("text=保存评估")
    assert "需求评估已记录" in page.locator("#notice").inner_text()
    case_url = page.url.split("?")[0]
    sign_out(page)

    # 3. the departments: the grid worker verifies, 民政 approves the service policy
    sign_in(page, "ordos-approver-grid")
    page.click("nav >> text=部门审批")
    page.click(f"text={receipt}")
    page.check("input[name='d.verification'][value=approve]")
    page.fill("#r-verification", "入户核实，情况属实")
    page.click("text=提交决定")
    sign_out(page)
    sign_in(page, "ordos-approver-mz")
    page.click("nav >> text=部门审批")
    snap("08-department-queue")
    page.click(f"text={receipt}")
    page.check("input[name='d.service_relief'][value=reject]")
    snap("09-decide")
    page.click("text=提交决定")  # a refusal needs a reason; an approval does not
    assert "不批准须说明理由" in page.locator("#err-decisions-service_relief-reason").inner_text()
    page.check("input[name='d.service_relief'][value=approve]")
    page.fill("#r-service_relief", "低保、四级残疾，符合条件")
    page.click("text=提交决定")
    assert "服务额度已自动授予" in page.locator("#entitlement-note").inner_text()
    assert "批准 1 项" in page.locator("#outcome").inner_text()
    snap("10-outcome")
    sign_out(page)

    # 4. the officer orders from the catalogue (a refusal first) and dispatches
    sign_in(page, "ordos-officer")
    page.goto(case_url)
    assert "轻度残疾" in page.locator("#eligibility").inner_text()
    snap("11-case-granted")
    page.click("#order-link")
    page.check("#item-job_training input")
    page.click("#order button[type=submit]")
    assert "不可用于「促发展」类服务" in page.locator("#refusal").inner_text()
    snap("12-order-refused")
    page.uncheck("#item-job_training input")  # the refused choice was kept: untick it
    page.check("#item-bath_assist input")
    assert "合计" in page.locator("#order-total").inner_text()  # the total before 下单
    page.click("#order button[type=submit]")
    assert "已下单" in page.locator("#notice").inner_text()
    page.click("nav >> text=派单")
    card = page.locator("section.card", has_text="孙桂芳")
    order_id = card.get_attribute("id").removeprefix("order-")
    card.locator("select").select_option(str(world.provider))
    card.locator("button").click()
    assert "已派出" in page.locator(".notice").inner_text()
    snap("13-dispatched")
    sign_out(page)

    # 5. the worker on the phone
    sign_in(page, "ordos-worker")
    page.click("nav >> text=我的工单")
    page.locator(f"#order-{order_id} button").click()
    page.locator(f"#order-{order_id} button").click()
    card = page.locator(f"#order-{order_id}")
    for box in card.locator("input[type=checkbox]").all():
        box.check()
    card.locator("input[name=confirmed_by]").fill("孙桂芳")
    draw_signature(page, card)
    snap("14-worker-checkout")
    card.locator("button[type=submit]").click()
    assert "服务完成" in page.locator(".notice").inner_text()
    sign_out(page)

    # 6. the rating link, then a return visit
    sign_in(page, "ordos-officer")
    page.goto(case_url)
    link = page.locator("a.rating-link").first.get_attribute("href")
    assert link
    sign_out(page)
    page.goto(link)
    page.check("input[name=score][value='4']")
    page.click("#next")
    page.click("#confirm")
    assert "谢谢" in page.locator(".notice").inner_text()
    snap("15-rated")
    sign_in(page, "ordos-officer")
    page.goto(case_url)
    page.select_option("#v-kind", "return")
    page.select_option("#v-order", order_id)
    page.check("#visit input[name=satisfied][value=yes]")
    page.fill("#v-notes", "回访：对助浴服务满意")
    page.click("text=保存走访记录")
    assert "走访记录已保存" in page.locator("#notice").inner_text()
    snap("16-case-after-visit")
    sign_out(page)

    # 7. supervision
    sign_in(page, "ordos-supervisor")
    page.click("nav >> text=监管")
    assert "东胜阳光社工服务中心" in page.content()
    snap("17-supervision")
