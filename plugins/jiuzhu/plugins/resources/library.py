"""The resource library (资源库): organisations, units, businesses, volunteers and need
sentinels with what they offer — searchable by need and area. No personal data lives here
except a volunteer's link to a person (never shown outside the statistics)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, plain
from jiuzhu.core.storage.tables import persons

from .config import KIND_LABELS, Offer, Resource, ResourceConfig
from .tables import offers, resources, unit_accounts

ORIGINS = {"": "", "recipient": "救助对象", "family": "救助对象家庭成员"}


def config(region: Region) -> ResourceConfig:
    found = region.section("resources", ResourceConfig)
    if found is None:
        raise Refused("resources", f"{region.info.name}未配置融救联助（resources.toml）")
    return found


def ancestors(region: Region, code: str) -> list[str]:
    """``code`` and every area above it up to the region (a district's offer serves its
    streets). Unknown codes raise Invalid naming the field."""
    parents = {a.code: a.parent for a in region.info.areas}
    if code != region.info.code and code not in parents:
        raise Invalid("area_code", f"{code} 不是{region.info.name}的区划代码")
    out = [code]
    while code in parents:
        code = parents[code]
        out.append(code)
    return out


def area_name(region: Region, code: str) -> str:
    if code == region.info.code:
        return region.info.name
    return next((a.name for a in region.info.areas if a.code == code), code)


class OfferView(msgspec.Struct, kw_only=True):
    id: int
    content: str
    needs: list[str]
    area_code: str
    area_name: str
    capacity: int
    owner: str
    standard: str
    contact: str


class ResourceView(msgspec.Struct, kw_only=True):
    id: int
    region_id: str
    code: str
    name: str
    kind: str
    kind_label: str
    area_code: str
    area_name: str
    contact: str
    location: str
    origin: str  # volunteers: "recipient" / "family" / ""
    source: str
    illustrative: bool
    offers: list[OfferView]


def _check(region: Region, data: Resource) -> None:
    if not data.code.strip() or len(data.code) > 40:
        raise Invalid("code", "编码不能为空，最多40个字符")
    if not data.name.strip() or len(data.name) > 120:
        raise Invalid("name", "名称不能为空，最多120个字符")
    if data.kind not in KIND_LABELS:
        raise Invalid("kind", f"类别应为 {'、'.join(KIND_LABELS)} 之一")
    ancestors(region, data.area_code)
    for i, o in enumerate(data.offers):
        if not o.content.strip():
            raise Invalid(f"offers[{i}].content", "服务内容不能为空")
        if o.capacity < 0:
            raise Invalid(f"offers[{i}].capacity", "服务能力不能为负数")
        if o.area_code:
            try:
                ancestors(region, o.area_code)
            except Invalid:
                raise Invalid(
                    f"offers[{i}].area_code", f"{o.area_code} 不是{region.info.name}的区划代码"
                ) from None
    if data.kind == "sentinel" and not data.location.strip():
        raise Invalid("location", "需求哨点须填写所在小区院落")


def _insert(
    conn: Connection,
    region: Region,
    data: Resource,
    at: datetime,
    origin: str = "",
    person_id: int | None = None,
) -> int:
    rid = conn.execute(
        resources.insert().values(
            region_id=region.id,
            code=data.code,
            name=data.name,
            kind=data.kind,
            area_code=data.area_code,
            contact=data.contact,
            location=data.location,
            origin=origin,
            person_id=person_id,
            source=data.source,
            illustrative=int(data.illustrative),
            created_at=at,
        )
    ).inserted_primary_key
    assert rid is not None
    if data.offers:
        conn.execute(
            offers.insert(),
            [
                {
                    "resource_id": rid[0],
                    "content": o.content,
                    "needs": list(o.needs),
                    "area_code": o.area_code or data.area_code,
                    "capacity": o.capacity,
                    "owner": o.owner or data.name,
                    "standard": o.standard,
                    "contact": o.contact or data.contact,
                }
                for o in data.offers
            ],
        )
    return int(rid[0])


def add_resource(
    svc: Services,
    actor: Actor,
    data: Resource,
    origin: str = "",
    person_id: int | None = None,
) -> ResourceView:
    """Add one resource with its offers (one transaction). A volunteer who was a recipient
    or a family member names the person (``origin``, ``person_id``) for the statistics."""
    actor.require("resource.write")
    region = svc.region(actor.region_id)
    config(region)
    _check(region, data)
    if origin not in ORIGINS:
        raise Invalid("origin", "应为 recipient（救助对象）、family（家庭成员）或留空")
    if origin and data.kind != "volunteer":
        raise Invalid("origin", "只有志愿者登记来源（救助对象或家庭成员）")
    if origin and person_id is None:
        raise Invalid("person_id", "救助对象或家庭成员成为志愿者的，须指明其人员编号")
    try:
        rid = _add(svc, region, data, origin, person_id)
    except IntegrityError:  # the same code added at the same moment by someone else
        raise Refused("duplicate", f"资源编码 {data.code} 已存在") from None
    return get_resource(svc, actor, rid)


def _add(svc: Services, region: Region, data: Resource, origin: str, person_id: int | None) -> int:
    with svc.transaction() as conn:
        if person_id is not None:
            row = conn.execute(select(persons.c.region_id).where(persons.c.id == person_id)).first()
            if row is None or row[0] != region.id:
                raise NotFound("person", person_id)
        if conn.execute(
            select(resources.c.id).where(
                resources.c.region_id == region.id, resources.c.code == data.code
            )
        ).first():
            raise Refused("duplicate", f"资源编码 {data.code} 已存在")
        return _insert(conn, region, data, svc.now(), origin, person_id)


def import_library(svc: Services, actor: Actor, items: Iterable[Resource]) -> tuple[int, int]:
    """Add the resources not yet in the library (by code), all in one transaction:
    (added, already there). One bad entry writes nothing."""
    actor.require("resource.write")
    region = svc.region(actor.region_id)
    config(region)
    items = list(items)
    for i, data in enumerate(items):
        try:
            _check(region, data)
        except Invalid as exc:
            raise Invalid(f"[{i}] {data.code}: {exc.field}", exc.detail) from None
    added = 0
    with svc.transaction() as conn:
        have = {
            str(c)
            for (c,) in conn.execute(
                select(resources.c.code).where(resources.c.region_id == region.id)
            )
        }
        for data in items:
            if data.code in have:
                continue
            _insert(conn, region, data, svc.now())
            have.add(data.code)
            added += 1
    return added, len(items) - added


CSV_COLUMNS = ("code", "name", "kind", "area_code", "contact", "location", "content", "needs")


def read_csv(text: str) -> list[Resource]:
    """Resources from CSV with the header ``CSV_COLUMNS`` (one offer per row; rows with
    the same code add offers; ``needs`` separated by 、or |). Marked illustrative unless a
    ``source`` column names one."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid("header", f"CSV 缺少列：{', '.join(missing)}；应有 {', '.join(CSV_COLUMNS)}")
    by_code: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        if not code:
            raise Invalid(f"line {n}: code", "编码不能为空")
        entry = by_code.setdefault(
            code,
            {
                "code": code,
                "name": (row.get("name") or "").strip(),
                "kind": (row.get("kind") or "").strip(),
                "area_code": (row.get("area_code") or "").strip(),
                "contact": (row.get("contact") or "").strip(),
                "location": (row.get("location") or "").strip(),
                "source": (row.get("source") or "").strip(),
                "offers": [],
            },
        )
        entry["illustrative"] = not entry["source"]
        content = (row.get("content") or "").strip()
        if content:
            needs = [t.strip() for t in (row.get("needs") or "").replace("|", "、").split("、")]
            entry["offers"].append({"content": content, "needs": [t for t in needs if t]})
    try:
        return [msgspec.convert(e, Resource) for e in by_code.values()]
    except msgspec.ValidationError as exc:
        raise Invalid("csv", f"CSV 内容不符合要求：{exc}") from None


