"""Case work through pages: assess with the region's instrument, grant (reasons or the
refusal), order from the catalogue (the tier refusal on the page), cancel, stage review,
return visit, exit. Refusals are shown where they happen and nothing is written."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.access import system_actor
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services.cases import open_case
from jiuzhu.core.services.people import create_person
from jiuzhu.core.storage.tables import (
    assessments,
    audit_log,
    case_events,
    entitlements,
    orders,
    visits,
)

from .conftest import DONGSHENG, World, csrf, sign_in


def count(world: World, table: Any, *where: Any) -> int:
    with world.svc.engine.connect() as conn:
        query = select(func.count()).select_from(table)
        return int(conn.execute(query.where(*where) if where else query).scalar_one())


def new_case(world: World, born: date, serial: int, name: str) -> int:
    actor = system_actor("ordos", "150600", "setup")
    person = create_person(
        world.svc,
        actor,
        NewPerson(
            region_id="ordos",
            id_number=idcard.make("150602", born, serial),
            name=name,
            area_code=DONGSHENG,
            groups=["低保"],
            disability_grade=4,
        ),
    )
    return open_case(world.svc, actor, person.id, "测试").id


def all_answers(world: World, option: int = 1) -> dict[str, str]:
    instrument = world.svc.region("ordos").instrument
    return {
        f"a.{i.code}": str(min(option, len(i.options) - 1))
        for d in instrument.domains
        for i in d.indicators
    }


@pytest.fixture
def officer(client: Any, world: World) -> Any:
    sign_in(client, "ordos-officer")
    return client


def post(client: Any, page: str, action: str, **data: Any) -> Any:
    token = csrf(client.get(page).text)
    return client.post(action, data={**data, "_csrf_token": token}, follow_redirects=False)


def test_assessment_form_by_domain_with_every_indicator(officer: Any, world: World) -> None:
    case_id = new_case(world, date(1980, 5, 1), 301, "周明")
    page = officer.get(f"/cases/{case_id}").text
    assert "尚未评估" in page and f'href="/cases/{case_id}/assess"' in page
    form = officer.get(f"/cases/{case_id}/assess").text
    instrument = world.svc.region("ordos").instrument
    assert form.count('<fieldset id="ind-') == instrument.indicator_count == 17
    for d in instrument.domains:
        assert d.name in form
    first = instrument.domains[0].indicators[0]
    assert all(o.label in form for o in first.options)
    # two indicators left out: an error next to each, nothing written
    answers = all_answers(world)
    missing = [k for k in list(answers)[:2]]
    for k in missing:
        del answers[k]
    r = post(officer, f"/cases/{case_id}/assess", f"/cases/{case_id}/assess", **answers)
    assert r.status_code == 422 and "还有 2 项指标未选择" in r.text
    for k in missing:
        assert f'id="err-{k[2:]}">请选择一项' in r.text
    assert count(world, assessments) == 2  # the world's two
    r = post(officer, f"/cases/{case_id}/assess", f"/cases/{case_id}/assess", **all_answers(world))
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}?done=assessed"
    page = officer.get(r.headers["location"]).text
    assert "需求评估已记录" in page and "复评（阶段评估）" in page
    # the re-assessment form starts from the last answers
    again = officer.get(f"/cases/{case_id}/assess").text
    assert again.count("checked") == 17 and "已按上次评估的选项预填" in again


def test_grant_shows_reasons_or_the_refusal(officer: Any, world: World) -> None:
    young = new_case(world, date(1980, 5, 1), 302, "吴刚")
    old = new_case(world, date(1950, 5, 1), 303, "郑老")
    r = post(officer, f"/cases/{young}", f"/cases/{young}/grant")
    assert r.status_code == 409 and "请先完成需求评估" in r.text
    for case_id in (young, old):
        post(officer, f"/cases/{case_id}/assess", f"/cases/{case_id}/assess", **all_answers(world))
    r = post(officer, f"/cases/{old}", f"/cases/{old}/grant")
    assert r.status_code == 409
    refusal = re.search(r'id="grant-error">(.*?)</div>', r.text, re.S)
    assert refusal and "不符合服务类救助条件" in refusal.group(1)
    assert "<li>" in refusal.group(1) and "60周岁以上低保对象" in refusal.group(1)
    assert count(world, entitlements, entitlements.c.case_id == old) == 0
    assert count(world, case_events, case_events.c.kind == "eligibility.refused") == 1
    r = post(officer, f"/cases/{young}", f"/cases/{young}/grant")
    assert r.status_code == 303
    page = officer.get(r.headers["location"]).text
    assert "服务额度已授予" in page
    assert re.search(r'id="eligibility">资格判定：符合：.*轻度残疾', page)
    assert f'href="/cases/{young}/order"' in page


def test_order_from_the_catalogue_and_the_tier_refusal(officer: Any, world: World) -> None:
    case_id = world.case_east  # granted; two orders of 全屋清洁 (200 of the 400 yuan first tier)
    page = officer.get(f"/cases/{case_id}/order").text
    for name in ("保基本", "去困扰", "促发展", "增质效"):
        assert name in page
    assert re.search(
        r'id="item-deep_clean">.*?全屋清洁\s*<strong>100\.00元/次</strong>', page, re.S
    )
    assert "第二阶段（40%）" in page and "未开放" in page
    before = count(world, orders)
    # a 促发展 item is not for the first tier, and the second is not open yet
    r = post(
        officer, f"/cases/{case_id}/order", f"/cases/{case_id}/order", item_code="job_training"
    )
    assert r.status_code == 409
    refusal = re.search(r'id="refusal">(.*?)</div>', r.text, re.S)
    assert refusal, r.text
    text = refusal.group(1)
    assert "第一阶段（40%）剩余200.00元" in text and "不可用于「促发展」类服务" in text
    assert "下一阶段第二阶段" in text
    assert re.search(r'value="job_training" checked', r.text)  # the choice is kept
    # bad quantity, no item: next to the field
    r = post(
        officer, f"/cases/{case_id}/order", f"/cases/{case_id}/order", item_code="deep_clean",
        quantity="两次",
    )  # fmt: skip
    assert r.status_code == 422 and 'id="err-quantity"' in r.text
    r = post(officer, f"/cases/{case_id}/order", f"/cases/{case_id}/order")
    assert r.status_code == 422 and "请选择服务项目" in r.text
    # too much for what is left
    r = post(
        officer, f"/cases/{case_id}/order", f"/cases/{case_id}/order", item_code="deep_clean",
        quantity="3",
    )  # fmt: skip
    assert r.status_code == 409 and "本单300.00元超出当前可用额度" in r.text
    assert count(world, orders) == before
    # a stage review the same day is refused (the region's minimum interval) ...
    r = post(
        officer, f"/cases/{case_id}", f"/cases/{case_id}/visit", kind="review", notes="阶段评估"
    )
    assert r.status_code == 409 and "不足90天" in r.text
    # ... a quarter later it opens the second tier: now the training can be ordered
    world.svc.clock.advance(days=91)  # type: ignore[attr-defined]
    sign_in(officer, "ordos-officer")  # the page session has long expired
    r = post(
        officer, f"/cases/{case_id}", f"/cases/{case_id}/visit", kind="review", notes="阶段评估"
    )
    assert r.status_code == 303 and "走访记录已保存" in officer.get(r.headers["location"]).text
    r = post(
        officer, f"/cases/{case_id}/order", f"/cases/{case_id}/order", item_code="job_training",
        urgent="1", note="家政培训",
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}?done=ordered"
    page = officer.get(r.headers["location"]).text
    assert "已下单" in page and "就业培训 × 1" in page
    assert count(world, orders) == before + 1
    with world.svc.engine.connect() as conn:
        assert "order.place" in conn.execute(select(audit_log.c.action)).scalars().all()


def test_cancel_visit_and_exit(officer: Any, world: World) -> None:
    case_id = world.case_east
    first, second = world.orders
    r = post(officer, f"/cases/{case_id}", f"/orders/{first}/cancel", reason="对象住院")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}?done=cancelled"
    r = post(officer, f"/cases/{case_id}", f"/orders/{second}/cancel")  # no reason
    assert r.status_code == 422 and f'id="err-cancel-{second}">请填写取消原因' in r.text
    assert 'id="errors-summary"' in r.text
    assert r.text.index('id="errors-summary"') < r.text.index("<h1>")  # at the top
    r = post(officer, f"/cases/{case_id}", f"/orders/{first}/cancel", reason="再次取消")
    assert r.status_code == 409 and "已取消" in r.text and "不能取消" in r.text
    # a visit naming an order of the case: fine; naming junk: next to the field
    r = post(officer, f"/cases/{case_id}", f"/cases/{case_id}/visit", kind="return", order_id="x")
    assert r.status_code == 422 and 'id="err-visit-order_id"' in r.text
    r = post(
        officer, f"/cases/{case_id}", f"/cases/{case_id}/visit", kind="home", satisfied="yes",
        notes="入户走访，生活正常",
    )  # fmt: skip
    assert r.status_code == 303
    assert count(world, visits, visits.c.satisfied.is_(True)) == 1
    # exit: a reason is required, shown next to the field
    r = post(officer, f"/cases/{case_id}", f"/cases/{case_id}/exit", reason=" ")
    assert r.status_code == 422 and 'id="err-exit-reason">退出须说明原因' in r.text
    r = post(officer, f"/cases/{case_id}", f"/cases/{case_id}/exit", reason="迁出本地区")
    assert r.status_code == 303
    page = officer.get(r.headers["location"]).text
    assert "案件已退出" in page and "迁出本地区" in page
    assert f'action="/cases/{case_id}/exit"' not in page  # no further actions
    assert f'href="/cases/{case_id}/order"' not in page
    with world.svc.engine.connect() as conn:
        status = conn.execute(select(orders.c.status).where(orders.c.id == second)).scalar_one()
    assert status == "cancelled"  # refunded on exit


def test_roles_on_case_work(client: Any, world: World) -> None:
    case_id = world.case_east
    sign_in(client, "ordos-worker")  # reads no case files: only their orders (/work)
    assert client.get(f"/cases/{case_id}").status_code == 403
    assert client.get(f"/cases/{case_id}/assess").status_code == 403
    assert client.get(f"/cases/{case_id}/order").status_code == 403
    r = post(client, "/", f"/cases/{case_id}/exit", reason="x")
    assert r.status_code == 403
    sign_in(client, "ordos-supervisor")  # may record visits, nothing else
    page = client.get(f"/cases/{case_id}").text
    assert 'id="visit"' in page and 'id="assess-link"' not in page
    r = post(client, f"/cases/{case_id}", f"/cases/{case_id}/assess", **all_answers(world))
    assert r.status_code == 403
