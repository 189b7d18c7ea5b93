"""Calibration: the model beside the delivery figures a source publishes.

A region may list published figures in ``calibration.toml`` (persons and person-times of
named items, with the source sentence). The comparison sets its own figures for the same
items beside them. A synthetic population is not the provider's caseload, so absolute
numbers are not comparable; what is comparable is the *intensity* (times per person) and
the *mix* (each item's share of the listed persons and person-times).
"""

from __future__ import annotations

from jiuzhu.core.base import Base
from jiuzhu.core.catalogue import UNIT_NAMES
from jiuzhu.core.regions import Region

from .results import CalibrationMeasure, CalibrationResult, CalibrationRow, RegionResult


class PublishedItem(Base, frozen=True, kw_only=True):
    item: str  # catalogue item code
    persons: int
    times: int  # person-times (人次)


class PublishedTotals(Base, frozen=True, kw_only=True):
    """Totals a source publishes for a programme as a whole (Qiaojia: 236 persons in 198
    households, 16,210 person-times, 45,275.75 hours, 910,700 yuan)."""

    items: list[str]  # the catalogue items the totals cover
    persons: int
    households: int = 0
    times: int = 0  # person-times
    hours: float = 0.0
    spent_fen: int = 0

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("totals.items: name the catalogue items the totals cover")
        if self.persons <= 0 or self.households < 0 or self.times < 0 or self.hours < 0:
            raise ValueError("totals: persons must be positive, the others not negative")
        if self.households > self.persons:
            raise ValueError("totals: more households than persons")


class Target(Base, frozen=True, kw_only=True):
    name: str  # who delivered, e.g. 昌吉市汇同社会工作服务中心
    source: str
    items: list[PublishedItem] = []
    totals: PublishedTotals | None = None

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError(f"target {self.name}: published figures name their source")
        if not self.items and self.totals is None:
            raise ValueError(f"target {self.name}: give items or totals")
        for p in self.items:
            if p.persons <= 0 or p.times < p.persons:
                raise ValueError(f"target {self.name}: {p.item}: need 0 < persons <= times")


class Calibration(Base, frozen=True, kw_only=True):
    """calibration.toml: published delivery figures to set the model beside."""

    targets: list[Target]


def check_calibration(region: Region) -> list[str]:
    cal = region.section("calibration", Calibration)
    if cal is None:
        return []
    codes = {i.code for i in region.catalogue.items}
    where = region.data_dir / "calibration.toml"
    return [
        f"{where}: targets[{t}].items[{i}].item: {p.item!r} is not a catalogue item"
        for t, target in enumerate(cal.targets)
        for i, p in enumerate(target.items)
        if p.item not in codes
    ] + [
        f"{where}: targets[{t}].totals.items[{i}]: {code!r} is not a catalogue item"
        for t, target in enumerate(cal.targets)
        if target.totals is not None
        for i, code in enumerate(target.totals.items)
        if code not in codes
    ]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def calibrate(region: Region, result: RegionResult) -> list[CalibrationResult]:
    """Each published target of ``region`` beside the model's figures in ``result``."""
    cal = region.section("calibration", Calibration)
    if cal is None:
        return []
    items = {i.code: i for i in result.items}
    out = []
    for target in cal.targets:
        pub_p = sum(p.persons for p in target.items)
        pub_t = sum(p.times for p in target.items)
        mod_p = sum(items[p.item].persons for p in target.items if p.item in items)
        mod_t = sum(items[p.item].units for p in target.items if p.item in items)
        rows, notes = [], []
        for p in target.items:
            got = items.get(p.item)
            item = region.catalogue.item(p.item)
            persons, times = (got.persons, got.units) if got else (0, 0)
            if item.unit not in ("visit", "session", "trip"):
                notes.append(
                    f"{item.name}：模型按{UNIT_NAMES[item.unit]}计，来源按人次计，强度不可直接比较"
                )
            rows.append(
                CalibrationRow(
                    item=p.item,
                    name=item.name,
                    published_persons=p.persons,
                    published_times=p.times,
                    model_persons=persons,
                    model_times=times,
                    published_times_per_person=round(p.times / p.persons, 2),
                    model_times_per_person=round(times / persons, 2) if persons else 0.0,
                    published_person_share=_share(p.persons, pub_p),
                    model_person_share=_share(persons, mod_p),
                    published_mix=_share(p.times, pub_t),
                    model_mix=_share(times, mod_t),
                )
            )
        measures: list[CalibrationMeasure] = []
        if target.totals is not None:
            measures = _totals(region, result, target.totals, notes)
        out.append(
            CalibrationResult(
                region=region.id,
                target=target.name,
                source=target.source,
                rows=rows,
                notes=notes,
                totals=measures,
            )
        )
    return out


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def _totals(
    region: Region, result: RegionResult, pub: PublishedTotals, notes: list[str]
) -> list[CalibrationMeasure]:
    """Published totals beside the model's for the same items: absolute figures (not
    comparable: the population is not the programme's caseload) and the intensities that
    are (times and hours per person, hours per time, yuan per hour, persons per household).
    """
    items = {i.code: i for i in result.items}
    got = [items[c] for c in pub.items if c in items]
    persons = result.persons_served  # anyone served (the covered items are most of them)
    households = result.households_served
    times = sum(region.catalogue.item(i.code).visits(i.units) for i in got)
    hours = sum(i.hours for i in got)
    spent = sum(i.spent_fen for i in got)
    basis = result.provenance.get("hours")
    b = basis.basis if basis is not None else "illustrative"
    if not persons:
        notes.append("模型中无人获得这些服务：人群中是否有人住在该地区的服务范围内（area_code）？")
    if len(got) < len(result.items):
        notes.append("模型人数为获得任何服务的人数（包括公布数字未涵盖的项目）")
    rows = [
        ("服务人数", "persons", pub.persons, persons, False),
        ("服务户数", "households", pub.households, households, False),
        ("服务人次", "times", pub.times, times, False),
        ("服务小时", "hours", pub.hours, hours, False),
        ("支出（元）", "yuan", pub.spent_fen / 100, spent / 100, False),
        ("人均人次", "times/person", _ratio(pub.times, pub.persons), _ratio(times, persons), True),
        ("人均小时", "hours/person", _ratio(pub.hours, pub.persons), _ratio(hours, persons), True),
        ("每人次小时", "hours/time", _ratio(pub.hours, pub.times), _ratio(hours, times), True),
        (
            "每小时支出（元）",
            "yuan/hour",
            _ratio(pub.spent_fen / 100, pub.hours),
            _ratio(spent / 100, hours),
            True,
        ),
        (
            "户均服务人数",
            "persons/household",
            _ratio(pub.persons, pub.households),
            _ratio(persons, households),
            True,
        ),
    ]
    return [
        CalibrationMeasure(
            measure=label,
            key=key,
            published=float(p),
            model=float(m),
            comparable=comparable,
            basis=b,
        )
        for label, key, p, m, comparable in rows
        if p  # what the source publishes
    ]
