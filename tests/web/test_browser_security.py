"""The pages issue 10 changed, in headless Chromium at phone and desktop width: nothing the
Content-Security-Policy refuses (no inline script or style left behind), the API docs
drawn from this server alone, an age instead of the birth date for a supervisor, the
worker's card with contact details, and the print button working without inline script.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu.core.access import system_actor
from jiuzhu.core.services.orders import accept_order, dispatch_order

from .conftest import World
from .test_browser import CHROMIUM, page, server, shot, sign_in, sign_out

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def watch(page: Any) -> list[str]:
    """Console errors and refused requests (a CSP violation shows as both)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "requestfailed",
        lambda r: problems.append(f"{r.url}: {r.failure}") if "favicon" not in r.url else None,
    )
    return problems


def test_pages_docs_and_print_views_under_the_csp(page: Any, server: str, world: World) -> None:
    setup = system_actor("ordos", "150600", "setup")
    dispatch_order(world.svc, setup, world.orders[0], world.provider)
    accept_order(world.svc, setup, world.orders[0], world.worker)
    external: list[str] = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith((server, "data:")) else None,
    )
    problems = watch(page)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    sign_in(page, "ordos-supervisor")
    for size, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(size)
        page.goto(f"/cases/{world.case_east}")
        assert page.locator("#age").inner_text().endswith("岁")
        assert page.locator("#birth-date").count() == 0
        assert "*" in page.locator("#id-number").inner_text()
        shot(page, f"sec-case-supervisor-{tag}")
    page.goto("/schema")
    page.wait_for_selector("#swagger-ui .info", timeout=15000)
    assert "jiuzhu" in page.locator("#swagger-ui .info").inner_text()
    shot(page, "sec-api-docs-desktop")
    page.goto("/")
    sign_out(page)

    sign_in(page, "ordos-worker")
    page.set_viewport_size(PHONE)
    page.goto("/work")
    card = page.locator(f"#order-{world.orders[0]}")
    assert "王秀兰" in card.inner_text()
    shot(page, "sec-work-phone")
    sign_out(page)

    sign_in(page, "ordos-clerk")
    page.set_viewport_size(DESKTOP)
    page.goto("/apply/print")
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes' }")
    page.click("[data-print]")
    assert page.locator("body").get_attribute("data-printed") == "yes"
    shot(page, "sec-print-desktop")
    assert problems == [], missing
    assert external == []  # nothing from a CDN, fonts or anywhere else
