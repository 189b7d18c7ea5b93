"""Qiaojia (巧家县, seed 003) as a region: 3 levels × 5 dimensions, GB/T 42195 with a needs
survey, residents served whatever their hukou, a monthly time floor for long-term
recipients (25 days, 60 hours) whose shortfall is a finding and never a refusal, short-term
group sessions, and the seed's arithmetic."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

import jiuzhu.regions.qiaojia as qiaojia_plugin
from jiuzhu.core import idcard
from jiuzhu.core.access import Role
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import CaseStatus, NewPerson, OrderStatus
from jiuzhu.core.entitlement import amount_text
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, rollups
from jiuzhu.core.services.cases import case_file, grant_entitlement, open_case, record_assessment
from jiuzhu.core.services.entitlements import (
    case_shortfall,
    close_period,
    entitlement_view,
    shortfalls,
)
from jiuzhu.core.services.orders import (
    Finish,
    NewOrder,
    accept_order,
    close_order,
    dispatch_order,
    finish_order,
    place_order,
    start_order,
)
from jiuzhu.core.services.people import create_person
from jiuzhu.core.services.sessions import NewSession, check_in, create_session
from jiuzhu.core.services.stats import statistics
from jiuzhu.core.testing import check_region_plugin, load_alone
from jiuzhu.plugins.time_floor import TimeFloor
from tests.conftest import Clock, actor_for
from tests.loop.helpers import assert_ledger_balances, provider_with_worker
from tests.plugins.test_gbt42195 import answers_for

YUPING = "530622001001"  # 玉屏示例社区一 (codes below county level are illustrative)
DAZHAI = "530622101001"  # outside the pilot area
SPENT_FEN = 91_070_000  # 91.07万元
HOURS = 45_275.75
PERSON_TIMES, RECIPIENTS, HOUSEHOLDS = 16_210, 236, 198
SESSIONS, SESSION_TIMES = 149, 5_849


@pytest.fixture(scope="module")
def qj_alone() -> Regions:
    return load_alone("qiaojia", qiaojia_plugin)


def test_loads_alone_and_is_complete(qj_alone: Regions) -> None:
    assert check_region_plugin(qj_alone) == []
    region = qj_alone.get("qiaojia")
    assert (region.info.code, region.info.name) == ("530622", "巧家县")
    assert region.info.providers[0].name == "昭通市慧爱社会工作服务中心"
    assert region.info.service.satisfaction_survey_months == 3  # 季度满意度调查


def test_three_levels_and_five_dimensions(qj_alone: Regions) -> None:
    cat = qj_alone.get("qiaojia").catalogue
    assert [c.name for c in cat.categories] == ["基础保障层", "风险防范层", "发展促进层"]
    assert [d.name for d in cat.dimensions] == [
        "服务场域",
        "服务内容",
        "服务周期",
        "服务方向",
        "服务方法",
    ]
    assert all(d.required for d in cat.dimensions)
    for item in cat.items:
        assert set(item.dimensions) == {d.code for d in cat.dimensions}, item.code
        # every service is confirmed by the recipient's signature
        assert not item.standard or "签" in item.standard[-1] + item.standard[-2], item.code
    groups = [i for i in cat.items if i.mode == "group"]
    assert {i.name for i in groups} == {"主题活动", "小组工作"}
    assert not any(i.spends_entitlement for i in groups)
    assert {i.dimensions["zhouqi"] for i in groups} == {"短期"}


def test_the_seed_arithmetic_behind_price_and_visit_length(qj_alone: Regions) -> None:
    care = qj_alone.get("qiaojia").catalogue.item("shenghuo_zhaohu")
    # 910,700 yuan over 45,275.75 hours ≈ 20.1 yuan an hour: the price is derived from it
    assert pytest.approx(2011.45, abs=0.01) == SPENT_FEN / HOURS
    assert care.unit_price_fen == round(SPENT_FEN / HOURS) == 2011
    assert amount_text("fen", care.unit_price_fen) == "20.11元"
    # 45,275.75 hours in 16,210 person-times: visits of about 168 minutes
    assert care.minutes_per_visit == round(HOURS * 60 / PERSON_TIMES) == 168
    assert care.visits(60) == math.ceil(3600 / 168) == 22  # 60 hours a month in 22 visits


def test_assessment_is_the_national_standard_with_a_needs_survey(qj_alone: Regions) -> None:
    from jiuzhu.core.assessment import score

    ins = qj_alone.get("qiaojia").instrument
    assert ins.max_total == 90 and ins.higher_is == "ability"
    survey = [d for d in ins.domains if d.code.startswith("survey_")]
    assert [d.name for d in survey] == ["需求调查·生理", "需求调查·心理", "需求调查·经济"]
    answers = {**answers_for(40), "sv_alone": 2, "sv_mood": 2, "sv_chronic": 2, "sv_medicine": 1}
    answers.update({i.code: answers.get(i.code, 0) for d in survey for i in d.indicators})
    result = score(ins, answers)
    assert result.level == "重度失能" and result.total == 40  # the survey adds nothing
    assert {"shenghuo_zhaohu", "guanai_peiban", "jiankang_jiance"} <= set(result.recommended_items)


def test_long_term_by_level_is_the_floor(qj_alone: Regions) -> None:
    region = qj_alone.get("qiaojia")
    on = date(2025, 3, 1)
    for level in ("中度失能", "重度失能", "完全失能"):
        rule = qj_alone.entitlement_rule(region, on, level)
        assert isinstance(rule, TimeFloor)
        assert (rule.unit, rule.kind, rule.period) == ("minutes", "floor", "month")
        (bucket,) = rule.buckets()
        assert (bucket.cap, bucket.min_days) == (3600, 25)  # 60 hours, 25 days
    for level in ("", "能力完好", "轻度失能"):
        assert qj_alone.entitlement_rule(region, on, level) is None  # short-term


def test_residents_are_served_whatever_their_hukou(qj_alone: Regions) -> None:
    region = qj_alone.get("qiaojia")
    people = Population.of(
        [
            PersonFacts(
                age=78, groups=frozenset({"低保"}), area_code=YUPING, hukou_area_code="510101"
            ),
            PersonFacts(
                age=78, groups=frozenset({"低保"}), area_code=YUPING, hukou_area_code="530622"
            ),
            PersonFacts(age=9, groups=frozenset({"孤儿"}), area_code="530622002001"),
            PersonFacts(
                age=78, groups=frozenset({"低保"}), area_code=DAZHAI, hukou_area_code="530622"
            ),
            PersonFacts(age=78, groups=frozenset(), area_code=YUPING),
        ]
    )
    decision = qj_alone.eligibility(region, people, date(2025, 3, 1))
    assert decision.eligible.tolist() == [True, True, True, False, False]
    assert decision.reasons(2) == ["符合：居住在试点区域的孤儿（不限户籍）"]


# --- the loop: the floor owed, served, fallen short ------------------------------------


def _person(svc: Services, actor, region: Region, name: str, **kw: object) -> int:
    values: dict[str, object] = {
        "region_id": "qiaojia",
        "id_number": idcard.make("510101", date(1947, 2, 3), abs(hash(name)) % 900 + 1),
        "name": name,
        "area_code": YUPING,
        "hukou_area_code": "510101",  # registered in Sichuan, living in Qiaojia
        "groups": ["低保"],
        "living_alone": True,
    }
    values.update(kw)
    return create_person(svc, actor, NewPerson(**values)).id  # type: ignore[arg-type]


def _assessed_case(svc: Services, actor, region: Region, name: str, total: int, **kw: object):
    case = open_case(svc, actor, _person(svc, actor, region, name, **kw), "入户需求调查")
    answers = answers_for(total)
    answers.update(
        {
            i.code: 0
            for d in region.instrument.domains
            for i in d.indicators
            if i.code.startswith("sv_")
        }
    )
    record_assessment(svc, actor, case.id, answers)
    return case


def test_march_closed_at_13_days_and_39_hours_is_a_shortfall_never_a_refusal(
    svc: Services, regions: Regions, clock: Clock
) -> None:
    region = regions.get("qiaojia")
    officer = actor_for(regions, "qiaojia")
    case = _assessed_case(svc, officer, region, "王奶奶", 40)  # 重度失能
    ent = grant_entitlement(svc, officer, case.id)
    assert ent is not None
    assert (ent.unit, ent.kind, ent.period, ent.amount, ent.level) == (
        "minutes",
        "floor",
        "month",
        3600,
        "重度失能",
    )
    provider, worker_id = provider_with_worker(svc, officer, region, "昭通市慧爱社会工作服务中心")
    worker = actor_for(
        regions, "qiaojia", Role.WORKER, provider_id=provider, worker_id=worker_id, username="李敏"
    )
    # March's care: 60 hours ordered, and more on top — a floor never refuses
    care = place_order(
        svc, officer, NewOrder(case_id=case.id, item_code="shenghuo_zhaohu", quantity=60)
    )
    extra = place_order(
        svc, officer, NewOrder(case_id=case.id, item_code="guanai_peiban", quantity=30)
    )
    assert care.cost == 0 and care.entitlement_id == ent.id  # booked when served
    assert extra.status == OrderStatus.PLACED
    dispatch_order(svc, officer, care.id, provider)
    accept_order(svc, worker, care.id)
    for day in range(3, 16):  # 13 days, 3 hours each = 39 hours
        clock.now = datetime(2025, 3, day, 1, 0, tzinfo=UTC)  # 09:00 in Qiaojia
        start_order(svc, worker, care.id)
        clock.advance(hours=3)
        done = finish_order(
            svc, worker, care.id, Finish(steps_done=[], signer="王奶奶", signature="王奶奶（签名）")
        )
        assert done.status == OrderStatus.ACCEPTED  # 60 hours not yet served
    mid = case_shortfall(svc, officer, case.id, "2025-03")
    assert (mid.days, mid.served, mid.closed) == (13, 39 * 60, False)
    view = entitlement_view(svc, officer, case.id, period="2025-03")
    assert view.used_text == "39小时" and view.buckets[0].available == 21 * 60  # still owed

    clock.now = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
    close_order(svc, officer, care.id, "3月服务结束，未服务部分退回")
    found = case_shortfall(svc, officer, case.id, "2025-03")
    assert (found.days_owed, found.owed) == (25, 3600)
    assert (found.days, found.served) == (13, 2340)
    assert (found.days_short, found.short) == (12, 1260)  # 12 days and 21 hours
    assert found.closed and found.is_short
    assert found.text == "应不少于25天、60小时，实际13天、39小时，差12天、21小时"

    with pytest.raises(Refused) as still_open:
        close_period(svc, officer, "qiaojia", "2025-04")
    assert still_open.value.rule == "period.open"
    written = close_period(svc, officer, "qiaojia", "2025-03")
    assert [f.case_id for f in written] == [case.id]
    assert close_period(svc, officer, "qiaojia", "2025-03") == []  # once per period
    event = case_file(svc, officer, case.id).events[-1]
    assert event.kind == "entitlement.shortfall"
    assert event.reason == "2025年3月应不少于25天、60小时，实际13天、39小时，差12天、21小时"
    assert (event.detail["days_short"], event.detail["short"]) == (12, 1260)
    supervisor = actor_for(regions, "qiaojia", Role.SUPERVISOR)
    listed = shortfalls(svc, supervisor, "2025-03", only_short=True)
    assert [(f.case_id, f.person_name) for f in listed] == [(case.id, "王奶奶")]
    # the money: the 21 hours not served went back to the fund
    assert assert_ledger_balances(svc) == 1


def test_short_term_recipients_attend_sessions_without_an_entitlement(
    svc: Services, regions: Regions, clock: Clock
) -> None:
    region = regions.get("qiaojia")
    officer = actor_for(regions, "qiaojia")
    case = _assessed_case(svc, officer, region, "张大爷", 75)  # 轻度失能: short-term
    assert grant_entitlement(svc, officer, case.id) is None
    file = case_file(svc, officer, case.id)
    assert file.case.status == CaseStatus.ACTIVE and file.entitlements == []
    assert file.events[-1].kind == "case.activated"
    with pytest.raises(Refused) as needs_one:
        place_order(svc, officer, NewOrder(case_id=case.id, item_code="shenghuo_zhaohu"))
    assert needs_one.value.rule == "entitlement.missing"
    provider, worker_id = provider_with_worker(svc, officer, region)
    worker = actor_for(
        regions, "qiaojia", Role.WORKER, provider_id=provider, worker_id=worker_id, username="w"
    )
    session = create_session(
        svc,
        worker,
        NewSession(
            item_code="zhuti_huodong",
            title="重阳节健康讲座",
            starts_at=clock.now + timedelta(hours=2),
            minutes=120,
            area_code="530622001",
        ),
    )
    check_in(svc, worker, session.id, case.id)
    (order,) = case_file(svc, officer, case.id).orders
    assert order.entitlement_id is None and order.amount_fen == 0
    stats = statistics(svc, officer, "item")
    assert [(r.key, r.persons, r.person_times) for r in stats.rows] == [("zhuti_huodong", 1, 1)]


# --- the seed's totals through the statistics ------------------------------------------


def _bulk(engine: Engine, region: Region) -> None:
    """236 long-term recipients in 198 households served 16,210 person-times, 45,275.75
    hours; 149 sessions with 5,849 person-times — written as rows (set-based)."""
    from jiuzhu.core.storage.tables import (
        cases,
        deliveries,
        group_sessions,
        households,
        ledger,
        orders,
        persons,
        providers,
        session_attendees,
    )

    at = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
    short_term = 400
    people = RECIPIENTS + short_term
    with engine.begin() as conn:
        conn.execute(
            providers.insert().values(id=1, region_id="qiaojia", name="慧爱", area_code="530622")
        )
        conn.execute(
            households.insert(),
            [
                {"id": h, "region_id": "qiaojia", "area_code": YUPING, "created_at": at}
                for h in range(1, HOUSEHOLDS + 1)
            ],
        )
        # 198 households: 38 of them have two long-term members (198 + 38 = 236)
        home = [h for h in range(1, HOUSEHOLDS + 1)] + list(range(1, RECIPIENTS - HOUSEHOLDS + 1))
        conn.execute(
            persons.insert(),
            [
                {
                    "id": p,
                    "region_id": "qiaojia",
                    "household_id": home[p - 1] if p <= RECIPIENTS else None,
                    "id_number": f"X{p:017d}",
                    "name": f"对象{p}",
                    "birth_date": date(1950, 1, 1),
                    "area_code": YUPING,
                    "groups": ["低保"],
                    "covered_by": [],
                    "created_at": at,
                }
                for p in range(1, people + 1)
            ],
        )
        conn.execute(
            cases.insert(),
            [
                {
                    "id": p,
                    "region_id": "qiaojia",
                    "person_id": p,
                    "area_code": YUPING,
                    "status": "active",
                    "opened_at": at,
                }
                for p in range(1, people + 1)
            ],
        )
        # long-term: one care order each, delivered in 68 or 69 visits of 167 or 168 minutes
        visits = [
            PERSON_TIMES // RECIPIENTS + (p < PERSON_TIMES % RECIPIENTS) for p in range(RECIPIENTS)
        ]
        total_minutes = round(HOURS * 60)
        base = total_minutes // PERSON_TIMES
        longer = total_minutes - base * PERSON_TIMES
        rows, minutes_of = [], [0] * RECIPIENTS
        n = 0
        for p, k in enumerate(visits):
            for _ in range(k):
                m = base + (n < longer)
                rows.append(
                    {
                        "order_id": p + 1,
                        "checkin_at": at,
                        "checkout_at": at,
                        "minutes": m,
                        "steps_done": [],
                        "signer": "本人",
                    }
                )
                minutes_of[p] += m
                n += 1
        order = {
            "region_id": "qiaojia",
            "item_code": "shenghuo_zhaohu",
            "unit_price_fen": 2011,
            "urgent": False,
            "status": "delivered",
            "due_at": at,
            "placed_at": at,
            "placed_by": "t",
            "finished_at": at,
            "provider_id": 1,
        }
        conn.execute(
            orders.insert(),
            [
                {
                    **order,
                    "id": p + 1,
                    "case_id": p + 1,
                    "quantity": minutes_of[p] // 60,
                    "amount_fen": round(2011 * minutes_of[p] / 60),
                }
                for p in range(RECIPIENTS)
            ],
        )
        conn.execute(deliveries.insert(), rows)
        conn.execute(
            ledger.insert(),
            [
                {
                    "order_id": p + 1,
                    "source_code": "county_fund",
                    "kind": "spend",
                    "at": at,
                    "amount_fen": round(2011 * minutes_of[p] / 60),
                }
                for p in range(RECIPIENTS)
            ],
        )
        # short-term: 149 sessions, 39 or 40 attendees each (5,849 person-times)
        conn.execute(
            group_sessions.insert(),
            [
                {
                    "id": s,
                    "region_id": "qiaojia",
                    "item_code": "zhuti_huodong",
                    "provider_id": 1,
                    "title": f"活动{s}",
                    "area_code": "530622001",
                    "starts_at": at,
                    "minutes": 120,
                    "status": "closed",
                    "created_by": "t",
                    "created_at": at,
                }
                for s in range(1, SESSIONS + 1)
            ],
        )
        attend, orows, drows = [], [], []
        oid = RECIPIENTS
        for s in range(1, SESSIONS + 1):
            for j in range(SESSION_TIMES // SESSIONS + (s <= SESSION_TIMES % SESSIONS)):
                case_id = RECIPIENTS + 1 + (s * 7 + j) % short_term
                oid += 1
                orows.append(
                    {
                        **order,
                        "id": oid,
                        "case_id": case_id,
                        "quantity": 1,
                        "unit_price_fen": 0,
                        "amount_fen": 0,
                        "item_code": "zhuti_huodong",
                        "session_id": s,
                    }
                )
                drows.append(
                    {
                        "order_id": oid,
                        "checkin_at": at,
                        "checkout_at": at,
                        "minutes": 120,
                        "steps_done": [],
                        "signer": "签到",
                    }
                )
                attend.append(
                    {
                        "session_id": s,
                        "case_id": case_id,
                        "order_id": oid,
                        "checked_in_at": at,
                        "checked_in_by": "t",
                    }
                )
        conn.execute(orders.insert(), orows)
        conn.execute(deliveries.insert(), drows)
        conn.execute(session_attendees.insert(), attend)
        rollups.backfill(conn, [region])  # a bulk load past the services rebuilds the stats
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.begin() as conn:
            for t in (
                "providers",
                "households",
                "persons",
                "cases",
                "orders",
                "deliveries",
                "ledger",
                "group_sessions",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                        f"(SELECT MAX(id) FROM {t}))"
                    )
                )


def test_the_seeds_totals_through_the_statistics(svc: Services, regions: Regions) -> None:
    region = regions.get("qiaojia")
    _bulk(svc.engine, region)
    officer = actor_for(regions, "qiaojia")
    by_item = {r.key: r for r in statistics(svc, officer, "item").rows}
    care = by_item["shenghuo_zhaohu"]
    assert (care.households, care.persons, care.person_times) == (
        HOUSEHOLDS,
        RECIPIENTS,
        PERSON_TIMES,
    )
    assert care.hours == HOURS
    assert care.amount_fen == pytest.approx(SPENT_FEN, rel=0.001)  # ≈ 91.07万元 at 20.11元/h
    sessions = by_item["zhuti_huodong"]
    assert sessions.person_times == SESSION_TIMES and sessions.hours == SESSION_TIMES * 2
