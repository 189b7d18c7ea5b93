"""Point 11 of issue 18: each role's main task first in its menu; marks drawn in CSS, never
an emoji or symbol a phone may lack; after a session times out the sign-in page says so
and returns the user to the form they were on, with its input (headless Chromium, at
phone and desktop width)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from jiuzhu.core.services.users import end_sessions, get_user
from jiuzhu.core.web.pages.common import safe_next

from .artifacts import screens_dir
from .conftest import PASSWORD, World, csrf, sign_in
from .test_browser import CHROMIUM
from .test_browser import server as server  # the uvicorn fixture

NAV = re.compile(r"<nav>(.*?)</nav>", re.S)
LINK = re.compile(r'<a href="([^"]+)"')
STATIC = Path(__file__).resolve().parents[2] / "core/jiuzhu/core/web/static"
SCREENS = screens_dir()
MAIN = {
    "ordos-clerk": "/apply",
    "ordos-officer": "/dispatch",
    "ordos-approver": "/tasks",
    "ordos-worker": "/work",
    "ordos-provider_admin": "/work",
    "ordos-supervisor": "/supervision",
    "ordos-evaluator": "/stats",
    "ordos-admin": "/",
}


@pytest.mark.parametrize(("username", "first"), sorted(MAIN.items()))
def test_each_role_sees_its_main_task_first(
    client: TestClient[Litestar], world: World, username: str, first: str
) -> None:
    sign_in(client, username)
    nav = NAV.search(client.get("/config").text)
    assert nav is not None
    links = LINK.findall(nav.group(1))
    assert links[0] == first, links
    assert len(links) == len(set(links))  # listed once


def test_no_emoji_or_symbol_glyphs_in_what_the_pages_draw() -> None:
    """A status dot or warning mark is CSS (shapes and colours), not a character a phone
    without an emoji font shows as an empty box."""
    glyphs = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]")
    css = (STATIC / "jiuzhu.css").read_text(encoding="utf-8")
    assert not glyphs.findall(css)
    templates = STATIC.parent / "templates"
    for path in templates.glob("*.html"):
        if path.name == "rate.html":  # the recipient's stars: issue 18 point 8 (pages B)
            continue
        assert not glyphs.findall(path.read_text(encoding="utf-8")), path.name


def test_safe_next_keeps_to_this_site() -> None:
    assert safe_next("/cases/5?done=x") == "/cases/5?done=x"
    for bad in (
        "https://evil.example/",
        "//evil.example/x",
        "/login",
        "/logout",
        "/api/cases",
        "javascript:alert(1)",
        "cases/5",
        "/r/token",
        "/\\evil",
    ):
        assert safe_next(bad) == "", bad


def test_a_timed_out_session_goes_to_sign_in_and_back(
    client: TestClient[Litestar], world: World
) -> None:
    sign_in(client, "ordos-officer")
    html = client.get(f"/cases/{world.case_east}").text
    end_sessions(world.svc, get_user(world.svc, "ordos-officer").id, "timeout")
    # a page asked for: back to it
    r = client.get(f"/cases/{world.case_east}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next=%2Fcases%2F{world.case_east}&expired=1"
    login = client.get(r.headers["location"]).text
    assert "登录已超时，请重新登录" in login
    assert f'name="next" value="/cases/{world.case_east}"' in login
    # a form posted: back to the page the form was on (as keep-form.js names it)
    client.cookies.set("jiuzhu_from", f"%2Fcases%2F{world.case_east}")
    r = client.post(
        f"/cases/{world.case_east}/visit",
        data={"kind": "home", "notes": "x", "_csrf_token": csrf(html)},
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/login?next=%2Fcases%2F{world.case_east}&expired=1"
    r = client.post(
        "/login",
        data={
            "username": "ordos-officer",
            "password": PASSWORD,
            "next": f"/cases/{world.case_east}",
            "_csrf_token": csrf(login),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{world.case_east}"
    # someone never signed in is not told of a timeout
    client.cookies.clear()
    r = client.get("/dispatch", follow_redirects=False)
    assert r.headers["location"] == "/login?next=%2Fdispatch"


# --- in the browser --------------------------------------------------------------------------
@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1366])
def test_the_form_keeps_its_input_across_a_timeout(
    browser: Any,
    server: str,
    world: World,
    width: int,
) -> None:
    context = browser.new_context(
        base_url=server, locale="zh-CN", viewport={"width": width, "height": 900}
    )
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/login")
        page.fill("#username", "ordos-officer")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        first = page.locator("header nav a").first
        assert first.get_attribute("href") == "/dispatch"
        case_url = f"/cases/{world.case_east}"
        page.goto(case_url)
        page.select_option("#v-kind", "home")
        page.check("input[name=satisfied][value=yes]")
        page.fill("#v-notes", "老人腿脚不便，需要每周上门两次")
        end_sessions(world.svc, get_user(world.svc, "ordos-officer").id, "timeout")
        page.click("#visit button[type=submit]")
        page.wait_for_url("**/login?*")
        assert "登录已超时，请重新登录" in page.locator("#expired").inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"timeout-login-{width}.png"), full_page=True)
        page.fill("#username", "ordos-officer")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{case_url}")
        assert page.input_value("#v-notes") == "老人腿脚不便，需要每周上门两次"
        assert page.input_value("#v-kind") == "home"
        assert page.is_checked("input[name=satisfied][value=yes]")
        assert "已恢复您登录前填写的内容" in page.locator("#restored").inner_text()
        page.screenshot(path=str(SCREENS / f"timeout-restored-{width}.png"), full_page=True)
        # saved once: a later visit of the page starts empty
        page.goto(case_url)
        assert page.input_value("#v-notes") == ""
        assert errors == []
    finally:
        context.close()
