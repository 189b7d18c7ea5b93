"""Point 3 of issue 18: lists that scale. The dispatch board counts what waits, pages
through it (no silent stop at 200), filters by area, item, urgency, date and name,
dispatches several orders at once, and shows each provider's workload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, insert, select, update

from jiuzhu.core.access import system_actor
from jiuzhu.core.services.orders import dispatch_order
from jiuzhu.core.storage.tables import orders

from .conftest import World, csrf, sign_in

ORDER = re.compile(r'id="order-(\d+)"')


@pytest.fixture
def many(world: World) -> World:
    """230 more waiting orders (copies of the world's first, for its east case): more than
    the old limit of 200; every 10th urgent, the last 30 placed ten days earlier."""
    with world.svc.engine.begin() as conn:
        row = dict(
            conn.execute(select(orders).where(orders.c.id == world.orders[0])).mappings().one()
        )
        row.pop("id")
        for i in range(230):
            copy = dict(row, urgent=i % 10 == 0, note=f"第{i}单")
            if i >= 200:
                copy["placed_at"] = row["placed_at"] - timedelta(days=10)
            conn.execute(insert(orders).values(**copy))
    return world


def board(client: TestClient[Litestar], query: str = "") -> str:
    r = client.get("/dispatch" + query)
    assert r.status_code == 200
    return r.text


def test_the_board_counts_and_pages_every_waiting_order(
    client: TestClient[Litestar], many: World
) -> None:
    sign_in(client, "ordos-officer")
    with many.svc.engine.connect() as conn:
        waiting = conn.execute(
            select(func.count()).where(orders.c.status.in_(["placed", "dispatched"]))
        ).scalar_one()
    assert waiting == 232
    html = board(client)
    assert f"共 <strong>{waiting}</strong> 单待派" in html
    seen: list[int] = []
    page_no = 1
    while True:
        html = board(client, f"?page={page_no}")
        ids = [int(i) for i in ORDER.findall(html)]
        assert len(ids) <= 50
        seen += ids
        if 'rel="next"' not in html:
            break
        page_no += 1
    assert page_no == 5 and sorted(seen) == sorted(set(seen)) and len(seen) == waiting
    # urgent first: the 24 urgent orders open the first page
    first = [int(i) for i in ORDER.findall(board(client))]
    assert _urgency(many, first[:25]) == [True] * 24 + [False]


def _urgency(world: World, ids: list[int]) -> list[bool]:
    with world.svc.engine.connect() as conn:
        found = dict(
            conn.execute(select(orders.c.id, orders.c.urgent).where(orders.c.id.in_(ids))).all()
        )
    return [bool(found[i]) for i in ids]


def test_filters_narrow_the_board_and_the_count(client: TestClient[Litestar], many: World) -> None:
    sign_in(client, "ordos-officer")
    urgent = board(client, "?urgent=1")
    assert "共 <strong>24</strong> 单待派（全部 232 单待派，已按条件筛选）" in urgent
    assert "清除条件" in urgent
    assert "共 <strong>208</strong>" in board(client, "?urgent=0")
    with many.svc.engine.connect() as conn:
        old = conn.execute(select(func.min(orders.c.placed_at))).scalar_one()
    day = (old + timedelta(hours=8)).date()  # Asia/Shanghai
    assert "共 <strong>30</strong>" in board(client, f"?date_to={day.isoformat()}")
    assert "共 <strong>202</strong>" in board(
        client, f"?date_from={(day + timedelta(days=1)).isoformat()}"
    )
    # area: the east case is in 东胜区 (150602); 康巴什区 has none waiting
    assert "共 <strong>232</strong>" in board(client, "?area=150602")
    assert "没有符合条件的待派工单" in board(client, "?area=150603")
    assert "共 <strong>232</strong>" in board(client, "?item=deep_clean&q=王")
    assert "没有符合条件的待派工单" in board(client, "?q=李")
    # a malformed filter is ignored, not an error
    assert "共 <strong>232</strong>" in board(client, "?area=nowhere&date_from=yesterday&page=x")
    # the pager keeps the filters
    assert 'href="/dispatch?urgent=0&amp;page=2"' in board(client, "?urgent=0")


def test_several_orders_at_once_and_the_workload(client: TestClient[Litestar], many: World) -> None:
    sign_in(client, "ordos-officer")
    html = board(client)
    assert "东胜阳光社工服务中心（在办0单" in html
    ids = [int(i) for i in ORDER.findall(html)][:3]
    r = client.post(
        "/dispatch/batch",
        data={
            "order_id": [str(i) for i in ids],
            "provider_id": str(many.provider),
            "_csrf_token": csrf(html),
        },
    )
    assert r.status_code == 200, r.text
    assert "已派出 3 单" in r.text
    assert "东胜阳光社工服务中心（在办3单" in r.text
    with many.svc.engine.connect() as conn:
        got = conn.execute(
            select(orders.c.status, orders.c.provider_id).where(orders.c.id.in_(ids))
        ).all()
    assert got == [("dispatched", many.provider)] * 3
    # a red provider refuses; the refusal names the orders, the others are unchanged
    r = client.post(
        "/dispatch/batch",
        data={
            "order_id": [str(i) for i in ids[:2]],
            "provider_id": str(many.red_provider),
            "_csrf_token": csrf(html),
        },
    )
    assert r.status_code == 409
    assert f"#{ids[0]}：" in r.text and "以下工单未派出" in r.text
    # nothing ticked
    r = client.post(
        "/dispatch/batch", data={"provider_id": str(many.provider), "_csrf_token": csrf(html)}
    )
    assert r.status_code == 422 and "请先勾选" in r.text


def test_the_workload_counts_orders_in_hand(many: World) -> None:
    from jiuzhu.core.web.pages.dispatch import workloads

    setup = system_actor("ordos", "150600", "setup")
    dispatch_order(many.svc, setup, many.orders[0], many.provider)
    with many.svc.engine.begin() as conn:
        conn.execute(
            update(orders)
            .where(orders.c.id == many.orders[1])
            .values(status="delivered", provider_id=many.provider)
        )
        assert workloads(conn, "ordos") == {many.provider: 1}


def test_the_case_list_counts_filters_and_stays_in_scope(
    client: TestClient[Litestar], world: World
) -> None:
    sign_in(client, "ordos-officer")  # the whole region
    html = client.get("/cases").text
    assert "共 <strong>2</strong> 份档案" in html
    assert "王秀兰" in html and "李建国" in html
    east = client.get("/cases?area=150602").text
    assert "共 <strong>1</strong> 份档案（全部 2 份档案，已按条件筛选）" in east
    assert "王秀兰" in east and "李建国" not in east
    assert "李建国" in client.get("/cases?q=李").text
    assert "没有符合条件的档案" in client.get("/cases?status=exited").text
    assert "共 <strong>2</strong>" in client.get("/cases?status=active").text
    assert "共 <strong>2</strong>" in client.get("/cases?status=bogus&area=x").text
    # a worker bound to 康巴什区 reads no files: refused, not an empty list
    client.post("/logout", data={"_csrf_token": csrf(html)})
    sign_in(client, "ordos-worker-west")
    assert client.get("/cases").status_code == 403


def test_paging_arithmetic() -> None:
    from jiuzhu.core.web.pages.lists import Paged

    assert (Paged(0, 1).pages, Paged(0, 1).first, Paged(0, 1).last) == (1, 0, 0)
    assert (Paged(101, 3).pages, Paged(101, 3).first, Paged(101, 3).last) == (3, 101, 101)
    assert Paged(101, 9).offset == 100  # past the end: the last page
    assert (Paged(100, 2).first, Paged(100, 2).last) == (51, 100)


def test_supervision_counts_what_it_cannot_list(client: TestClient[Litestar], many: World) -> None:
    now = many.svc.now()
    with many.svc.engine.connect() as conn:
        late = conn.execute(
            select(func.count()).where(
                orders.c.status.in_(["placed", "dispatched"]), orders.c.due_at < now
            )
        ).scalar_one()
    sign_in(client, "ordos-supervisor")
    html = client.get("/supervision").text
    assert f"超时未接单（共 {late} 单" in html
    if late > 50:
        assert "显示加急和时限最早的 50 单" in html
    assert "进行中的工单（共 0 单）" in html
