"""Scenarios: change the regions' data for one comparison, and say what changed.

``--set REGION.PATH=VALUE`` sets one value of a region's data (``*`` for every compared
region). PATH starts with a data file's name and follows its keys; a list element is chosen
by its ``code``, ``id`` or ``kind`` (or its position); in ``budget`` and ``funding`` the
version in force on the comparison date is meant unless the path names ``versions``:

    ordos.budget.annual_fen=150000
    changji.catalogue.items.zhucan.unit_price_fen=2500
    binzhou.staffing.hours_per_worker_per_year=1800
    *.budget.annual_fen=100000

``--normalise budget`` gives every region the same annual amount: the median of the amounts
that name a source (Ordos's 1,000 yuan), or of all amounts if none does. ``--normalise
prices`` gives every item meeting a kind of need the same unit price in every region: the
median over the compared regions' items of that kind (an item meeting several kinds takes
the price of the first). The values are recorded with the result, and every figure that
used a changed input is marked ``scenario``.

The regions are changed as data and decoded again (so every check of the data still
holds), then run through the same hooks: a scenario never bypasses a region's rules.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from jiuzhu.core.base import Invalid
from jiuzhu.core.dated import in_force
from jiuzhu.core.plugins import Regions
from jiuzhu.core.regions import CORE_SECTIONS, Region

from .entitlement import budget_scheme
from .kinds import KINDS, need_map

CORE = {"region": "info", "catalogue": "catalogue", "assessment": "instrument"}
assert {s.name for s in CORE_SECTIONS} == set(CORE)  # budget, funding: plugins' sections


@dataclass
class Scenario:
    regions: Regions
    changed: dict[str, frozenset[str]]  # region id -> input keys changed
    normalised: dict[str, str]  # what --normalise set, for the record


def apply_scenario(regions: Regions, ids: Sequence[str], settings: Any, on: date) -> Scenario:
    """The regions as ``settings.normalise`` and ``settings.overrides`` change them."""
    by_id = dict(regions.by_id)
    changed: dict[str, set[str]] = {rid: set() for rid in ids}
    normalised: dict[str, str] = {}
    if "budget" in settings.normalise:
        amount = common_budget([by_id[r] for r in ids], on)
        normalised["budget"] = f"{amount} fen"
        for rid in ids:
            if budget_scheme(by_id[rid]) is None:
                continue  # a time floor or no entitlement: no yearly amount to set
            by_id[rid] = set_value(by_id[rid], "budget.annual_fen", amount, on, "--normalise")
            changed[rid].add("budget.annual_fen")
    if "prices" in settings.normalise:
        prices = common_prices([by_id[r] for r in ids], on)
        normalised["prices"] = ", ".join(f"{k} {v} fen" for k, v in prices.items())
        for rid in ids:
            region = by_id[rid]
            for code, kind in first_kinds(region).items():
                if kind in prices:
                    region = set_price(region, code, prices[kind])
                    changed[rid].add(f"price[{code}]")
            by_id[rid] = region
    for spec in settings.overrides:
        target, path, value = parse_set(spec, list(ids))
        for rid in target:
            by_id[rid] = set_value(by_id[rid], path, value, on, f"--set {spec}")
            changed[rid].update(input_keys(by_id[rid], path))
    out = Regions(pm=regions.pm, by_id=by_id, sources=regions.sources)
    return Scenario(out, {k: frozenset(v) for k, v in changed.items()}, normalised)


def parse_set(spec: str, ids: list[str]) -> tuple[list[str], str, Any]:
    """``REGION.PATH=VALUE`` -> (region ids, path, value decoded as a TOML value)."""
    where = f"--set {spec}"
    if "=" not in spec or "." not in spec.split("=", 1)[0]:
        raise Invalid(where, "give REGION.PATH=VALUE, e.g. ordos.budget.annual_fen=150000")
    lhs, raw = spec.split("=", 1)
    rid, path = lhs.strip().split(".", 1)
    if rid != "*" and rid not in ids:
        raise Invalid(where, f"unknown region {rid!r}; compared: {', '.join(ids)} (or *)")
    try:
        value = msgspec.toml.decode(f"v = {raw.strip()}".encode())["v"]
    except msgspec.DecodeError:
        value = raw.strip()  # a bare word is a string
    return (ids if rid == "*" else [rid]), path, value


def _data(region: Region, section: str) -> Any:
    if section in CORE:
        return getattr(region, CORE[section])
    if section in region.sections:
        return region.sections[section]
    known = sorted([*CORE, *region.sections])
    raise KeyError(f"{section!r} is not a data file of {region.id}; known: {', '.join(known)}")


def _with(region: Region, section: str, value: Any) -> Region:
    if section in CORE:
        return dataclasses.replace(region, **{CORE[section]: value})
    return dataclasses.replace(region, sections={**region.sections, section: value})


def set_value(region: Region, path: str, value: Any, on: date, where: str) -> Region:
    """``region`` with the value at ``path`` replaced; Invalid names the path when it does
    not exist or the new data does not decode."""
    section, *keys = path.split(".")
    try:
        current = _data(region, section)
    except KeyError as exc:
        raise Invalid(where, str(exc.args[0])) from None
    data = msgspec.to_builtins(current)
    if section in ("budget", "funding") and keys and keys[0] != "versions":
        version = in_force(current.versions, on)
        keys = ["versions", str(current.versions.index(version)), *keys]
    if not keys:
        raise Invalid(where, f"name a key of {section}.toml")
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            pos = _element(node, key)
            if pos is None:
                raise Invalid(where, f"{'.'.join([section, *keys[: i + 1]])}: no such element")
            if last:
                node[pos] = value
            else:
                node = node[pos]
        elif isinstance(node, dict):
            if key not in node and not last:  # a new last key: the decoder judges it
                raise Invalid(where, f"{'.'.join([section, *keys[: i + 1]])}: no such key")
            if last:
                node[key] = value
            else:
                node = node[key]
        else:
            raise Invalid(where, f"{'.'.join([section, *keys[:i]])} is a value, not a table")
    try:
        new = msgspec.convert(data, type(current))
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise Invalid(where, f"{path}: {exc}") from None
    return _with(region, section, new)


def _element(items: list[Any], key: str) -> int | None:
    for pos, el in enumerate(items):
        if isinstance(el, dict) and key in (el.get("code"), el.get("id"), el.get("kind")):
            return pos
    if key.isdigit() and int(key) < len(items):
        return int(key)
    return None


def input_keys(region: Region, path: str) -> set[str]:
    """The provenance inputs (engine._inputs) a change at ``path`` touches."""
    parts = path.split(".")
    section = parts[0]
    if section == "budget":
        if "tiers" in parts:  # a tier's share moves every cap; its trigger, the tier
            scheme = budget_scheme(region)
            tiers = len(in_force(scheme.versions, date.max).tiers) if scheme else 0
            return {f"budget.tiers[{t}]" for t in range(tiers)} | {"budget.annual_fen"}
        return {"budget.annual_fen"}
    if section == "catalogue" and len(parts) >= 3 and parts[1] == "items":
        code = parts[2]
        if code.isdigit():
            code = region.catalogue.items[int(code)].code
        field = parts[3] if len(parts) > 3 else ""
        if field in ("max_per_month", "max_per_year", "max_fen_per_year"):
            return {f"caps[{code}]"}
        if field == "minutes_per_unit":
            return {f"minutes[{code}]"}
        if field == "who":
            return {f"who[{code}]"}
        return {f"price[{code}]", f"caps[{code}]", f"minutes[{code}]", f"who[{code}]"}
    if section == "funding":
        return {"funding.shares"}
    if section == "staffing":
        return {"staffing"}
    if section == "needs":
        needs = need_map(region)
        if len(parts) >= 3 and parts[1] == "kinds" and needs is not None:
            key = parts[2]
            hits = [i for i, e in enumerate(needs.kinds) if key in (e.kind, str(i))]
            return {f"needs[{i}]" for i in hits}
        return {f"needs[{i}]" for i in range(len(needs.kinds) if needs else 0)}
    if section == "eligibility" and len(parts) >= 3:
        return {f"eligibility.{parts[1]}.{parts[2]}"}
    return {f"data:{path}"}


def set_price(region: Region, code: str, price: int) -> Region:
    items = [
        msgspec.structs.replace(i, unit_price_fen=price, price_changes=[]) if i.code == code else i
        for i in region.catalogue.items
    ]
    return dataclasses.replace(
        region, catalogue=msgspec.structs.replace(region.catalogue, items=items)
    )


def common_budget(regions: Sequence[Region], on: date) -> int:
    """The median yearly money amount of the regions with a budget.toml (a time floor or no
    entitlement has no amount to normalise)."""
    schemes = [s for s in (budget_scheme(r) for r in regions) if s is not None]
    versions = [in_force(s.versions, on) for s in schemes]
    if not versions:
        raise Invalid("--normalise", "none of the compared regions has a yearly money budget")
    sourced = [v.total for v in versions if v.source and not v.illustrative]
    pool = sourced or [v.total for v in versions]
    return int(statistics.median_low(pool))


def first_kinds(region: Region) -> dict[str, str]:
    """Item code -> the first kind of need it meets in the region's needs map."""
    needs = need_map(region)
    out: dict[str, str] = {}
    for entry in needs.kinds if needs else []:
        for code in entry.items:
            out.setdefault(code, entry.kind)
    return out


def common_prices(regions: Sequence[Region], on: date) -> dict[str, int]:
    """Kind -> the median unit price of the compared regions' items of that kind."""
    pool: dict[str, list[int]] = {}
    for region in regions:
        for code, kind in first_kinds(region).items():
            item = region.catalogue.item(code)
            try:
                price = item.price_on(on)
            except LookupError:
                continue
            if price > 0:
                pool.setdefault(kind, []).append(price)
    return {k: int(statistics.median_low(pool[k])) for k in KINDS if k in pool}
