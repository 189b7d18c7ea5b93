"""Issue 18 point 8, the recipient: a rating page with five distinct levels, a confirmation
step, an optional comment, the service's date and worker; a bad or expired link says so
plainly (no 「不在您的管辖范围内」, no staff sign-in); the recipient's own page by the
signed link (progress, remaining entitlement, nothing of others, ID masked) and the
applicant's query by receipt number and query code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from jiuzhu.core.access import Role, system_actor
from jiuzhu.core.services.cases import get_case
from jiuzhu.core.services.orders import (
    Finish,
    accept_order,
    dispatch_order,
    finish_order,
    start_order,
)
from jiuzhu.core.storage.tables import ratings
from jiuzhu.core.web.pages.secret import rating_token
from jiuzhu.plugins.one_form.pages import query_code
from jiuzhu.plugins.one_form.service import submit_application
from tests.conftest import actor_for
from tests.one_form.helpers import filled_form

from .conftest import SECRET, World, csrf


@pytest.fixture
def delivered(world: World) -> int:
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
    return oid


def _link(world: World, oid: int, days: float = 0) -> str:
    return rating_token(SECRET, oid, world.svc.now().timestamp() - days * 86400)


def test_rating_levels_confirm_comment_date_worker(
    client: Any, world: World, delivered: int
) -> None:
    token = _link(world, delivered)
    html = client.get(f"/r/{token}").text
    assert "张慧" in html and re.search(r'id="served-on">\d{4}-\d{2}-\d{2}<', html)
    levels = re.findall(r'<label class="level (level-\d)">', html)
    assert levels == ["level-5", "level-4", "level-3", "level-2", "level-1"]  # each its own
    for text in ("非常满意", "满意", "一般", "不满意", "非常不满意"):
        assert f'<span class="level-text">{text}</span>' in html
    assert 'name="comment"' in html
    # the first tap is not final: a review step
    r = client.post(
        f"/r/{token}",
        data={"_csrf_token": csrf(html), "score": "2", "comment": "来晚了", "action": "review"},
    )
    assert r.status_code == 200 and 'id="confirm"' in r.text and "不满意" in r.text
    assert "来晚了" in r.text
    with world.svc.engine.connect() as conn:
        assert conn.execute(select(ratings)).first() is None
    # no level chosen: said in place
    r = client.post(f"/r/{token}", data={"_csrf_token": csrf(html), "action": "review"})
    assert r.status_code == 422 and "请先选择一个评价等级" in r.text
    r = client.post(
        f"/r/{token}",
        data={"_csrf_token": csrf(html), "score": "2", "comment": "来晚了", "action": "confirm"},
    )
    assert r.status_code == 200 and 'id="thanks"' in r.text and "「不满意」" in r.text
    with world.svc.engine.connect() as conn:
        row = conn.execute(select(ratings)).mappings().one()
    assert row["score"] == 2 and row["comment"] == "来晚了" and row["satisfied"] is False
    again = client.get(f"/r/{token}").text
    assert "已经评价过了" in again and 'name="score"' not in again


def test_bad_or_expired_link_is_plain(client: Any, world: World, delivered: int) -> None:
    for token in ("1.2.3", f"{delivered}.99999999999.deadbeef", _link(world, delivered, 31)):
        r = client.get(f"/r/{token}")
        assert r.status_code == 404
        assert "这个链接不正确或已经过期" in r.text
        assert "管辖范围" not in r.text and "/login" not in r.text and "登录" not in r.text
        assert client.get(f"/me/{token}").status_code == 404


def test_recipient_page_and_query_code(client: Any, world: World, delivered: int) -> None:
    regions = world.svc.regions
    clerk = actor_for(regions, "ordos", Role.CLERK, username="window")
    pid = get_case(world.svc, clerk, world.case_east).person_id
    form = filled_form(regions.get("ordos"), ["temp_relief"])
    app = submit_application(world.svc, clerk, "ordos", pid, ["temp_relief"], form, [])
    html = client.get(f"/me/{_link(world, delivered)}").text
    assert "王秀兰" in html
    assert world.id_number not in html and world.id_number[:6] in html  # masked
    assert "李建国" not in html  # nobody else
    assert re.search(r'id="my-available">200\.00元<', html)  # 400 less the two orders
    section = re.search(r'id="section-one_form-my_applications">(.*?)</section>', html, re.S)
    assert section and app.receipt in section.group(1) and "临时救助" in section.group(1)
    assert "href=" not in section.group(1)  # no links to staff pages
    assert "/login" not in html
    # the receipt's query code
    code = query_code(SECRET, app.receipt)
    page = client.get("/q").text
    r = client.post(
        "/q", data={"_csrf_token": csrf(page), "receipt": app.receipt.lower(), "code": code}
    )
    assert r.status_code == 200 and 'id="progress"' in r.text and "临时救助" in r.text
    assert "王*" in r.text and "王秀兰" not in r.text
    r = client.post(
        "/q", data={"_csrf_token": csrf(page), "receipt": app.receipt, "code": "12345678"}
    )
    assert r.status_code == 404 and "受理编号或查询码不正确" in r.text
