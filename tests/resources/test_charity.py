"""Charity funds: donations in, grants out, and the charity source's share of service orders
(split by plugins/funding into the core ledger) — the statement always balances and a grant
never takes the source below zero (Changji's 五个一点 include charity donations, DOMAIN.md;
Xingqing's 帮扶清单 pools government, charity and society, seed 004)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.core.base import NotFound, Refused
from jiuzhu.core.services.orders import NewOrder, place_order
from jiuzhu.plugins.resources import charity
from tests.conftest import actor_for
from tests.loop.helpers import granted_case

from .helpers import Home, library_ready, zhang_family


def test_donation_grant_and_services_balance(svc, regions) -> None:
    admin = library_ready(svc, regions)
    home = zhang_family(svc, regions)
    s = charity.donate(svc, admin, "xq_charity", 100_000, "爱心企业")
    assert (s.donations_fen, s.grants_fen, s.services_fen, s.balance_fen) == (
        100_000,
        0,
        0,
        100_000,
    )
    s = charity.grant(svc, admin, "xq_charity", 30_000, home.household_id, "学习桌椅、台灯")
    assert (s.grants_fen, s.balance_fen) == (30_000, 70_000)
    # a service order in 资源链接 is half charity (funding.toml override): it draws on the source
    case = granted_case(svc, admin, regions.get("xingqing"))
    place_order(svc, admin, NewOrder(case_id=case.id, item_code="resource_link"))
    s = charity.statement(svc, admin, "xq_charity")
    assert s.services_fen == 5_000  # 100 yuan, charity 50%
    assert s.balance_fen == 100_000 - 30_000 - 5_000 and s.balanced
    with pytest.raises(Refused) as exc:
        charity.grant(svc, admin, "xq_charity", 65_001, home.household_id)
    assert exc.value.rule == "fund_balance" and "650.00" in exc.value.detail
    assert charity.statement(svc, admin, "xq_charity").balance_fen == 65_000  # nothing written
    kinds = [e.kind for e in charity.entries(svc, admin, "xq_charity")]
    assert kinds == ["grant", "donation"]


def test_grants_stay_in_scope_and_unknown_funds_are_absent(svc, regions) -> None:
    admin = library_ready(svc, regions)
    home = zhang_family(svc, regions)
    charity.donate(svc, admin, "xq_charity", 10_000, "捐赠人")
    other_street = actor_for(regions, "xingqing", area_code="640104003")  # 胜利街
    with pytest.raises(NotFound):
        charity.grant(svc, other_street, "xq_charity", 100, home.household_id)
    with pytest.raises(NotFound):
        charity.statement(svc, admin, "nope")


_HOMES: dict[int, Home] = {}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50_000)), min_size=1, max_size=12))
def test_any_sequence_keeps_the_ledger_balanced(svc, regions, moves) -> None:
    admin = library_ready(svc, regions)
    key = id(svc)
    if key not in _HOMES:  # one household per test run (examples share the database)
        _HOMES[key] = zhang_family(svc, regions)
    home = _HOMES[key]
    before = charity.statement(svc, admin, "xq_charity")
    expected = before.balance_fen
    for is_donation, amount in moves:
        if is_donation:
            charity.donate(svc, admin, "xq_charity", amount, "捐赠人")
            expected += amount
        else:
            try:
                charity.grant(svc, admin, "xq_charity", amount, home.household_id)
                expected -= amount
            except Refused:
                assert amount > expected
        s = charity.statement(svc, admin, "xq_charity")
        assert s.balance_fen == expected >= 0
        assert s.balanced
        assert s.donations_fen - s.grants_fen - s.services_fen == s.balance_fen
