"""Group sessions (小组工作 / 主题活动): each attendee checked in is an order (delivered),
a visit and a person-time, spending the attendee's entitlement when the item does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.domain import OrderStatus
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import case_file, exit_case
from jiuzhu.core.services.entitlements import entitlement_view
from jiuzhu.core.services.orders import NewOrder, order_deliveries, place_order
from jiuzhu.core.services.sessions import (
    NewSession,
    candidates,
    check_in,
    close_session,
    create_session,
    get_session,
    list_sessions,
)
from jiuzhu.core.services.stats import statistics

from ..conftest import Clock, actor_for
from .helpers import assert_ledger_balances, counts, eligible_case, provider_with_worker

CULTURE = "jingshen_wenhua"  # Changji's 精神文化培育: 3 sessions / 82 person-times (seed 000)


def _session(svc: Services, regions: Regions, clock: Clock, **kw: object):
    region = regions.get("changji")
    officer = actor_for(regions, "changji")
    provider, worker_id = provider_with_worker(svc, officer, region, "汇同社工服务中心")
    worker = actor_for(
        regions, "changji", Role.WORKER, provider_id=provider, worker_id=worker_id, username="w"
    )
    values: dict[str, object] = {
        "item_code": CULTURE,
        "title": "元宵节读书会",
        "starts_at": clock.now + timedelta(hours=1),
        "minutes": 120,
        "area_code": region.info.code,
    }
    values.update(kw)
    session = create_session(svc, worker, NewSession(**values))  # type: ignore[arg-type]
    return region, officer, worker, session


def test_each_attendee_is_an_order_a_visit_and_a_person_time(
    svc: Services, regions: Regions, clock: Clock
):
    region, officer, worker, session = _session(svc, regions, clock)
    assert session.status == "open" and session.provider_id == worker.provider_id
    people = [eligible_case(svc, officer, region) for _ in range(3)]
    price = region.catalogue.item(CULTURE).unit_price_fen
    for case in people:
        attendee = check_in(svc, worker, session.id, case.id)
        assert attendee.case_id == case.id
    view = get_session(svc, officer, session.id)
    assert [a.case_id for a in view.attendees] == [c.id for c in people]
    assert view.item_name == "精神文化培育" and view.provider_name == "汇同社工服务中心"
    for case in people:
        file = case_file(svc, officer, case.id)
        (order,) = file.orders
        assert order.status == OrderStatus.DELIVERED and order.session_id == session.id
        assert order.provider_id == worker.provider_id and order.amount_fen == price
        (visit,) = order_deliveries(svc, officer, order.id)
        assert visit.minutes == 120 and visit.checkin_at == session.starts_at
        assert "session.attended" in [e.kind for e in file.events]
        # the item spends the entitlement: a cap reserved at check-in
        assert entitlement_view(svc, officer, case.id).entitlement.used == price
    stats = statistics(svc, officer, "item")
    row = next(r for r in stats.rows if r.key == CULTURE)
    assert (row.persons, row.person_times, row.hours, row.amount_fen) == (3, 3, 6.0, 3 * price)
    assert assert_ledger_balances(svc) == 3


def test_refusals_write_nothing(svc: Services, regions: Regions, clock: Clock):
    region, officer, worker, session = _session(svc, regions, clock)
    case = eligible_case(svc, officer, region)
    with pytest.raises(Refused) as individual:
        place_order(svc, officer, NewOrder(case_id=case.id, item_code=CULTURE))
    assert individual.value.rule == "item.group"
    check_in(svc, worker, session.id, case.id)
    before = counts(svc.engine)
    with pytest.raises(Refused) as twice:
        check_in(svc, worker, session.id, case.id)
    assert twice.value.rule == "session.attending"
    other = eligible_case(svc, officer, region)
    exit_case(svc, officer, other.id, "迁出")
    with pytest.raises(Refused) as exited:
        check_in(svc, worker, session.id, other.id)
    assert exited.value.rule == "case.not_active"
    close_session(svc, worker, session.id)
    third = eligible_case(svc, officer, region)
    before = counts(svc.engine)
    with pytest.raises(Refused) as closed:
        check_in(svc, worker, session.id, third.id)
    assert closed.value.rule == "session.closed"
    assert counts(svc.engine) == before
    with pytest.raises(Invalid) as not_group:
        create_session(
            svc,
            worker,
            NewSession(
                item_code="shangmen_zhaohu",
                title="x",
                starts_at=clock.now,
                minutes=60,
                area_code=region.info.code,
            ),
        )
    assert not_group.value.field == "item_code"


def test_a_full_entitlement_refuses_the_check_in(svc: Services, regions: Regions, clock: Clock):
    region, officer, worker, session = _session(svc, regions, clock)
    case = eligible_case(svc, officer, region)
    # spend the whole year's 2,000 yuan on care first
    place_order(svc, officer, NewOrder(case_id=case.id, item_code="shangmen_zhaohu", quantity=50))
    before = counts(svc.engine)
    with pytest.raises(Refused) as full:
        check_in(svc, worker, session.id, case.id)
    assert full.value.rule == "budget" and "剩余0.00元" in full.value.detail
    assert counts(svc.engine) == before
    assert get_session(svc, officer, session.id).attendees == []


def test_scope_and_search(svc: Services, regions: Regions, clock: Clock):
    region, officer, worker, session = _session(svc, regions, clock)
    case = eligible_case(svc, officer, region)
    found = candidates(svc, worker, session.id, "测试")
    assert [c.case_id for c in found] == [case.id] and not found[0].attending
    check_in(svc, worker, session.id, case.id)
    assert candidates(svc, worker, session.id, "测试")[0].attending
    assert candidates(svc, worker, session.id, "  ") == []
    # another provider's worker neither sees nor runs it
    other_provider, other_worker = provider_with_worker(svc, officer, region, "别家中心")
    stranger = actor_for(
        regions,
        "changji",
        Role.WORKER,
        provider_id=other_provider,
        worker_id=other_worker,
        username="s",
    )
    with pytest.raises(NotFound):
        get_session(svc, stranger, session.id)
    assert list_sessions(svc, stranger) == []
    assert [s.id for s in list_sessions(svc, officer)] == [session.id]
    # and a county officer elsewhere does not see a prefecture-wide session
    county = actor_for(regions, "changji", Role.OFFICER, area_code="652323")
    with pytest.raises(NotFound):
        get_session(svc, county, session.id)
