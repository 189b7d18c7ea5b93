"""One rule, two speeds: every region's scenarios, which `jiuzhu regions test` runs through
the rule hooks, give the same answers when replayed through the service loop on the
database — a person registered, a case opened, assessed and granted, orders placed, stage
reviews recorded, the ledger read back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.assessment import Instrument
from jiuzhu.core.base import Refused
from jiuzhu.core.domain import NewPerson, Order
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import Region
from jiuzhu.core.scenarios import Scenario, ScenarioFile, scenario_files
from jiuzhu.core.services import Services
from jiuzhu.core.services.cases import (
    entitlement_view,
    grant_entitlement,
    open_case,
    record_assessment,
    record_visit,
)
from jiuzhu.core.services.orders import NewOrder, place_order
from jiuzhu.core.services.people import create_person
from jiuzhu.core.storage.tables import ledger
from jiuzhu.core.strict_toml import decode_file

from ..conftest import Clock, actor_for
from .helpers import provider_with_worker, some_area, zero_answers


class _Any:
    def __eq__(self, other: object) -> bool:
        return True


ANY = _Any()


def attend(
    svc: Services, region: Region, code: str, case_id: int, provider: tuple[int, int]
) -> Order:
    """Check the case in to a group session of ``code`` (its order, delivered)."""
    from jiuzhu.core.services.orders import get_order
    from jiuzhu.core.services.sessions import NewSession, check_in, create_session

    actor = actor_for(svc.regions, region.id)
    session = create_session(
        svc,
        actor,
        NewSession(
            item_code=code,
            title="情景活动",
            starts_at=svc.now(),
            minutes=90,
            area_code=region.info.code,
            provider_id=provider[0],
        ),
    )
    return get_order(svc, actor, check_in(svc, actor, session.id, case_id).order_id)


def all_scenarios(regions: Regions) -> list[tuple[str, int, Scenario]]:
    out = []
    for region_id in sorted(regions.by_id):
        for path in scenario_files(regions, region_id):
            for i, sc in enumerate(decode_file(path, ScenarioFile).scenarios):
                out.append((region_id, i, sc))
    return out


def scenario_ids(regions_ids: list[tuple[str, int, Scenario]]) -> list[str]:
    return [f"{r}:{sc.name}" for r, _, sc in regions_ids]


def _load() -> list[tuple[str, int, Scenario]]:
    from jiuzhu.core.plugins import load_regions, make_plugin_manager
    from jiuzhu.core.testing import all_builtin_plugins

    return all_scenarios(
        load_regions(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))
    )


SCENARIOS = _load()
_serial = iter(range(500, 999))


def answers_at(instrument: Instrument, level: str) -> dict[str, int]:
    """Answers whose scored total is the lowest total of ``level`` (any instrument): every
    scored indicator starts at its lowest score and is raised until the total is reached."""
    target = next(lv.min_total for lv in instrument.levels if lv.name == level)
    out: dict[str, int] = {}
    total = 0
    for domain in instrument.domains:
        for ind in domain.indicators:
            order = sorted(range(len(ind.options)), key=lambda o: ind.options[o].score)
            out[ind.code] = order[0]
            if domain.scored:
                total += ind.options[order[0]].score
    for domain in instrument.domains:
        if not domain.scored:
            continue
        for ind in domain.indicators:
            for o in sorted(range(len(ind.options)), key=lambda o: ind.options[o].score):
                step = ind.options[o].score - ind.options[out[ind.code]].score
                if total + step <= target and step > 0:
                    total += step
                    out[ind.code] = o
    assert total == target, (level, total, target)
    return out


def register(svc: Services, region: Region, sc: Scenario) -> int:
    actor = actor_for(svc.regions, region.id)
    facts = sc.person
    born = date(sc.on.year - facts.age, 1, 1)  # so that the age on `on` is facts.age
    person = create_person(
        svc,
        actor,
        NewPerson(
            region_id=region.id,
            id_number=idcard.make(region.info.code, born, next(_serial)),
            name="情景对象",
            area_code=facts.area_code or some_area(region),
            hukou_area_code=facts.hukou_area_code,
            disability_type=facts.disability_type,
            groups=sorted(facts.groups),
            disability_grade=facts.disability_grade,
            major_illness=facts.major_illness,
            chronic_illness=facts.chronic_illness,
            covered_by=sorted(facts.covered_by),
            student=facts.student,
            living_alone=facts.living_alone,
            household_size=facts.household_size,
            income_per_capita_fen=facts.income_per_capita_fen,
        ),
    )
    return person.id


@pytest.mark.parametrize(("region_id", "index", "sc"), SCENARIOS, ids=scenario_ids(SCENARIOS))
def test_scenario_holds_in_the_service_loop(
    svc: Services, clock: Clock, regions: Regions, region_id: str, index: int, sc: Scenario
) -> None:
    region = regions.get(region_id)
    actor = actor_for(regions, region_id)
    clock.now = datetime(sc.on.year, sc.on.month, sc.on.day, 2, 0, tzinfo=UTC)  # 10:00 local
    case = open_case(svc, actor, register(svc, region, sc))
    answers = answers_at(region.instrument, sc.level) if sc.level else zero_answers(region)
    assert record_assessment(svc, actor, case.id, answers).level == (sc.level or ANY), sc.level
    provider: tuple[int, int] | None = None
    try:
        grant_entitlement(svc, actor, case.id)
        eligible = True
    except Refused as exc:
        assert exc.rule == "eligibility"
        eligible = False
    if sc.expect.eligible is not None:
        assert eligible == sc.expect.eligible
    for i, step in enumerate(sc.steps):
        where = f"steps[{i}]"
        if step.on is not None:
            clock.now = datetime(step.on.year, step.on.month, step.on.day, 2, 0, tzinfo=UTC)
        if step.review:
            record_visit(svc, actor, case.id, "review", satisfied=True)
        else:
            assert step.buy is not None
            expect = step.expect
            try:
                if region.catalogue.item(step.buy).mode == "group":  # attended, not ordered
                    provider = provider or provider_with_worker(svc, actor, region)
                    order = attend(svc, region, step.buy, case.id, provider)
                else:
                    order = place_order(
                        svc,
                        actor,
                        NewOrder(case_id=case.id, item_code=step.buy, quantity=step.quantity),
                    )
            except Refused as exc:
                assert expect.refused == exc.rule, (where, exc)
                assert all(words in exc.detail for words in expect.says), (where, exc.detail)
            else:
                assert expect.refused is None, (where, "placed, but the scenario expects a refusal")
                if expect.stage is not None:
                    tiers = entitlement_view(svc, actor, case.id).buckets
                    assert order.bucket_idx is not None, where
                    assert tiers[order.bucket_idx].name == expect.stage, where
                if expect.amount_fen is not None:
                    assert order.amount_fen == expect.amount_fen, where
                if expect.split is not None:
                    with svc.engine.connect() as conn:
                        booked = dict(
                            conn.execute(
                                select(ledger.c.source_code, func.sum(ledger.c.amount_fen))
                                .where(ledger.c.order_id == order.id)
                                .group_by(ledger.c.source_code)
                            ).all()
                        )
                    assert booked == {s: f for s, f in expect.split.items() if f}, where
        if step.expect.available is not None:
            left = {t.name: t.available for t in entitlement_view(svc, actor, case.id).buckets}
            for stage, fen in step.expect.available.items():
                assert left[stage] == fen, (where, stage)
        clock.advance(minutes=5)
