"""Leads (救助顾问, 需求哨点, hotline), verification visits and how each case was found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from jiuzhu.core.access import Role
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.plugins import Regions
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import open_case
from jiuzhu.core.services.people import get_person
from jiuzhu.core.storage.tables import cases
from jiuzhu.plugins.monitoring.roles import ADVISER, SENTINEL
from jiuzhu.plugins.monitoring.service import list_signals, load_feed
from jiuzhu.plugins.monitoring.tables import signals
from jiuzhu.plugins.monitoring.work import (
    NewLead,
    case_source,
    escalate_overdue,
    get_signal,
    record_visit,
    report_lead,
)
from tests.conftest import Clock, actor_for
from tests.loop.helpers import new_person, some_area

from .helpers import csv_bytes


def lead(region_area: str, **kw: str) -> NewLead:
    values = {"name": "王大爷", "area_code": region_area, "description": "独居，行动不便"}
    values.update(kw)
    return NewLead(**values)


def test_an_adviser_reports_a_lead_without_an_id_number(svc: Services, regions: Regions) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    adviser = actor_for(regions, "binzhou", ADVISER, area_code=area, username="顾问甲")
    view = report_lead(svc, adviser, lead(area, level="orange", phone="13800000000"))
    assert (view.source, view.source_label, view.level) == ("adviser", "救助顾问", "orange")
    assert view.due_at == svc.now() + timedelta(hours=72) and not view.registered
    sentinel = actor_for(regions, "binzhou", SENTINEL, area_code=area)
    assert report_lead(svc, sentinel, lead(area)).source == "sentinel"
    clerk = actor_for(regions, "binzhou", Role.CLERK)
    assert report_lead(svc, clerk, lead(area)).source == "hotline"
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    assert {s.source for s in list_signals(svc, officer, "binzhou")} == {
        "adviser",
        "sentinel",
        "hotline",
    }
    with pytest.raises(Refused):  # an adviser reports; reading the queue is the office's
        list_signals(svc, adviser, "binzhou")


def test_a_bad_lead_names_its_field_and_writes_nothing(
    svc: Services, regions: Regions, engine: Engine
) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    adviser = actor_for(regions, "binzhou", ADVISER, area_code=area)
    cases_ = [
        (lead(area, name=""), "name"),
        (lead(area, description=" "), "description"),
        (lead("371602"), "area_code"),  # outside the adviser's area
        (lead(area, id_number="371621199001011234"), "id_number"),
        (lead(area, phone="打电话"), "phone"),
        (lead(area, level="purple"), "level"),
    ]
    for bad, field in cases_:
        with pytest.raises(Invalid) as err:
            report_lead(svc, adviser, bad)
        assert err.value.field == field
    with pytest.raises(Refused):
        report_lead(svc, actor_for(regions, "binzhou", Role.WORKER), lead(area))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(signals)).scalar_one() == 0


def test_a_visit_opens_a_case_and_records_how_the_person_was_found(
    svc: Services, regions: Regions
) -> None:
    region = regions.get("binzhou")
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    pid = new_person(svc, officer, region)
    number = get_person(svc, officer, pid).id_number
    rows = [
        {
            "id_number": number,
            "name": "某人",
            "discharged_on": "2025-02-10",
            "total_fen": "40000",
            "out_of_pocket_fen": "15000",
        }
    ]
    load_feed(svc, officer, "binzhou", "medical", "m.csv", csv_bytes(region, "medical", rows))
    red = next(s for s in list_signals(svc, officer, "binzhou") if s.rule == "large_medical_stay")
    worker = actor_for(regions, "binzhou", Role.WORKER, area_code=region.info.code)
    assert get_signal(svc, worker, red.id).id_number != number  # a worker sees it masked
    done = record_visit(svc, worker, red.id, "open_case", "入户核实：住院花费大，家中无劳力")
    assert done.case_id is not None and done.signal.status == "closed"
    assert case_source(svc, done.case_id) == "rule"
    with pytest.raises(Refused, match="已核实办结"):
        record_visit(svc, worker, red.id, "no_hardship")
    other = next(s for s in list_signals(svc, officer, "binzhou") if s.status == "open")
    with pytest.raises(Refused, match="已有在办档案"):
        record_visit(svc, worker, other.id, "open_case")
    assert record_visit(svc, worker, other.id, "served").case_id == done.case_id


def test_a_visit_that_sends_to_the_one_form_marks_the_later_case(
    svc: Services, regions: Regions, clock: Clock
) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    adviser = actor_for(regions, "binzhou", ADVISER, area_code=area)
    pid = new_person(svc, officer, region, area=area)
    number = get_person(svc, officer, pid).id_number
    view = report_lead(svc, adviser, lead(area, id_number=number))
    assert view.registered and view.person_id == pid
    sent = record_visit(svc, officer, view.id, "apply")
    assert sent.apply_id_number == number and sent.case_id is None  # officers hold id.full
    clock.advance(hours=2)
    case = open_case(svc, officer, pid, "一表受理")
    assert case_source(svc, case.id) == "adviser"
    other = new_person(svc, officer, region)
    assert case_source(svc, open_case(svc, officer, other).id) == "application"


def test_unregistered_people_cannot_get_a_case_from_a_visit(
    svc: Services, regions: Regions, engine: Engine
) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    view = report_lead(svc, officer, lead(area))
    with pytest.raises(Refused, match="尚未登记"):
        record_visit(svc, officer, view.id, "open_case")
    with pytest.raises(Invalid):
        record_visit(svc, officer, view.id, "maybe")
    with pytest.raises(NotFound):  # out of area looks like absent
        record_visit(
            svc, actor_for(regions, "binzhou", Role.WORKER, area_code="371602"), view.id, "apply"
        )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 0
    assert record_visit(svc, officer, view.id, "no_hardship").signal.outcome == "no_hardship"


def test_overdue_signals_are_escalated_once(svc: Services, regions: Regions, clock: Clock) -> None:
    region = regions.get("binzhou")
    area = some_area(region)
    officer = actor_for(regions, "binzhou", Role.OFFICER)
    report_lead(svc, officer, lead(area, level="red"))
    report_lead(svc, officer, lead(area, level="yellow"))
    clock.advance(hours=25)
    assert escalate_overdue(svc, officer) == 1
    assert escalate_overdue(svc, officer) == 0
    from jiuzhu.plugins.monitoring.sections import urgent_signals

    [section] = urgent_signals(svc, officer)
    assert [r["level"] for r in section.rows] == ["红色预警", "黄色预警"]
    assert section.rows[0]["due"].endswith("（已超时）")
    assert urgent_signals(svc, actor_for(regions, "binzhou", Role.SUPERVISOR)) == []
    assert urgent_signals(svc, actor_for(regions, "ordos", Role.OFFICER)) == []
    shown = {s.level: s for s in list_signals(svc, officer, "binzhou")}
    assert shown["red"].overdue and shown["red"].escalated and not shown["yellow"].overdue
