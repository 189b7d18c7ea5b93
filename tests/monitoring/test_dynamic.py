"""Dynamic monitoring of people already served: a death record exits the case through the
core (orders cancelled, refunds booked, the ledger balances); income above the line opens
an exit review whose visit can exit the case; re-certification comes due."""

from __future__ import annotations

from datetime import date

import pytest

from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import get_case
from jiuzhu.core.services.orders import NewOrder, get_order, place_order
from jiuzhu.core.services.people import get_person
from jiuzhu.plugins.monitoring.dynamic import add_months, due_recertifications, recertify
from jiuzhu.plugins.monitoring.service import list_signals, load_feed
from jiuzhu.plugins.monitoring.work import record_visit
from tests.conftest import Clock, actor_for
from tests.loop.helpers import LOOP_ITEM, assert_ledger_balances, eligible_case, item_named

from .helpers import csv_bytes


def test_a_death_record_exits_the_case_and_refunds_its_open_orders(
    svc: Services, regions: Regions
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    case = eligible_case(svc, officer, region)
    order = place_order(
        svc, officer, NewOrder(case_id=case.id, item_code=item_named(region, LOOP_ITEM["binzhou"]))
    )
    number = get_person(svc, officer, case.person_id).id_number
    rows = [{"id_number": number, "name": "某人", "died_on": "2025-03-01"}]
    result = load_feed(
        svc, officer, "binzhou", "deaths", "d.csv", csv_bytes(region, "deaths", rows)
    )
    assert result.exited == [case.id] and result.not_exited == []
    assert get_case(svc, officer, case.id).status == "exited"
    assert get_order(svc, officer, order.id).status == "cancelled"
    assert assert_ledger_balances(svc) >= 1


def test_income_above_the_line_opens_one_exit_review(svc: Services, regions: Regions) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    case = eligible_case(svc, officer, region)
    number = get_person(svc, officer, case.person_id).id_number
    rows = [{"id_number": number, "checked_on": "2025-02-01", "income_fen": "1500"}]
    assert (
        load_feed(
            svc, officer, "binzhou", "income", "i.csv", csv_bytes(region, "income", rows)
        ).warnings
        == 1
    )
    again = [{"id_number": number, "checked_on": "2025-03-01", "income_fen": "1600"}]
    assert (
        load_feed(
            svc, officer, "binzhou", "income", "j.csv", csv_bytes(region, "income", again)
        ).warnings
        == 0
    )  # one review at a time
    below = [{"id_number": number, "checked_on": "2025-03-02", "income_fen": "1250"}]
    load_feed(svc, officer, "binzhou", "income", "k.csv", csv_bytes(region, "income", below))
    [review] = list_signals(svc, officer, "binzhou")
    assert review.rule == "exit_review" and review.value == 150_000
    worker = actor_for(regions, "binzhou", Role.WORKER)
    with pytest.raises(Refused):  # exiting a case needs case.write
        record_visit(svc, worker, review.id, "exit")
    done = record_visit(svc, officer, review.id, "exit", "收入稳定超过标准")
    assert done.case_id == case.id and get_case(svc, officer, case.id).status == "exited"


def test_recertification_comes_due_and_restarts(
    svc: Services, regions: Regions, clock: Clock
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    case = eligible_case(svc, officer, region)
    assert due_recertifications(svc, officer) == []
    clock.advance(days=366)
    [due] = due_recertifications(svc, officer)
    assert due.case_id == case.id and due.due_on == date(2026, 3, 3)
    recertify(svc, officer, case.id, "入户复核：仍符合条件")
    assert due_recertifications(svc, officer) == []
    clock.advance(days=365)
    assert [d.case_id for d in due_recertifications(svc, officer)] == [case.id]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
