"""A region's identity and area hierarchy (region.toml)."""

from __future__ import annotations

from typing import Literal

from .base import Base


class Sourced(Base, frozen=True, kw_only=True):
    """Every fact names its source, or says it was filled in (`illustrative`)."""

    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError("name a source, or mark the entry illustrative = true")


class Area(Base, frozen=True, kw_only=True):
    """A division inside the region (county, township, community …)."""

    code: str  # its GB/T 2260 (or township/village) code; unique
    name: str
    parent: str  # the region's code, or the code of an area listed before this one
    source: str = ""
    illustrative: bool = False


class ServiceSettings(Base, frozen=True, kw_only=True):
    """How the region runs its loop."""

    urgent_response_hours: int = 24  # an urgent order is due this many hours after it is placed
    normal_response_hours: int = 72  # any other order is due after this many hours
    return_visit_days: int = 7  # a return visit (回访) is due this many days after delivery
    # a satisfaction survey (visit kind "survey") of every active case this often; 0: none
    satisfaction_survey_months: int = 0
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.satisfaction_survey_months <= 12:
            raise ValueError("satisfaction_survey_months must be 0 (none) to 12")


class KnownProvider(Base, frozen=True, kw_only=True):
    """A provider the sources name (the demo data creates it)."""

    name: str
    area: str = ""  # area code; "" : the region
    source: str = ""
    illustrative: bool = False


class RegionInfo(Base, frozen=True, kw_only=True):
    """region.toml: who the region is and its hierarchy of areas."""

    id: str  # lower-case identifier; the id its plugin registers
    name: str  # the Chinese name (鄂尔多斯市)
    name_en: str
    code: str  # the region's 6-digit GB/T 2260 division code
    version: str  # the version of this data (e.g. 2024.1), recorded with results
    levels: list[str]  # names of the levels from the region down (市, 区, 街道, 社区)
    summary: str = ""  # the pilot in a paragraph, with its sources
    sources: list[str] = []  # the documents the data comes from
    areas: list[Area] = []  # every area below the region, parents before children
    providers: list[KnownProvider] = []  # providers the sources name
    service: ServiceSettings = ServiceSettings(illustrative=True)  # deadlines of the loop
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if not self.id.isidentifier() or not self.id.islower():
            raise ValueError(f"id must be a lower-case identifier, got {self.id!r}")
        if not (self.code.isdigit() and len(self.code) == 6):
            raise ValueError(f"code must be a 6-digit GB/T 2260 division code, got {self.code!r}")
        if len(self.levels) < 2:
            raise ValueError("levels must name at least the region and one level below it")
        known = {self.code}
        for i, area in enumerate(self.areas):
            if area.code in known:
                raise ValueError(f"areas[{i}]: duplicate area code {area.code!r}")
            if area.parent not in known:
                raise ValueError(
                    f"areas[{i}] ({area.name}): parent {area.parent!r} is not the region "
                    "or an area listed before it"
                )
            known.add(area.code)
        depth = {self.code: 0}
        for i, area in enumerate(self.areas):
            depth[area.code] = depth[area.parent] + 1
            if depth[area.code] >= len(self.levels):
                raise ValueError(
                    f"areas[{i}] ({area.name}) is deeper than the {len(self.levels)} levels"
                )

    def area(self, code: str) -> Area | None:
        return next((a for a in self.areas if a.code == code), None)

    def level_of(self, code: str) -> int:
        depth = 0
        while code != self.code:
            area = self.area(code)
            if area is None:
                raise KeyError(code)
            code = area.parent
            depth += 1
        return depth

    def ancestors(self, code: str) -> list[str]:
        """Codes from `code` up to the region, inclusive."""
        chain = [code]
        while code != self.code:
            area = self.area(code)
            if area is None:
                raise KeyError(code)
            code = area.parent
            chain.append(code)
        return chain

    def area_name(self, code: str) -> str:
        if code == self.code:
            return self.name
        area = self.area(code)
        return area.name if area else code
