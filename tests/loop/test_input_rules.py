"""Input rules: years without rules, impossible people, and stages that cannot be skipped."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.domain import NewPerson
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import (
    case_file,
    entitlement_view,
    grant_entitlement,
    open_case,
    record_assessment,
    record_visit,
)
from jiuzhu.core.services.people import create_person
from jiuzhu.core.storage.tables import entitlements, persons
from jiuzhu.plugins.tiered_budget.scheme import BudgetScheme, SchemeVersion, StageReview, Tier

from ..conftest import Clock, actor_for
from .helpers import ELIGIBLE, eligible_case, new_person, some_area, zero_answers


def assessed_case(svc: Services, region_id: str, born: date = date(1980, 5, 1)) -> int:
    region = svc.region(region_id)
    actor = actor_for(svc.regions, region_id)
    pid = new_person(svc, actor, region, born=born, **ELIGIBLE[region_id])  # type: ignore[arg-type]
    case = open_case(svc, actor, pid)
    record_assessment(svc, actor, case.id, zero_answers(region))
    return case.id


def count(svc: Services, table: object) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


# --- item 3: years -----------------------------------------------------------------------
@pytest.mark.parametrize("year", [1990, 2023])
def test_a_year_without_rules_is_refused_naming_the_years_that_have_them(
    svc: Services, year: int
) -> None:
    """Ordos's scheme applies from 2024; the clock is in 2025: 2024–2026 can be granted."""
    case_id = assessed_case(svc, "ordos")
    with pytest.raises(Invalid) as refused:
        grant_entitlement(svc, actor_for(svc.regions, "ordos"), case_id, year)
    assert refused.value.field == "year"
    assert f"{year}年度没有生效的额度规则" in refused.value.detail
    assert "可授予的年度：2024、2025、2026" in refused.value.detail
    assert count(svc, entitlements) == 0


@pytest.mark.parametrize("year", [0, -5, 2027, 99999, 2**40])
def test_an_out_of_range_year_is_refused(svc: Services, year: int) -> None:
    case_id = assessed_case(svc, "ordos")
    with pytest.raises(Invalid) as refused:
        grant_entitlement(svc, actor_for(svc.regions, "ordos"), case_id, year)
    assert refused.value.field == "year" and "1900至2026" in refused.value.detail


def test_past_and_next_years_with_rules_are_granted(svc: Services) -> None:
    actor = actor_for(svc.regions, "ordos")
    case_id = assessed_case(svc, "ordos")
    granted = [grant_entitlement(svc, actor, case_id, y) for y in (2024, 2026, None)]
    assert [g.year if g is not None else None for g in granted] == [2024, 2026, 2025]


# --- item 4: impossible people -----------------------------------------------------------
@pytest.mark.parametrize("born", [date(2030, 1, 1), date(2025, 3, 4), date(1850, 6, 1)])
def test_impossible_birth_dates_are_refused(svc: Services, born: date) -> None:
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    number = idcard.make(region.info.code, born, 7)
    data = NewPerson(
        region_id="changji", id_number=number, name="不可能", area_code=some_area(region)
    )
    with pytest.raises(Invalid) as refused:
        create_person(svc, actor, data)
    assert refused.value.field == "id_number" and "出生日期" in refused.value.detail
    assert count(svc, persons) == 0


def test_plausible_birth_dates_are_accepted(svc: Services) -> None:
    """Born today, and 130 years ago (the oldest plausible), are people."""
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    for born in (date(2025, 3, 3), date(1895, 1, 1)):
        new_person(svc, actor, region, born=born)
    assert count(svc, persons) == 2


def test_no_entitlement_for_a_year_before_the_person_was_born(svc: Services) -> None:
    """Born in 2025 (a child of a 低保 family in Changji): 2024 is before the person's life."""
    actor = actor_for(svc.regions, "changji")
    case_id = assessed_case(svc, "changji", born=date(2025, 1, 2))
    with pytest.raises(Invalid) as refused:
        grant_entitlement(svc, actor, case_id, 2024)
    assert refused.value.field == "year" and "出生年份" in refused.value.detail


# --- item 5: stage reviews need the region's minimum interval ----------------------------
def test_a_minute_cannot_open_all_three_stages(svc: Services, clock: Clock) -> None:
    region = svc.region("ordos")
    actor = actor_for(svc.regions, "ordos")
    case = eligible_case(svc, actor, region)
    scheme = region.section("budget", BudgetScheme)
    assert scheme is not None
    interval = scheme.versions[-1].stage_review
    assert interval is not None and interval.illustrative  # not in the sources
    # one re-assessment and one review visit a minute after the grant: neither counts
    record_assessment(svc, actor, case.id, zero_answers(region), "复评")
    clock.advance(minutes=1)
    with pytest.raises(Refused) as early:
        record_visit(svc, actor, case.id, "review", satisfied=True)
    assert early.value.rule == "stage.interval"
    assert early.value.facts["min_interval_days"] == interval.min_interval_days
    view = entitlement_view(svc, actor, case.id)
    assert view.entitlement.reviews == 0 and [b.live for b in view.buckets] == [True, False, False]
    kinds = [e.kind for e in case_file(svc, actor, case.id).events]
    assert "stage.review_not_counted" in kinds and "stage.review" not in kinds
    # a quarter later one review counts, and the next one must wait another quarter
    clock.advance(days=90)
    record_visit(svc, actor, case.id, "review", satisfied=True)
    record_assessment(svc, actor, case.id, zero_answers(region), "复评")  # same day: not counted
    view = entitlement_view(svc, actor, case.id)
    assert view.entitlement.reviews == 1 and [b.live for b in view.buckets] == [False, True, False]
    clock.advance(days=90)
    record_assessment(svc, actor, case.id, zero_answers(region), "复评")
    assert entitlement_view(svc, actor, case.id).entitlement.reviews == 2


def test_regions_without_review_stages_count_reviews_as_before(svc: Services) -> None:
    region = svc.region("changji")
    actor = actor_for(svc.regions, "changji")
    case = eligible_case(svc, actor, region)
    record_visit(svc, actor, case.id, "review", satisfied=True)
    record_visit(svc, actor, case.id, "review", satisfied=True)
    assert entitlement_view(svc, actor, case.id).entitlement.reviews == 2


def test_a_scheme_with_review_stages_must_name_its_interval() -> None:
    tiers = [
        Tier(name="一", share_percent=50, opens="grant"),
        Tier(name="二", share_percent=50, opens="review"),
    ]
    with pytest.raises(ValueError, match="min_interval_days"):
        SchemeVersion(valid_from=date(2025, 1, 1), annual_fen=100, tiers=tiers)
    with pytest.raises(ValueError, match="source or mark it illustrative"):
        StageReview(min_interval_days=30)
    ok = SchemeVersion(
        valid_from=date(2025, 1, 1),
        annual_fen=100,
        tiers=tiers,
        stage_review=StageReview(min_interval_days=30, source="某地文件"),
    )
    assert ok.stage_review is not None
