"""融救联助 in headless Chromium at phone (390 px) and desktop (1366 px) width, under the
Content-Security-Policy: an officer publishes a wish, a unit claims and fulfils it, the
recipient confirms through the link (no account); a 1+1+N case team is formed and holds a
graded review; the public wish wall. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu.core.web.app import create_app
from jiuzhu.plugins.resources import wishes

from .helpers import Home
from .test_pages import PASSWORD, SECRET, cheap_hashes, home

__all__ = ["cheap_hashes", "home", "page", "server"]  # fixtures used below

from tests.web.test_browser import CHROMIUM, page, server, shot
from tests.web.test_browser_security import watch

PHONE: Any = {"width": 390, "height": 844}
DESKTOP: Any = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def app(svc, home: Home) -> Any:
    """The app the shared ``server`` fixture (tests/web/test_browser.py) serves."""
    return create_app(svc, secret_key=SECRET)


def sign_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def sign_out(page: Any) -> None:
    page.click("text=退出登录")
    page.wait_for_url("**/login")


def no_overflow(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, f"{page.url} scrolls sideways"


def test_a_wish_from_publishing_to_confirmation(page: Any, svc, home: Home) -> None:
    problems = watch(page)
    sign_in(page, "xq-officer")
    page.goto("/wishes")
    page.fill("#case_id", str(home.case_id))
    page.fill("#title", "两套学习桌椅和台灯")
    page.fill("#description", "家中两名学龄儿童缺少学习桌椅和台灯")
    page.fill("#need", "学习用品")
    page.fill("#value", "600")
    page.click("form[action='/wishes'] button")
    page.wait_for_url("**/wishes/XY*")
    number = page.url.rsplit("/", 1)[-1]
    assert page.locator("#wish-status").inner_text() == "待认领"
    no_overflow(page)
    shot(page, "resources-01-wish-published-phone")
    sign_out(page)

    sign_in(page, "xq-unit")
    page.goto("/wishes")
    page.click(f"a[href='/wishes/{number}']")
    page.click("text=认领这个心愿")
    page.wait_for_url(f"**/wishes/{number}?done=claim")
    assert page.locator("#wish-status").inner_text() == "已认领"
    page.fill("#note", "已送到两套学习桌椅和两盏台灯")
    page.click("text=已圆梦")
    page.wait_for_url(f"**/wishes/{number}?done=fulfil")
    assert page.locator("#wish-status").inner_text() == "已圆梦，待确认"
    no_overflow(page)
    shot(page, "resources-02-wish-fulfilled-phone")
    sign_out(page)

    sign_in(page, "xq-officer")
    page.goto(f"/wishes/{number}")
    link = page.locator("#confirm-link").get_attribute("href")
    sign_out(page)
    page.goto(link)  # the recipient, on their own phone, no account
    page.click("text=确认已收到")
    assert "已确认收到" in page.locator(".notice").inner_text()
    shot(page, "resources-03-recipient-confirmed-phone")
    assert wishes.wall_wish(svc, "xingqing", number).status == "confirmed"

    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(size)
        page.goto("/wall/xingqing")
        assert "已确认" in page.content() and "张小雨" not in page.content()
        no_overflow(page)
        shot(page, f"resources-04-wall-{name}")
    assert problems == [], problems


def test_a_case_team_and_its_review(page: Any, home: Home) -> None:
    problems = watch(page)
    page.set_viewport_size(DESKTOP)
    sign_in(page, "xq-officer")
    page.goto("/teams")
    page.fill("#case", str(home.case_id))
    page.click("#team-go button")
    page.wait_for_url(f"**/cases/{home.case_id}/team")
    page.fill("#lead", "蔡旺红")
    page.fill("#officer", "李玲")
    page.select_option("#grade", "key")
    boxes = page.locator("input[name=holders]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("text=组建团队")
    page.wait_for_url(f"**/cases/{home.case_id}/team")
    assert page.locator("#team-grade").inner_text() == "重点"
    page.fill("#attendees", "蔡旺红、李玲、资源方代表")
    page.fill("#record", "老人照顾孩子力不从心，孩子缺少学习用品")
    page.fill("#decisions", "发布学习用品微心愿\n社工每周陪伴写作业")
    page.click("text=保存研判记录")
    page.wait_for_url(f"**/cases/{home.case_id}/team")
    assert "社工每周陪伴写作业" in page.locator(".review").inner_text()
    no_overflow(page)
    shot(page, "resources-05-team-desktop")
    page.set_viewport_size(PHONE)
    no_overflow(page)
    shot(page, "resources-06-team-phone")
    page.goto(f"/households/{home.household_id}/package")
    no_overflow(page)
    shot(page, "resources-07-package-phone")
    assert problems == [], problems
