"""Issue 18 points 7 and 8 in headless Chromium at phone (390 px) and desktop (1366 px):
the order page's total before 下单 (static script, nothing the CSP refuses), the rating
page's distinct levels with a confirmation step, and the recipient's own page. Screenshots
go to $JIUZHU_SCREENS (else test-artifacts/)."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu.core.access import Role, system_actor
from jiuzhu.core.services.orders import (
    Finish,
    accept_order,
    dispatch_order,
    finish_order,
    start_order,
)
from jiuzhu.core.web.pages.secret import rating_token
from tests.conftest import actor_for

from .conftest import SECRET, World
from .test_browser import CHROMIUM, page, server, sign_in
from .test_browser_checkout import SIZES, no_sideways_scroll, snap
from .test_browser_security import watch

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_order_total_before_placing(page: Any, world: World, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    problems = watch(page)
    sign_in(page, "ordos-officer")
    page.goto(f"/cases/{world.case_east}/order")
    total = page.locator("#order-total")
    assert "未选择" in total.inner_text()
    page.check("#item-home_haircut input")
    page.fill("#qty-home_haircut", "2")
    page.check("#item-laundry input")
    text = total.inner_text()
    assert "已选2项" in text and "合计" in text and "可用 200.00元" in text
    no_sideways_scroll(page)
    snap(page, f"order-total-{size}")
    page.click("#preview-button")
    assert "合计" in page.locator("#preview").inner_text()
    snap(page, f"order-preview-{size}")
    assert not problems, problems


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_rating_and_own_page(page: Any, world: World, size: str) -> None:
    regions = world.svc.regions
    setup = system_actor("ordos", "150600", "setup")
    oid = world.orders[0]
    dispatch_order(world.svc, setup, oid, world.provider)
    accept_order(world.svc, setup, oid, world.worker)
    worker = actor_for(
        regions, "ordos", Role.WORKER, provider_id=world.provider, worker_id=world.worker
    )
    start_order(world.svc, worker, oid)
    finish_order(world.svc, worker, oid, Finish(confirmed_by="王秀兰", complete=True))
    token = rating_token(SECRET, oid, world.svc.now().timestamp())
    page.set_viewport_size(SIZES[size])
    problems = watch(page)
    page.goto(f"/r/{token}")
    colours = page.locator("label.level").evaluate_all(
        "ls => ls.map(l => getComputedStyle(l).borderColor)"
    )
    assert len(set(colours)) == 5  # five levels, five colours
    page.check("input[name=score][value='4']")
    page.fill("#comment", "很细心")
    no_sideways_scroll(page)
    snap(page, f"rate-1-choose-{size}")
    page.click("#next")
    assert "满意" in page.locator("#review").inner_text()
    snap(page, f"rate-2-confirm-{size}")
    page.click("#confirm")
    assert "谢谢" in page.locator("#thanks").inner_text()
    page.click("#my-page")
    assert "我的服务" in page.locator("h1").inner_text()
    no_sideways_scroll(page)
    snap(page, f"recipient-page-{size}")
    page.goto("/r/1.2.3")
    assert "这个链接已失效" in page.locator("h1").inner_text()
    snap(page, f"rate-bad-link-{size}")
    assert [p for p in problems if "status of 404" not in p] == [], problems
