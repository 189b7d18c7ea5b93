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

from .results import CalibrationResult, CalibrationRow, RegionResult


class PublishedItem(Base, frozen=True, kw_only=True):
    item: str  # catalogue item code
    persons: int
    times: int  # person-times (人次)


class Target(Base, frozen=True, kw_only=True):
    name: str  # who delivered, e.g. 昌吉市汇同社会工作服务中心
    source: str
    items: list[PublishedItem]

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError(f"target {self.name}: published figures name their source")
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
        out.append(
            CalibrationResult(
                region=region.id, target=target.name, source=target.source, rows=rows, notes=notes
            )
        )
    return out
