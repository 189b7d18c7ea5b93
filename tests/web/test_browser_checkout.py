"""Issue 18 point 4 in headless Chromium at phone (390 px) and desktop (1366 px) width: the
check-out refused for a missing signature keeps the ticked steps on the same page, the
unticked steps are confirmed, the signature is drawn on the canvas (static script, nothing
the CSP refuses) and the delivery record with the signature shows on the case file.
Screenshots go to screens/ (not committed) when JIUZHU_SCREENS is set, else test-artifacts/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jiuzhu.core.access import system_actor
from jiuzhu.core.services.orders import accept_order, dispatch_order, start_order
from jiuzhu.core.storage.tables import delivery_images

from .conftest import World, draw_signature, png_bytes
from .test_browser import ARTIFACTS, CHROMIUM, page, server, sign_in, sign_out
from .test_browser_security import watch

__all__ = ["page", "server"]  # fixtures used below

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def snap(page: Any, name: str) -> None:
    where = Path(os.environ.get("JIUZHU_SCREENS", ARTIFACTS))
    where.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_check_out_on_the_phone(page: Any, world: World, size: str) -> None:
    setup = system_actor("ordos", "150600", "setup")
    oid = world.orders[0]
    dispatch_order(world.svc, setup, oid, world.provider)
    accept_order(world.svc, setup, oid, world.worker)
    page.set_viewport_size(SIZES[size])
    problems = watch(page)
    sign_in(page, "ordos-worker")
    # check in as the worker
    page.goto("/work")
    page.locator(f"#order-{oid} button[type=submit]").click()
    card = page.locator(f"#order-{oid}")
    boxes = card.locator("input[name=steps]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    card.locator("input[name=confirmed_by]").fill("王秀兰")
    # no signature: the same page, the error in the card, the ticks kept
    page.once("dialog", lambda d: d.accept())  # the unticked-steps warning
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    card = page.locator(f"#order-{oid}")
    assert "请服务对象或家属在签名框内手写签名" in card.inner_text()
    assert page.locator("header nav").count() == 1
    assert card.locator("input[name=steps]").nth(0).is_checked()
    assert card.locator("input[name=steps]").nth(1).is_checked()
    assert card.locator("input[name=confirmed_by]").input_value() == "王秀兰"
    no_sideways_scroll(page)
    snap(page, f"checkout-1-missing-signature-{size}")
    # sign; the page asks again to confirm the unticked steps
    draw_signature(page, card)
    assert (
        card.locator("input[name=signature_png]").input_value().startswith("data:image/png;base64,")
    )
    # a large photo after the service is downscaled on the phone before upload
    photo = card.locator("input[name=photo_after]")
    photo.set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes(2400, 1800)}]
    )
    page.wait_for_function(
        "i => i.files.length === 1 && i.files[0].type === 'image/jpeg'", arg=photo.element_handle()
    )
    assert "已选择1张" in card.inner_text()
    snap(page, f"checkout-2-signed-{size}")
    asked: list[str] = []

    def answer(d: Any) -> None:
        asked.append(d.message)
        d.accept()

    page.once("dialog", answer)
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert asked and "以下服务步骤未勾选" in asked[0]
    assert "服务完成" in page.locator(".notice").inner_text()
    with world.svc.engine.connect() as conn:
        stored = conn.execute(
            select(
                delivery_images.c.kind, delivery_images.c.media_type, delivery_images.c.width
            ).order_by(delivery_images.c.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("signature", "image/png", 600),
        ("after", "image/jpeg", 1600),
    ]
    sign_out(page)
    # the record on the case file
    sign_in(page, "ordos-officer")
    page.goto(f"/cases/{world.case_east}")
    record = page.locator("details.delivery-record").first
    record.locator("summary").click()
    assert "王秀兰" in record.inner_text() and "张慧" in record.inner_text()
    img = record.locator("img[alt=手写签名]")
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    record.scroll_into_view_if_needed()
    no_sideways_scroll(page)
    snap(page, f"checkout-3-case-file-{size}")
    # the refused check-out itself answers 422 (the page, not a resource): nothing else
    assert [p for p in problems if "status of 422" not in p] == [], problems


def test_started_order_sorts_first(page: Any, world: World) -> None:
    setup = system_actor("ordos", "150600", "setup")
    first, second = world.orders
    for oid in (first, second):
        dispatch_order(world.svc, setup, oid, world.provider)
    accept_order(world.svc, setup, first, world.worker)
    from tests.conftest import actor_for

    worker = actor_for(
        world.svc.regions, "ordos", "worker", provider_id=world.provider, worker_id=world.worker
    )
    start_order(world.svc, worker, first)
    page.set_viewport_size(SIZES["phone"])
    sign_in(page, "ordos-worker")
    page.goto("/work")
    ids = page.locator("section.work-card").evaluate_all("s => s.map(x => x.id)")
    assert ids == [f"order-{first}", f"order-{second}"]  # in service before the urgent new one
    snap(page, "checkout-0-list-phone")
