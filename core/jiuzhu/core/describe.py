"""Readable and JSON descriptions of a region, for `jiuzhu regions show` and the web viewer."""

from __future__ import annotations

from typing import Any

import msgspec

from .catalogue import UNIT_NAMES
from .money import yuan
from .regions import Region


def region_data(region: Region) -> dict[str, Any]:
    """Everything a region declares, as plain data."""
    out: dict[str, Any] = {
        "id": region.id,
        "plugin_version": region.plugin_version,
        "region": msgspec.to_builtins(region.info),
        "catalogue": msgspec.to_builtins(region.catalogue),
        "assessment": msgspec.to_builtins(region.instrument),
    }
    for name, value in sorted(region.sections.items()):
        out[name] = msgspec.to_builtins(value)
    return out


def mark(obj: Any) -> str:
    if getattr(obj, "illustrative", False):
        return " [示例]"
    return ""


def region_text(region: Region) -> str:
    info = region.info
    lines = [
        f"{info.name} ({info.name_en}) — id {info.id}, code {info.code}, data {info.version}",
        f"levels: {' > '.join(info.levels)}; areas: {len(info.areas)}",
        f"urgent response: {info.service.urgent_response_hours} h",
        "",
        f"Catalogue: {region.catalogue.name} — {len(region.catalogue.items)} items",
    ]
    for cat in region.catalogue.categories:
        items = [i for i in region.catalogue.items if i.category == cat.code]
        lines.append(f"  {cat.code} {cat.name} ({len(items)}){mark(cat)}")
        for item in items:
            limits = []
            if item.max_per_month:
                limits.append(f"≤{item.max_per_month}/月")
            if item.max_per_year:
                limits.append(f"≤{item.max_per_year}/年")
            if item.max_fen_per_year:
                limits.append(f"≤{yuan(item.max_fen_per_year)}/年")
            if item.mode == "group":
                limits.append("小组/主题活动")
            if not item.spends_entitlement:
                limits.append("不占个人额度")
            lim = f" [{', '.join(limits)}]" if limits else ""
            price_mark = " [示例价]" if item.price_illustrative and not item.illustrative else ""
            lines.append(
                f"    {item.code:<10} {item.name} — {yuan(item.unit_price_fen)}/"
                f"{UNIT_NAMES[item.unit]}{lim}{mark(item)}{price_mark}"
            )
    for dim in region.catalogue.dimensions:
        lines.append(f"  dimension {dim.code} {dim.name}: {'、'.join(dim.values)}{mark(dim)}")
    ins = region.instrument
    lines += [
        "",
        f"Assessment: {ins.name} — {len(ins.domains)} domains, {ins.indicator_count} indicators",
        "  " + ", ".join(f"{d.name}({len(d.indicators)})" for d in ins.domains),
    ]
    for name, value in sorted(region.sections.items()):
        summary = getattr(value, "summary_text", None)
        lines += ["", f"{name}: " + (summary() if callable(summary) else type(value).__name__)]
    return "\n".join(lines)
