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


# The core's own files; plugins add more through jiuzhu_region_sections (the entitlement
# scheme — budget.toml, time_floor.toml — and funding.toml are plugins' files).
CORE_SECTIONS: tuple[Section, ...] = (
    Section("region", RegionInfo, True, "core"),
    Section("catalogue", Catalogue, True, "core"),
    Section("assessment", Instrument, True, "core"),
)


@dataclass(frozen=True)
class Region:
    info: RegionInfo
    catalogue: Catalogue
    instrument: Instrument
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
    instruments: Mapping[str, Instrument] | None = None,
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
                who = (
                    "every region needs it"
                    if section.plugin in ("", "core")
                    else f"required by plugin '{section.plugin}'"
                )
                problems.append(f"{path}: (file): missing; {who}")
            continue
        try:
            decoded[section.name] = decode_file(path, section.type)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    instrument = resolve_instrument(
        data_dir / "assessment.toml", decoded["assessment"], instruments or {}
    )
    region = Region(
        info=decoded["region"],
        catalogue=decoded["catalogue"],
        instrument=instrument,
        sections={k: v for k, v in decoded.items() if k not in {s.name for s in CORE_SECTIONS}},
        data_dir=data_dir,
        plugin_version=plugin_version,
    )
    return region, core_checks(region)


def resolve_instrument(
    path: Path, declared: Instrument, provided: Mapping[str, Instrument]
) -> Instrument:
    """A region's own instrument, or the provided one it `uses` with the region's needs."""
    if not declared.uses:
        return declared
    base = provided.get(declared.uses)
    if base is None:
        known = ", ".join(sorted(provided)) or "none"
        raise ConfigError(
            [f"{path}: uses: no plugin provides an instrument {declared.uses!r}; known: {known}"]
        )
    try:
        return base.with_region_needs(declared)
    except ValueError as exc:
        raise ConfigError([f"{path}: needs: {exc}"]) from None


def core_checks(region: Region) -> list[str]:
    """Checks across the core files: every reference resolves."""
    d = region.data_dir
    items = {i.code for i in region.catalogue.items}
    out: list[str] = []
    for ni, need in enumerate(region.instrument.needs):
        for code in need.items:
            if code not in items:
                out.append(
                    f"{d / 'assessment.toml'}: needs[{ni}].items: {code!r} is not a catalogue item"
                )
    known = {region.info.code, *(a.code for a in region.info.areas)}
    for pi, provider in enumerate(region.info.providers):
        if provider.area and provider.area not in known:
            out.append(
                f"{d / 'region.toml'}: providers[{pi}].area: {provider.area!r} is not the "
                "region or one of its areas"
            )
    for ai, area in enumerate(region.info.areas):
        if not area.code.startswith(region.info.code[:2]):
            out.append(
                f"{d / 'region.toml'}: areas[{ai}].code: {area.code!r} is outside the "
                f"province of {region.info.code}"
            )
    return out
