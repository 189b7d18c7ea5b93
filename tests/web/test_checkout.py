"""Issue 18 point 4: the phone check-out keeps its input and shows errors in place (no
separate error page), warns about unticked steps, takes a handwritten signature (a PNG
from the canvas, validated and stored with the visit) and optional photos; the card shows
the address, a call button and the officer's note; orders in service come first; the
delivery record (steps, signature, photos, times, worker) is on the case file."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from sqlalchemy import func, select, update

from jiuzhu.core.access import Role, system_actor
from jiuzhu.core.base import Invalid
from jiuzhu.core.services.households import NewHousehold, create_household
from jiuzhu.core.services.images import check_image
from jiuzhu.core.services.orders import (
    NewOrder,
    accept_order,
    dispatch_order,
    place_order,
    start_order,
)
from jiuzhu.core.storage.tables import deliveries, delivery_images, orders, persons
from tests.conftest import actor_for

from .conftest import World, csrf, png_bytes, sign_in, signature_data_url

FIRST = "与对象确认清洁范围与贵重物品位置"


def _in_service(world: World, order_id: int) -> None:
    regions = world.svc.regions
    officer = actor_for(regions, "ordos", Role.OFFICER)
    dispatch_order(world.svc, officer, order_id, world.provider)
    worker = actor_for(
        regions, "ordos", Role.WORKER, provider_id=world.provider, worker_id=world.worker
    )
    accept_order(world.svc, worker, order_id)
    start_order(world.svc, worker, order_id)


@pytest.fixture
def serving(world: World) -> dict[str, int]:
    """The urgent order dispatched only (new), the other one in service; an address, a phone
    and the officer's note on file."""
    actor = system_actor("ordos", "150600", "setup")
    with world.svc.engine.begin() as conn:
        pid = conn.execute(
            select(orders.c.case_id).where(orders.c.id == world.orders[0])
        ).scalar_one()
        conn.execute(update(persons).where(persons.c.id == pid).values(phone="13912345678"))
    from jiuzhu.core.services.cases import get_case

    person_id = get_case(world.svc, actor, world.case_east).person_id
    create_household(
        world.svc,
        actor,
        NewHousehold(
            area_code="150602004001", address="永兴社区3号楼2单元101", head_person_id=person_id
        ),
    )
    noted = place_order(
        world.svc,
        actor,
        NewOrder(case_id=world.case_east, item_code="deep_clean", note="老人耳背，请敲门大声些"),
    ).id
    _in_service(world, noted)
    officer = actor_for(world.svc.regions, "ordos", Role.OFFICER)
    dispatch_order(world.svc, officer, world.orders[1], world.provider)  # urgent, new
    return {"serving": noted, "new": world.orders[1]}


def _post(client: Any, order_id: int, files: Any = None, **data: Any) -> Any:
    html = client.get("/work").text
    return client.post(
        f"/work/{order_id}/finish",
        data={"_csrf_token": csrf(html), **data},
        files=files,
        follow_redirects=False,
    )


def _card(html: str, order_id: int) -> str:
    m = re.search(
        rf'<section class="card work-card[^"]*" id="order-{order_id}">(.*?)</section>', html, re.S
    )
    assert m, f"no card for order {order_id}"
    return m.group(1)


def _open_visit(world: World, order_id: int) -> bool:
    with world.svc.engine.connect() as conn:
        return (
            conn.execute(
                select(deliveries.c.checkout_at).where(deliveries.c.order_id == order_id)
            ).scalar_one()
            is None
        )


def test_card_and_order_of_the_list(client: Any, world: World, serving: dict[str, int]) -> None:
    sign_in(client, "ordos-worker")
    html = client.get("/work").text
    # in service first, although the other one is urgent
    assert html.index(f'id="order-{serving["serving"]}"') < html.index(
        f'id="order-{serving["new"]}"'
    )
    card = _card(html, serving["serving"])
    assert "永兴社区3号楼2单元101" in card
    assert 'href="tel:13912345678"' in card and "拨打" in card
    assert "干部备注" in card and "老人耳背，请敲门大声些" in card
    assert "data-signature" in card and 'enctype="multipart/form-data"' in card