def _views(conn: Connection, region: Region, rows: list[dict[str, Any]]) -> list[ResourceView]:
    ids = [r["id"] for r in rows]
    by: dict[int, list[OfferView]] = {i: [] for i in ids}
    if ids:
        for o in conn.execute(
            select(offers).where(offers.c.resource_id.in_(ids)).order_by(offers.c.id)
        ).mappings():
            by[o["resource_id"]].append(
                OfferView(
                    id=o["id"],
                    content=o["content"],
                    needs=list(o["needs"]),
                    area_code=o["area_code"],
                    area_name=area_name(region, o["area_code"]),
                    capacity=o["capacity"],
                    owner=o["owner"],
                    standard=o["standard"],
                    contact=o["contact"],
                )
            )
    return [
        ResourceView(
            id=r["id"],
            region_id=r["region_id"],
            code=r["code"],
            name=r["name"],
            kind=r["kind"],
            kind_label=KIND_LABELS.get(r["kind"], r["kind"]),
            area_code=r["area_code"],
            area_name=area_name(region, r["area_code"]),
            contact=r["contact"],
            location=r["location"],
            origin=r["origin"],
            source=r["source"],
            illustrative=bool(r["illustrative"]),
            offers=by[r["id"]],
        )
        for r in rows
    ]


