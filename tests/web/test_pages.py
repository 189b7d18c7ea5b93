from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from jiuzhu.core.storage.tables import audit_log, orders, ratings
from jiuzhu.core.web.pages.secret import rating_token

from .conftest import PASSWORD, SECRET, World, csrf, post_form, sign_in, signature_data_url


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("officer", "待派单工单"),
        ("clerk", "待评估案件"),
        ("worker", "我的工单"),
        ("provider_admin", "本机构进行中的工单"),
        ("supervisor", "服务机构红黄绿灯"),
        ("approver", "本部门待审事项"),
        ("evaluator", "查看服务统计"),
    ],
)
def test_home_per_role(client: Any, world: World, role: str, text: str) -> None:
    sign_in(client, f"ordos-{role}")
    r = client.get("/")
    assert r.status_code == 200 and text in r.text


def test_case_page_masks_id_and_writes_audit(client: Any, world: World) -> None:
    sign_in(client, "ordos-supervisor")  # no id.full
    r = client.get(f"/cases/{world.case_east}")
    assert r.status_code == 200
    assert "王秀兰" in r.text and "一人一档" in r.text
    masked = world.id_number[:6] + "********" + world.id_number[-4:]
    assert masked in r.text and world.id_number not in r.text
    assert "全屋清洁" in r.text and "服务额度" in r.text
    with world.svc.engine.connect() as conn:
        rows = conn.execute(select(audit_log)).mappings().all()
    assert [(r["username"], r["action"], r["case_id"]) for r in rows] == [
        ("ordos-supervisor", "case.view", world.case_east)
    ]


