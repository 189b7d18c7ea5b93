"""Cross-file checks of a region's resources.toml (``jiuzhu regions check``)."""

from __future__ import annotations

from jiuzhu.core.regions import Region

from .config import ResourceConfig


def check(region: Region, cfg: ResourceConfig) -> list[str]:
    path = region.data_dir / "resources.toml"
    areas = {region.info.code, *(a.code for a in region.info.areas)}
    out: list[str] = []
    for i, r in enumerate(cfg.library):
        if r.area_code not in areas:
            out.append(
                f"{path}: library[{i}].area_code: {r.area_code!r} is not an area of the region"
            )
        if r.kind == "sentinel" and not r.location:
            out.append(f"{path}: library[{i}].location: a 需求哨点 names its place")
        for j, o in enumerate(r.offers):
            if o.area_code and o.area_code not in areas:
                out.append(
                    f"{path}: library[{i}].offers[{j}].area_code: {o.area_code!r} is not an area"
                )
    funding = region.sections.get("funding")
    codes = {s.code for s in getattr(funding, "sources", [])}
    for i, f in enumerate(cfg.funds):
        if f.source_code not in codes:
            out.append(
                f"{path}: funds[{i}].source_code: {f.source_code!r} is not a funding source "
                f"(funding.toml: {sorted(codes)})"
            )
    if cfg.wishes.street_level not in region.info.levels:
        out.append(
            f"{path}: wishes.street_level: {cfg.wishes.street_level!r} is not one of the "
            f"region's levels {region.info.levels}"
        )
    return out
