"""Region sources, the loaded Region, and strict decoding of a region's TOML files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import strict_toml
from .assessment import Instrument
from .base import ConfigError
from .catalogue import Catalogue
from .entitlement import BudgetScheme
from .funding import FundingScheme
from .region import RegionInfo

S = TypeVar("S")


@dataclass(frozen=True)
class RegionSource:
    """What a region plugin registers: its id and the folder holding its TOML files."""

    id: str
    data_dir: Path
    plugin: str = ""
    version: str = ""


@dataclass(frozen=True)
class Section:
    name: str
    type: type[Any]
    required: bool = False
    plugin: str = ""


# The core's own files; plugins add more through jiuzhu_region_sections.
CORE_SECTIONS: tuple[Section, ...] = (
    Section("region", RegionInfo, True, "core"),
    Section("catalogue", Catalogue, True, "core"),
    Section("assessment", Instrument, True, "core"),
    Section("budget", BudgetScheme, True, "core"),
    Section("funding", FundingScheme, True, "core"),
)


@dataclass(frozen=True)
class Region:
    info: RegionInfo
    catalogue: Catalogue
    instrument: Instrument
    budget: BudgetScheme
    funding: FundingScheme
    sections: Mapping[str, Any] = field(default_factory=dict)
    data_dir: Path = Path()
    plugin_version: str = ""

    @property
    def id(self) -> str:
        return self.info.id

    def section(self, name: str, kind: type[S]) -> S | None:
        value = self.sections.get(name)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"section {name} is {type(value).__name__}, not {kind.__name__}")
        return value


def decode_file(path: Path, kind: type[S]) -> S:
    """Decode one TOML file strictly; ConfigError lists every problem, each naming the
    file, the key path (list elements by their code) and what was expected."""
    return strict_toml.decode_file(path, kind)


def load_region(
    data_dir: Path,
    sections: Iterable[Section] = (),
    plugin_version: str = "",
) -> tuple[Region, list[str]]:
    """Decode every file of a region. Returns the region and nothing, or raises ConfigError
    listing every file's problem (all files are read, so one run reports them all)."""
    problems: list[str] = []
    decoded: dict[str, Any] = {}
    all_sections = [*CORE_SECTIONS, *sections]
    known = {s.name for s in all_sections}
    if not data_dir.is_dir():
        raise ConfigError([f"{data_dir}: not a folder of region files"])
    for extra in sorted(data_dir.glob("*.toml")):
        if extra.stem not in known:
            problems.append(
                f"{extra}: (file): no plugin reads '{extra.name}'; known files: "
                + ", ".join(sorted(f"{n}.toml" for n in known))
            )
    for section in all_sections:
        path = data_dir / f"{section.name}.toml"
        if not path.exists():
            if section.required:
                problems.append(f"{path}: (file): missing; every region needs it")
            continue
        try:
            decoded[section.name] = decode_file(path, section.type)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    region = Region(
        info=decoded["region"],
        catalogue=decoded["catalogue"],
        instrument=decoded["assessment"],
        budget=decoded["budget"],
        funding=decoded["funding"],
        sections={k: v for k, v in decoded.items() if k not in {s.name for s in CORE_SECTIONS}},
        data_dir=data_dir,
        plugin_version=plugin_version,
    )
    return region, core_checks(region)


def core_checks(region: Region) -> list[str]:
    """Checks across the core files: every reference resolves."""
    d = region.data_dir
    cats = {c.code for c in region.catalogue.categories}
    items = {i.code for i in region.catalogue.items}
    out: list[str] = []
    for vi, version in enumerate(region.budget.versions):
        for ti, tier in enumerate(version.tiers):
            for c in tier.categories:
                if c not in cats:
                    out.append(
                        f"{d / 'budget.toml'}: versions[{vi}].tiers[{ti}].categories: "
                        f"{c!r} is not a catalogue category ({', '.join(sorted(cats))})"
                    )
    for vi, fversion in enumerate(region.funding.versions):
        for oi, override in enumerate(fversion.overrides):
            for c in override.categories:
                if c not in cats:
                    out.append(
                        f"{d / 'funding.toml'}: versions[{vi}].overrides[{oi}].categories: "
                        f"{c!r} is not a catalogue category"
                    )
    for ni, need in enumerate(region.instrument.needs):
        for code in need.items:
            if code not in items:
                out.append(
                    f"{d / 'assessment.toml'}: needs[{ni}].items: {code!r} is not a catalogue item"
                )
    for ai, area in enumerate(region.info.areas):
        if not area.code.startswith(region.info.code[:2]):
            out.append(
                f"{d / 'region.toml'}: areas[{ai}].code: {area.code!r} is outside the "
                f"province of {region.info.code}"
            )
    return out
