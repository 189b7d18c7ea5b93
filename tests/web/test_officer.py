"""Issue 18 point 7, the case officer through pages: after a stage review the tier table
says the first stage has ended and what it carried over; the order total is shown before
下单 and several items go in one order (all or none); 取消工单 and 退出 need a reason and
ask for a confirmation; errors at the top of the page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from jiuzhu.core.access import Role
from jiuzhu.core.services.cases import record_visit
from jiuzhu.core.storage.tables import orders
from jiuzhu.core.times import local_date
from tests.conftest import actor_for

from .conftest import World, csrf, sign_in


def _orders(world: World) -> int:
    with world.svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def _post(client: Any, page: str, target: str, **data: Any) -> Any:
    token = csrf(client.get(page).text)
    return client.post(target, data={"_csrf_token": token, **data}, follow_redirects=False)


def test_tier_table_explains_the_carry_over(client: Any, world: World) -> None:
    # two 全屋清洁 orders (200 yuan) of the first stage's 400; a review a quarter later
    world.svc.clock.advance(days=91)  # type: ignore[attr-defined]
    officer = actor_for(world.svc.regions, "ordos", Role.OFFICER)
    record_visit(world.svc, officer, world.case_east, "review", None, "阶段评估", None)
    sign_in(client, "ordos-officer")
    page = client.get(f"/cases/{world.case_east}").text
    states = re.findall(r'<td class="bucket-state">([^<]*)</td>', page)
    assert states[0] == "已结束，结转200元至第二阶段", states
    assert states[1] == "已开放（含上一阶段结转200元）"
    assert states[2].startswith("未开放")
    assert "未开放" not in states[0]


def test_total_before_placing_and_several_items(client: Any, world: World) -> None:
    case = world.case_east
    url = f"/cases/{case}/order"
    sign_in(client, "ordos-officer")
    region = world.svc.regions.get("ordos")
    today = local_date(world.svc.now())
    price = {c: region.catalogue.item(c).price_on(today) for c in ("home_haircut", "laundry")}
    before = _orders(world)
    lines = {"items": ["home_haircut", "laundry"], "qty.home_haircut": "2", "qty.laundry": "1"}
    page = client.get(url).text
    assert 'id="order-total"' in page and "下单" in page  # the total sits by the button
    r = _post(client, url, url, action="preview", **lines)
    assert r.status_code == 200
    total = 2 * price["home_haircut"] + price["laundry"]
    shown = re.search(r'id="preview-total">([^<]*)<', r.text)
    assert shown and shown.group(1) == f"{total / 100:.2f}元"
    assert re.search(r'value="home_haircut" checked', r.text) and 'value="2"' in r.text
    assert _orders(world) == before  # nothing written by the preview
    r = _post(client, url, url, action="place", **lines)
    assert r.status_code == 303, r.text[:500]
    assert _orders(world) == before + 2
    # one line refused: none placed, the refusal at the top, the choice kept
    r = _post(
        client, url, url, action="place", items=["home_haircut", "job_training"],
        **{"qty.home_haircut": "1", "qty.job_training": "1"},
    )  # fmt: skip
    assert r.status_code == 409 and _orders(world) == before + 2
    assert r.text.index('id="refusal"') < r.text.index('id="order"')
    assert re.search(r'value="home_haircut" checked', r.text)
    # a bad quantity: next to its field, summed up at the top
    r = _post(client, url, url, items=["laundry"], **{"qty.laundry": "两件"})
    assert r.status_code == 422 and 'id="err-qty-laundry"' in r.text
    assert r.text.index('id="errors-summary"') < r.text.index('id="order"')


def test_cancel_and_exit_ask_for_reason_and_confirmation(client: Any, world: World) -> None:
    case = world.case_east
    sign_in(client, "ordos-officer")
    page = client.get(f"/cases/{case}").text
    form = re.search(rf'<form method="post" action="/orders/{world.orders[0]}/cancel"[^>]*>', page)
    assert form and "data-confirm=" in form.group(0)
    assert re.search(
        r'<form method="post" action="/cases/\d+/exit" data-confirm="确认办理退出吗', page
    )
    r = _post(client, f"/cases/{case}", f"/orders/{world.orders[0]}/cancel", reason="")
    assert r.status_code == 422 and "请填写取消原因" in r.text
    r = _post(client, f"/cases/{case}", f"/cases/{case}/exit", reason="")
    assert r.status_code == 422 and "退出须说明原因" in r.text
    assert r.text.index('id="errors-summary"') < r.text.index("<h1>")
