"""Readable and JSON descriptions of a region, for `jiuzhu regions show` and the web viewer."""

from __future__ import annotations

from typing import Any

import msgspec

from .catalogue import UNIT_NAMES
from .conditions import Condition, Criteria
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
        heading = f"{name}.toml" + (f": {summary()}" if callable(summary) else "")
        lines += ["", heading, *struct_lines(value, 1)]
    return "\n".join(lines)


# -- any section a plugin registers, shown from its Struct --------------------------------

OPS = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "one_of": "in",
    "has": "has",
    "has_any": "has any of",
    "has_none": "has none of",
    "prefix": "starts with",
}
LABELS = ("code", "id", "name", "label")  # what names an element of a list
HIDDEN = {"source", "illustrative"}  # shown as the [示例] mark instead


def condition_text(c: Condition) -> str:
    value = getattr(c, c.op)
    if isinstance(value, bool):
        shown = "true" if value else "false"
    else:
        shown = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"{c.fact} {OPS[c.op]} {shown}"


def criteria_text(criteria: Criteria) -> str:
    parts = [condition_text(c) for c in criteria.all]
    if criteria.any:
        parts.append("(" + " or ".join(condition_text(c) for c in criteria.any) + ")")
    return " and ".join(parts) or "everyone"


def scalar_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and name.endswith("_fen"):
        return yuan(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value).strip().replace("\n", " ")


def struct_lines(value: Any, depth: int) -> list[str]:
    """Every field of a Struct that is not empty (defaults too: they are in force), nested;
    lists of Structs one element a line, named by their code/id/name; conditions in words."""
    pad = "  " * depth
    out: list[str] = []
    for info in msgspec.structs.fields(type(value)):
        if info.name in HIDDEN:
            continue
        field_value = getattr(value, info.name)
        if field_value is None or (isinstance(field_value, (str, list, dict)) and not field_value):
            continue
        if isinstance(field_value, Criteria):
            out.append(f"{pad}{info.name}: {criteria_text(field_value)}")
        elif isinstance(field_value, msgspec.Struct):
            out += [f"{pad}{info.name}:{mark(field_value)}", *struct_lines(field_value, depth + 1)]
        elif (
            isinstance(field_value, list)
            and field_value
            and all(isinstance(v, msgspec.Struct) for v in field_value)
        ):
            out.append(f"{pad}{info.name} ({len(field_value)}):")
            for element in field_value:
                out += element_lines(element, depth + 1)
        else:
            out.append(f"{pad}{info.name}: {scalar_text(info.name, field_value)}")
    return out


def element_lines(element: Any, depth: int) -> list[str]:
    pad = "  " * depth
    if isinstance(element, Condition):
        return [f"{pad}- {condition_text(element)}"]
    names = [str(getattr(element, k)) for k in LABELS if getattr(element, k, "")]
    head = " ".join(dict.fromkeys(names)) or type(element).__name__
    rest = [
        line
        for line in struct_lines(element, depth + 1)
        if not any(line.strip() == f"{k}: {getattr(element, k, '')}" for k in LABELS)
    ]
    return [f"{pad}- {head}{mark(element)}", *rest]