def test_officer_sees_full_id(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    assert world.id_number in client.get(f"/cases/{world.case_east}").text


def test_officer_cannot_open_another_areas_case(client: Any, world: World) -> None:
    from jiuzhu.core.services.users import add_user

    add_user(world.svc, "ordos-officer-west", PASSWORD, "officer", "ordos", "150603")
    sign_in(client, "ordos-officer-west")  # 康巴什区
    assert client.get(f"/cases/{world.case_west}").status_code == 200
    r = client.get(f"/cases/{world.case_east}")  # 东胜区
    assert r.status_code == 404 and "不在您的管辖范围内" in r.text
    assert client.get("/cases/99999").status_code == 404
    assert r.text == client.get("/cases/99999").text  # out of scope and absent answer alike


@pytest.mark.parametrize(
    ("path", "allowed", "refused"),
    [
        ("/dispatch", ["officer", "admin"], ["clerk", "worker", "supervisor", "evaluator"]),
        ("/work", ["worker", "provider_admin"], ["officer", "supervisor", "evaluator"]),
        ("/supervision", ["supervisor", "officer", "evaluator"], ["worker", "clerk"]),
        ("/stats", ["supervisor", "evaluator"], ["worker", "provider_admin", "approver"]),
        ("/config", ["admin", "officer", "evaluator"], []),
    ],
)
def test_pages_by_role(
    client: Any, world: World, path: str, allowed: list[str], refused: list[str]
) -> None:
    for role in allowed:
        sign_in(client, f"ordos-{role}")
        assert client.get(path).status_code == 200, (path, role)
    for role in refused:
        sign_in(client, f"ordos-{role}")
        r = client.get(path)
        assert r.status_code == 403, (path, role)
        assert "无权" in r.text


def test_dispatch_board_urgent_first_and_red_refused(client: Any, world: World) -> None:
    sign_in(client, "ordos-officer")
    board = client.get("/dispatch").text
    first, second = world.orders
    assert board.index(f'id="order-{second}"') < board.index(f'id="order-{first}"')
    r = post_form(client, "/dispatch", f"/dispatch/{first}", provider_id=world.red_provider)
    assert r.status_code == 409
    assert "红灯" in r.text and "不再派单" in r.text
    r = post_form(client, "/dispatch", f"/dispatch/{first}", provider_id=world.provider)
    assert r.status_code == 303
    assert f"工单 #{first} 已派出" in client.get(r.headers["location"]).text


def _order(world: World, order_id: int) -> dict[str, Any]:
    with world.svc.engine.connect() as conn:
        return dict(conn.execute(select(orders).where(orders.c.id == order_id)).mappings().one())


def test_worker_flow_and_rating_link(client: Any, world: World) -> None:
    order_id = world.orders[0]
    sign_in(client, "ordos-officer")
    post_form(client, "/dispatch", f"/dispatch/{order_id}", provider_id=world.provider)
    sign_in(client, "ordos-worker")
    page = client.get("/work").text
    assert "接单" in page
    assert post_form(client, "/work", f"/work/{order_id}/accept").status_code == 303
    assert post_form(client, "/work", f"/work/{order_id}/start").status_code == 303
    page = client.get("/work").text
    assert "清运垃圾，请对象验收签字" in page
    r = client.post(
        f"/work/{order_id}/finish",
        data={
            "_csrf_token": csrf(page),
            "steps": ["与对象确认清洁范围与贵重物品位置", "清运垃圾，请对象验收签字"],
            "confirmed_by": "",
        },
        follow_redirects=False,
    )
    assert r.status_code == 422 and "签字人" in r.text
    r = client.post(
        f"/work/{order_id}/finish",
        data={
            "_csrf_token": csrf(page),
            "steps": ["清运垃圾，请对象验收签字"],
            "confirmed_by": "王秀兰",
            "signature_png": signature_data_url(),
            "confirm_missing": "1",  # the other steps were not done: confirmed
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _order(world, order_id)["status"] == "delivered"

    sign_in(client, "ordos-officer")
    case_page = client.get(f"/cases/{world.case_east}").text
    link = re.search(r'class="rating-link" href="([^"]+)"', case_page)
    assert link
    client.post("/logout", data={"_csrf_token": csrf(case_page)})
    rating = client.get(link.group(1))
    assert rating.status_code == 200 and "非常满意" in rating.text
    r = client.post(link.group(1), data={"score": "5", "_csrf_token": csrf(rating.text)})
    assert r.status_code == 200 and 'id="confirm"' in r.text  # not final on the first tap
    assert _order(world, order_id)["status"] == "delivered"
    r = client.post(
        link.group(1),
        data={"score": "5", "action": "confirm", "_csrf_token": csrf(rating.text)},
    )
    assert r.status_code == 200 and "谢谢" in r.text
    assert _order(world, order_id)["status"] == "rated"
    with world.svc.engine.connect() as conn:
        assert conn.execute(select(ratings.c.score)).scalar_one() == 5
    # a second tap changes nothing
    assert (
        client.post(
            link.group(1),
            data={"score": "1", "action": "confirm", "_csrf_token": csrf(rating.text)},
        ).status_code
        == 200
    )
    with world.svc.engine.connect() as conn:
        assert conn.execute(select(ratings.c.score)).scalars().all() == [5]


def test_rating_links_are_signed_and_expire(client: Any, world: World) -> None:
    now = world.svc.now().timestamp()
    token = rating_token(SECRET, world.orders[0], now)
    assert client.get(f"/r/{token}").status_code == 200
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.get(f"/r/{forged}").status_code == 404
    other = rating_token(b"z" * 32, world.orders[0], now)
    assert client.get(f"/r/{other}").status_code == 404
    old = rating_token(SECRET, world.orders[0], now - 31 * 86400)
    assert client.get(f"/r/{old}").status_code == 404


def test_supervision_stats_config_render(client: Any, world: World) -> None:
    sign_in(client, "ordos-supervisor")
    sup = client.get("/supervision").text
    assert "红灯服务中心" in sup and "超时未接单" in sup
    stats = client.get("/stats?by=item").text
    assert "<svg" in stats and "服务统计" in stats
    sign_in(client, "ordos-admin")
    config = client.get("/config").text
    assert "服务清单" in config and "全屋清洁" in config
