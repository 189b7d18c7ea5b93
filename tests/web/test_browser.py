"""End to end in headless Chromium: sign-in → case → dispatch → worker → rating → supervision.

Screenshots of each page go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, World

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
    shot(page, "07-work-checkout")
    card.locator("button").click()
    assert "服务完成" in page.locator(".notice").inner_text()
    sign_out(page)

    sign_in(page, "ordos-officer")
    page.goto(f"/cases/{world.case_east}")
    link = page.locator("a.rating-link").first.get_attribute("href")
    assert link
    sign_out(page)
    page.goto(link)
    shot(page, "08-rating")
    page.click("button[value='5']")
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
