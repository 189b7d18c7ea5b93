"""Providers (服务机构), their workers, and their traffic light."""

from __future__ import annotations

import re

import msgspec
from sqlalchemy import Integer, func, select, update

from ..access import Actor
from ..base import Invalid, NotFound, Refused
from ..domain import Provider, Worker
from ..storage.tables import orders, providers, ratings, visits, workers
from ..supervision import UNRATED, ProviderStanding, ProviderStats
from . import Services, fetch_one, plain


def create_provider(
    svc: Services, actor: Actor, region_id: str, name: str, area_code: str
) -> Provider:
    actor.require("provider.write")
    region = svc.region(region_id)
    if actor.region_id != region_id:
        raise Refused("access", "只能管理本地区的服务机构")
    if not name.strip():
        raise Invalid("name", "机构名称不能为空")
    if area_code != region.info.code and region.info.area(area_code) is None:
        raise Invalid("area_code", f"{area_code} 不是{region.info.name}的区划代码")
    # a new provider's standing: what the region's rule says of no ratings at all
    first: ProviderStanding | None = svc.regions.pm.hook.jiuzhu_provider_light(
        region=region, stats=ProviderStats(provider_id=0)
    )
    standing = first or UNRATED
    with svc.transaction() as conn:
        if conn.execute(
            select(providers.c.id).where(
                providers.c.region_id == region_id, providers.c.name == name
            )
        ).first():
            raise Refused("provider.unique", f"服务机构「{name}」已存在")
        pid = conn.execute(
            providers.insert().values(
                region_id=region_id,
                name=name,
                area_code=area_code,
                light=standing.code,
                light_label=standing.label,
                light_reason=f"新机构：{standing.reason}" if standing.reason else "新机构",
                blocks_dispatch=standing.blocks_dispatch,
                active=True,
            )
        ).inserted_primary_key
        assert pid is not None
        return msgspec.convert(fetch_one(conn, providers, "provider", pid[0], id=pid[0]), Provider)


PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")


def create_worker(
    svc: Services,
    actor: Actor,
    provider_id: int,
    name: str,
    qualifications: list[str] | None = None,
    phone: str = "",
) -> Worker:
    actor.require("provider.write")
    if not name.strip():
        raise Invalid("name", "社工姓名不能为空")
    if phone and not PHONE.match(phone):
        raise Invalid("phone", f"{phone!r} 不是电话号码（如 13800000001 或 0477-1234567）")
    with svc.transaction() as conn:
        prow = fetch_one(conn, providers, "provider", provider_id, id=provider_id)
        if prow["region_id"] != actor.region_id:
            raise Refused("access", "只能管理本地区的服务机构")
        wid = conn.execute(
            workers.insert().values(
                provider_id=provider_id,
                name=name,
                phone=phone,
                qualifications=qualifications or [],
                active=True,
            )
        ).inserted_primary_key
        assert wid is not None
        return msgspec.convert(fetch_one(conn, workers, "worker", wid[0], id=wid[0]), Worker)


def provider_stats(svc: Services, provider_id: int) -> ProviderStats:
    with svc.reading() as conn:
        r = conn.execute(
            select(
                func.count(),
                func.avg(ratings.c.score),
                func.sum(func.cast(ratings.c.satisfied, Integer)),
            )
            .select_from(ratings.join(orders, orders.c.id == ratings.c.order_id))
            .where(orders.c.provider_id == provider_id)
        ).one()
        v = conn.execute(
            select(func.count(), func.sum(func.cast(visits.c.satisfied == False, Integer)))  # noqa: E712
            .select_from(visits.join(orders, orders.c.id == visits.c.order_id))
            .where(orders.c.provider_id == provider_id, visits.c.satisfied.is_not(None))
        ).one()
        done = conn.execute(
            select(func.count()).where(
                orders.c.provider_id == provider_id, orders.c.status.in_(["delivered", "rated"])
            )
        ).scalar_one()
        late = conn.execute(
            select(func.count()).where(
                orders.c.provider_id == provider_id,
                orders.c.status.in_(["delivered", "rated"]),
                orders.c.accepted_at > orders.c.due_at,
            )
        ).scalar_one()
    count = int(r[0] or 0)
    return ProviderStats(
        provider_id=provider_id,
        ratings=count,
        mean_score=float(r[1] or 0.0),
        satisfied_share=(int(r[2] or 0) / count) if count else 0.0,
        visits=int(v[0] or 0),
        visits_unsatisfied=int(v[1] or 0),
        orders_done=int(done),
        orders_overdue=int(late),
    )


def refresh_light(svc: Services, provider_id: int) -> ProviderStanding:
    """Recompute the provider's standing from ratings and return visits, via the plugin
    answering ``jiuzhu_provider_light`` for its region, and store it."""
    with svc.reading() as conn:
        prow = fetch_one(conn, providers, "provider", provider_id, id=provider_id)
    region = svc.region(prow["region_id"])
    stats = provider_stats(svc, provider_id)
    found: ProviderStanding | None = svc.regions.pm.hook.jiuzhu_provider_light(
        region=region, stats=stats
    )
    standing = found or UNRATED
    figures = (
        f"评价{stats.ratings}条，平均{stats.mean_score:.2f}分，满意率"
        f"{stats.satisfied_share:.0%}；回访{stats.visits}次，不满意{stats.visits_unsatisfied}次"
    )
    reason = f"{standing.reason}（{figures}）" if standing.reason else figures
    with svc.transaction() as conn:
        conn.execute(
            update(providers)
            .where(providers.c.id == provider_id)
            .values(
                light=standing.code,
                light_label=standing.label,
                light_reason=reason,
                blocks_dispatch=standing.blocks_dispatch,
            )
        )
    return standing


class ProviderView(msgspec.Struct, kw_only=True):
    provider: Provider
    stats: ProviderStats
    workers: list[Worker]


def get_provider(svc: Services, actor: Actor, provider_id: int) -> ProviderView:
    """A provider, its light and figures; its workers (names, phones) only for the region's
    staff and the provider's own admin. Provider staff see no other provider."""
    actor.require("provider.read")
    with svc.reading() as conn:
        prow = fetch_one(conn, providers, "provider", provider_id, id=provider_id)
        own = actor.provider_id is None or actor.provider_id == provider_id
        if prow["region_id"] != actor.region_id or not own:
            raise NotFound("provider", provider_id)
        staff = actor.can("case.read") or (
            actor.provider_id == provider_id and actor.worker_id is None
        )
        wrows = (
            conn.execute(
                select(workers).where(workers.c.provider_id == provider_id).order_by(workers.c.id)
            )
            .mappings()
            .all()
            if staff
            else []
        )
    return ProviderView(
        provider=msgspec.convert(prow, Provider),
        stats=provider_stats(svc, provider_id),
        workers=[msgspec.convert(plain(w), Worker) for w in wrows],
    )


def list_providers(svc: Services, actor: Actor) -> list[Provider]:
    actor.require("provider.read")
    with svc.reading() as conn:
        rows = (
            conn.execute(
                select(providers)
                .where(providers.c.region_id == actor.region_id)
                .order_by(providers.c.id)
            )
            .mappings()
            .all()
        )
    return [msgspec.convert(plain(r), Provider) for r in rows]


def provider_region(svc: Services, provider_id: int) -> str:
    """The region a provider belongs to (NotFound if there is no such provider)."""
    with svc.reading() as conn:
        return str(fetch_one(conn, providers, "provider", provider_id, id=provider_id)["region_id"])


def masked_phone(phone: str) -> str:
    """138****0001: enough to tell workers apart, not to call them."""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
