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
        "budget": msgspec.to_builtins(region.budget),
        "funding": msgspec.to_builtins(region.funding),
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
            lim = f" [{', '.join(limits)}]" if limits else ""
            price_mark = " [示例价]" if item.price_illustrative and not item.illustrative else ""
            lines.append(
                f"    {item.code:<10} {item.name} — {yuan(item.unit_price_fen)}/"
                f"{UNIT_NAMES[item.unit]}{lim}{mark(item)}{price_mark}"
            )
    lines += ["", f"Budget: {region.budget.name}"]
    for v in region.budget.versions:
        lines.append(f"  from {v.valid_from}: {yuan(v.annual_fen)} a year{mark(v)}")
        for tier, cap in zip(v.tiers, v.tier_caps(), strict=True):
            cats = "、".join(tier.categories) or "all categories"
            lines.append(
                f"    {tier.name} {tier.share_percent}% = {yuan(cap)}; opens: {tier.opens}; "
                f"{cats}; leftover: {tier.leftover}"
            )
    lines += ["", f"Funding: {region.funding.name}"]
    names = {s.code: s.name for s in region.funding.sources}
    for fv in region.funding.versions:
        shares = ", ".join(f"{names[k]} {p}%" for k, p in fv.shares.items())
        lines.append(f"  from {fv.valid_from}: {shares}{mark(fv)}")
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
