"""Illegal transitions are refused with a clear rule and change nothing."""

from __future__ import annotations

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import NotFound, Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    NewRating,
    accept_order,
    cancel_order,
    dispatch_order,
    finish_order,
    place_order,
    rate_order,
    start_order,
)

from ..conftest import actor_for
from .helpers import counts, deliver, eligible_case, item_named, provider_with_worker


def refused(svc: Services, rule: str, call, *args: object) -> Refused:
    before = counts(svc.engine)
    with pytest.raises(Refused) as caught:
        call(svc, *args)
    assert caught.value.rule == rule, caught.value
    assert counts(svc.engine) == before
    return caught.value


def hidden(svc: Services, call, *args: object) -> None:
    """Provider staff acting on an order that is not theirs: it looks absent."""
    before = counts(svc.engine)
    with pytest.raises(NotFound):
        call(svc, *args)
    assert counts(svc.engine) == before


def test_illegal_transitions(svc: Services, regions: Regions):
    region = regions.get("ordos")
    officer = actor_for(regions, "ordos")
    case = eligible_case(svc, officer, region)
    a_provider, a_worker = provider_with_worker(svc, officer, region, "甲中心")
    b_provider, b_worker = provider_with_worker(svc, officer, region, "乙中心")
    worker_a = actor_for(
        regions, "ordos", Role.WORKER, provider_id=a_provider, worker_id=a_worker, username="甲社工"
    )
    worker_b = actor_for(
        regions, "ordos", Role.WORKER, provider_id=b_provider, worker_id=b_worker, username="乙社工"
    )
    code = item_named(region, "助餐")
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))

    why = refused(svc, "order.transition", rate_order, officer, order.id, NewRating(score=5))
    assert "待派单" in why.detail and "评价" in why.detail
    hidden(svc, accept_order, worker_a, order.id)  # not dispatched to them
    dispatch_order(svc, officer, order.id, a_provider)
    # a worker of another provider does not see it; nobody acts for another worker
    hidden(svc, accept_order, worker_b, order.id)
    refused(svc, "order.worker", accept_order, worker_a, order.id, b_worker)
    refused(svc, "order.transition", start_order, worker_a, order.id)  # not accepted
    accept_order(svc, worker_a, order.id)
    hidden(svc, start_order, worker_b, order.id)
    admin_a = actor_for(regions, "ordos", Role.PROVIDER_ADMIN, provider_id=a_provider)
    refused(svc, "order.worker", start_order, admin_a, order.id)  # check-in is the worker's
    refused(
        svc, "order.transition", finish_order, worker_a, order.id, Finish(confirmed_by="本人")
    )  # not started
    start_order(svc, worker_a, order.id)
    refused(svc, "order.transition", cancel_order, officer, order.id)  # in service
    # the provider's admin may not check out an order a worker started
    why = refused(svc, "order.worker", finish_order, admin_a, order.id, Finish(confirmed_by="x"))
    assert "社工本人" in why.detail
    finish_order(svc, worker_a, order.id, Finish(confirmed_by="本人", minutes=30))
    refused(svc, "order.transition", dispatch_order, officer, order.id, b_provider)
    rate_order(svc, officer, order.id, NewRating(score=5))
    refused(svc, "order.transition", rate_order, officer, order.id, NewRating(score=1))

    # a cancelled order cannot be accepted or delivered
    other = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))
    dispatch_order(svc, officer, other.id, a_provider)
    cancel_order(svc, officer, other.id, "对象外出")
    why = refused(svc, "order.transition", accept_order, worker_a, other.id)
    assert "已取消" in why.detail
    refused(svc, "order.transition", dispatch_order, officer, other.id, a_provider)


def test_roles_that_may_not_act_are_refused(svc: Services, regions: Regions):
    region = regions.get("ordos")
    officer = actor_for(regions, "ordos")
    case = eligible_case(svc, officer, region)
    provider, worker_id = provider_with_worker(svc, officer, region)
    worker = actor_for(
        regions, "ordos", Role.WORKER, provider_id=provider, worker_id=worker_id, username="社工"
    )
    code = item_named(region, "助餐")
    refused(svc, "access", place_order, worker, NewOrder(case_id=case.id, item_code=code))
    order = place_order(svc, officer, NewOrder(case_id=case.id, item_code=code))
    refused(svc, "access", dispatch_order, worker, order.id, provider)
    deliver(svc, officer, worker, order.id, provider)
    refused(svc, "access", rate_order, worker, order.id, NewRating(score=5))