def get_resource(svc: Services, actor: Actor, resource_id: int) -> ResourceView:
    actor.require("resource.read")
    region = svc.region(actor.region_id)
    with svc.reading() as conn:
        row = (
            conn.execute(
                select(resources).where(
                    resources.c.id == resource_id, resources.c.region_id == region.id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("resource", resource_id)
        return _views(conn, region, [plain(row)])[0]


def search(
    svc: Services,
    actor: Actor,
    need: str = "",
    area_code: str = "",
    kind: str = "",
    limit: int = 100,
) -> list[ResourceView]:
    """Resources whose offers answer ``need`` (a need tag, or words of the content) and
    serve ``area_code`` (an offer registered for an area serves everything below it).
    Sentinels are found by area (they offer nothing but a place)."""
    actor.require("resource.read")
    region = svc.region(actor.region_id)
    config(region)
    if kind and kind not in KIND_LABELS:
        raise Invalid("kind", f"类别应为 {'、'.join(KIND_LABELS)} 之一")
    if not 0 < limit <= 500:
        raise Invalid("limit", "应在1到500之间")
    need = need.strip()[:40]
    query = select(resources).where(resources.c.region_id == region.id)
    if kind:
        query = query.where(resources.c.kind == kind)
    up: list[str] = []
    if area_code:
        up = ancestors(region, area_code.strip())
    with svc.reading() as conn:
        if area_code or need:
            # need tags are a JSON list: matched in Python over the area's candidate offers
            cand_q = select(offers.c.resource_id, offers.c.needs, offers.c.content)
            if up:
                cand_q = cand_q.where(offers.c.area_code.in_(up))
            cand = conn.execute(cand_q).all()
            hit = {
                int(rid)
                for rid, tags, content in cand
                if not need or need in (tags or []) or need in str(content)
            }
            if area_code and not need:
                # resources located in the area (sentinels, volunteers without offers)
                hit |= {
                    int(r)
                    for (r,) in conn.execute(
                        select(resources.c.id).where(
                            resources.c.region_id == region.id,
                            resources.c.area_code.in_(_below(region, area_code.strip())),
                        )
                    )
                }
            query = query.where(resources.c.id.in_(sorted(hit)))
        rows = [
            plain(r)
            for r in conn.execute(query.order_by(resources.c.kind, resources.c.code).limit(limit))
            .mappings()
            .all()
        ]
        return _views(conn, region, rows)


def _below(region: Region, root: str) -> list[str]:
    from jiuzhu.core.access import area_subtree

    return sorted(area_subtree(region.info, root))


class LibraryCounts(msgspec.Struct, kw_only=True):
    label: str
    kinds: list[str]
    in_library: int
    reported: int | None  # what the sources report for the region (None: not reported)
    source: str


def counts(svc: Services, actor: Actor) -> list[LibraryCounts]:
    """The library by kind, beside the counts the sources report: one row per reported
    count (which may span kinds), then one per kind no count covers."""
    actor.require("resource.read")
    region = svc.region(actor.region_id)
    cfg = config(region)
    with svc.reading() as conn:
        have: dict[str, int] = {
            str(k): int(n)
            for k, n in conn.execute(
                select(resources.c.kind, func.count())
                .where(resources.c.region_id == region.id)
                .group_by(resources.c.kind)
            ).all()
        }
    out = [
        LibraryCounts(
            label=c.label,
            kinds=list(c.kinds),
            in_library=sum(have.get(k, 0) for k in c.kinds),
            reported=c.reported,
            source=c.source,
        )
        for c in cfg.counts
    ]
    covered = {k for c in cfg.counts for k in c.kinds}
    out += [
        LibraryCounts(label=label, kinds=[k], in_library=have.get(k, 0), reported=None, source="")
        for k, label in KIND_LABELS.items()
        if k not in covered
    ]
    return out


def link_unit_account(svc: Services, actor: Actor, username: str, code: str) -> None:
    """Let the account ``username`` (role unit) act for the resource ``code``."""
    actor.require("resource.write")
    region = svc.region(actor.region_id)
    with svc.transaction() as conn:
        rid = conn.execute(
            select(resources.c.id).where(
                resources.c.region_id == region.id, resources.c.code == code
            )
        ).scalar()
        if rid is None:
            raise NotFound("resource", code)
        conn.execute(unit_accounts.delete().where(unit_accounts.c.username == username))
        conn.execute(
            unit_accounts.insert().values(username=username, region_id=region.id, resource_id=rid)
        )


def unit_of(conn: Connection, actor: Actor) -> int:
    """The resource a unit account acts for; refused when it is linked to none."""
    rid = conn.execute(
        select(unit_accounts.c.resource_id).where(
            unit_accounts.c.username == actor.username,
            unit_accounts.c.region_id == actor.region_id,
        )
    ).scalar()
    if rid is None:
        raise Refused(
            "unit", "此账号尚未关联资源库中的爱心单位，请管理员运行 jiuzhu resources link-account"
        )
    return int(rid)


__all__ = ["Offer", "Resource"]
