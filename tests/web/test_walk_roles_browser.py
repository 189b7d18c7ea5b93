"""The browser walk of issue 18: every role of the page world, every page of its menu, at
phone (390 px) and desktop (1366 px) width, in headless Chromium: no sideways scroll,
nothing the CSP refuses, no code in the visible text, the menu on every page. Screenshots
go to $JIUZHU_SCREENS or test-artifacts/ (not committed) for review."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .artifacts import screens_dir
from .conftest import PASSWORD, World
from .test_browser import CHROMIUM
from .test_browser import server as server  # the uvicorn fixture
from .untranslated import untranslated

SCREENS = screens_dir()
ROLES = [
    "ordos-admin",
    "ordos-officer",
    "ordos-clerk",
    "ordos-approver",
    "ordos-provider_admin",
    "ordos-worker",
    "ordos-supervisor",
    "ordos-evaluator",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_every_role_walks_its_menu(browser: Any, server: str, world: World, width: int) -> None:
    problems: list[str] = []
    walked = 0
    for username in ROLES:
        context = browser.new_context(
            base_url=server, locale="zh-CN", viewport={"width": width, "height": 900}
        )
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m, c=console: c.append(m.text) if m.type == "error" else None)
        try:
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            links = page.eval_on_selector_all(
                "header nav a", "els => els.map(a => a.getAttribute('href'))"
            )
            assert links, username
            for n, href in enumerate([*links, f"/cases/{world.case_east}", "/no/such/page"]):
                response = page.goto(href)
                assert response is not None
                if response.status >= 500:
                    problems.append(f"{username} {href}: {response.status}")
                html = page.content()
                problems += [f"{username} {href}: {p}" for p in untranslated(html)]
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > width + 1:
                    problems.append(f"{username} {href}: {wide}px wide at {width}px")
                if page.locator("header nav").count() != 1:
                    problems.append(f"{username} {href}: no menu")
                name = href.strip("/").replace("/", "-").replace("?", "-") or "home"
                SCREENS.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(SCREENS / f"{width}-{username}-{n:02d}-{name}.png"), full_page=True
                )
                walked += 1
            # an error page's status is logged as a failed load: not a problem of the page
            problems += [
                f"{username}: console {m}"
                for m in console
                if not m.startswith("Failed to load resource")
            ]
        finally:
            context.close()
    assert walked >= 3 * len(ROLES)
    assert problems == []