def test_missing_signature_keeps_the_input_in_place(
    client: Any, world: World, serving: dict[str, int]
) -> None:
    oid = serving["serving"]
    sign_in(client, "ordos-worker")
    r = _post(client, oid, steps=[FIRST], confirmed_by="王秀兰", minutes="45")
    assert r.status_code == 422
    assert (
        "<nav>" in r.text and "我的工单" in r.text
    )  # the work page with its menu, not an error page
    card = _card(r.text, oid)
    assert "请服务对象或家属在签名框内手写签名" in card  # in the order's own card
    assert re.search(rf'value="{FIRST}" checked', card)  # the ticked step is kept
    assert 'value="王秀兰"' in card and 'value="45"' in card
    assert "还有" in card and "个服务步骤未勾选" in card  # unticked steps: confirm
    assert 'name="confirm_missing"' in card
    assert _open_visit(world, oid)
    # signed, but steps left unticked and not confirmed: a warning, the signature kept
    sig = signature_data_url()
    r = _post(client, oid, steps=[FIRST], confirmed_by="王秀兰", signature_png=sig)
    assert r.status_code == 422
    card = _card(r.text, oid)
    assert "个服务步骤未勾选" in card and f'value="{sig}"' in card
    assert "请服务对象或家属在签名框内手写签名" not in card
    assert _open_visit(world, oid)


def test_bad_images_are_refused_and_nothing_written(
    client: Any, world: World, serving: dict[str, int]
) -> None:
    oid = serving["serving"]
    sign_in(client, "ordos-worker")
    jpeg = "data:image/png;base64," + base64.b64encode(png_bytes(fmt="JPEG")).decode()
    base = {"steps": [FIRST], "confirmed_by": "王秀兰", "confirm_missing": "1"}
    r = _post(client, oid, signature_png=jpeg, **base)
    assert r.status_code == 422 and "手写签名应为 PNG 格式" in _card(r.text, oid)
    r = _post(client, oid, signature_png="data:image/png;base64,@@@", **base)
    assert r.status_code == 422 and "请重新签名" in _card(r.text, oid)
    files = [("photo_before", ("a.jpg", b"not an image at all", "image/jpeg"))]
    r = _post(client, oid, files=files, signature_png=signature_data_url(), **base)
    assert r.status_code == 422 and "服务前照片不是有效的图片文件" in _card(r.text, oid)
    assert _open_visit(world, oid)
    with world.svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(delivery_images)).scalar_one() == 0
    # the limits, directly
    with pytest.raises(Invalid, match="过大"):
        check_image("signature", b"\x89PNG" + b"0" * 300_000)
    with pytest.raises(Invalid, match="格式"):
        check_image("after", png_bytes(fmt="GIF"))


def test_signed_check_out_with_photos_on_the_case_file(
    client: Any, world: World, serving: dict[str, int]
) -> None:
    oid = serving["serving"]
    sign_in(client, "ordos-worker")
    files = [
        ("photo_before", ("before.jpg", png_bytes(800, 600, "JPEG"), "image/jpeg")),
        ("photo_after", ("after.png", png_bytes(800, 600), "image/png")),
    ]
    r = _post(
        client,
        oid,
        files=files,
        steps=[FIRST],
        confirmed_by="王秀兰",
        confirm_missing="1",
        signature_png=signature_data_url(),
    )
    assert r.status_code == 303, r.text[:400]
    assert not _open_visit(world, oid)
    with world.svc.engine.connect() as conn:
        kinds = conn.execute(
            select(delivery_images.c.kind, delivery_images.c.media_type).order_by(
                delivery_images.c.id
            )
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("signature", "image/png"),
        ("before", "image/jpeg"),
        ("after", "image/png"),
    ]
    sign_in(client, "ordos-officer")
    html = client.get(f"/cases/{world.case_east}").text
    record = re.search(r'<details class="delivery-record"[^>]*>(.*?)</details>', html, re.S)
    assert record
    text = record.group(1)
    assert "张慧" in text and "王秀兰" in text and FIRST in text
    assert "未完成步骤" in text and "清洁厨房灶台油污" in text
    srcs = re.findall(r'<img src="(/images/\d+)" alt="([^"]+)"', text)
    assert [a for _, a in srcs] == ["手写签名", "服务前照片", "服务后照片"]
    img = client.get(srcs[0][0])
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert img.content.startswith(b"\x89PNG")
    # another district's worker cannot read it
    sign_in(client, "ordos-worker-west")
    assert client.get(srcs[0][0], follow_redirects=False).status_code in (403, 404)
