"""`jiuzhu demo` for regions with a resources.toml (the ``jiuzhu_demo_data`` hook): the
region's library and charity funds, the demo unit account linked to the first organisation,
a donation, and two anonymous wishes on a demo case — one waiting on the wall, one claimed
and fulfilled, awaiting the recipient's confirmation. Idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from jiuzhu.core.access import access_registry, system_actor
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services
from jiuzhu.core.storage.tables import cases, users

from . import charity, library, wishes
from .config import ResourceConfig
from .roles import UNIT
from .tables import fund_entries, funds, unit_accounts
from .tables import wishes as wish_table

WISHES = (
    ("学习桌椅一套", "家中学龄儿童缺少学习桌椅和台灯，希望爱心单位帮助添置。", "学习用品", 60_000),
    ("冬季棉被两床", "老人独居，冬季取暖条件差，希望添置两床棉被。", "生活物资", 40_000),
)


def demo_data(svc: Services, region: Region) -> list[str]:
    cfg = region.section("resources", ResourceConfig)
    if cfg is None:
        return []
    actor = system_actor(region.id, region.info.code, "demo")
    out: list[str] = []
    added, _ = library.import_library(svc, actor, cfg.library)
    new_funds = charity.ensure_funds(svc, actor)
    if added or new_funds:
        out.append(f"{region.id}: resource library {added} entries, {new_funds} charity funds")
    unit_user = f"{region.id}-{UNIT}"
    org = next((r for r in cfg.library if r.kind in ("organisation", "unit", "business")), None)
    with svc.reading() as conn:
        has_user = conn.execute(select(users.c.id).where(users.c.username == unit_user)).first()
        linked = conn.execute(
            select(unit_accounts.c.username).where(unit_accounts.c.username == unit_user)
        ).first()
        donated = conn.execute(
            select(func.count())
            .select_from(fund_entries.join(funds, funds.c.id == fund_entries.c.fund_id))
            .where(funds.c.region_id == region.id)
        ).scalar_one()
        published = conn.execute(
            select(func.count()).where(wish_table.c.region_id == region.id)
        ).scalar_one()
        case_id = conn.execute(
            select(cases.c.id)
            .where(cases.c.region_id == region.id, cases.c.status != "exited")
            .order_by(cases.c.id)
        ).scalar()
    if has_user and not linked and org is not None:
        library.link_unit_account(svc, actor, unit_user, org.code)
        out.append(f"  {unit_user} acts for {org.name}")
    if cfg.funds and not donated:
        charity.donate(svc, actor, cfg.funds[0].code, 500_000, "爱心企业（示例）", "演示数据")
        out.append(f"  {cfg.funds[0].name}: donation 5000.00元")
    if case_id is not None and not published:
        numbers = [
            wishes.publish(svc, actor, case_id, title, text, value, need).wall.number
            for title, text, need, value in WISHES
        ]
        if has_user and org is not None:
            unit_actor = access_registry(svc.regions.pm).actor(
                username=unit_user, role=UNIT, region_id=region.id, area_code=region.info.code
            )
            wishes.claim(svc, unit_actor, numbers[1])
            wishes.fulfil(svc, unit_actor, numbers[1], "已送到两床棉被")
        out.append(f"  wishes {', '.join(numbers)} (see /wall/{region.id})")
    return out
