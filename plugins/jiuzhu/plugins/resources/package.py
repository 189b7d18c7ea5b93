"""The household's package (救助大礼包): everything a household gets, in one view.

- cash (低保, 临时救助 …): amounts recorded here (``res_benefits`` kind ``cash``) under a
  policy the one form approved for a member — read through the one-form's public functions
  (``household_applications`` and ``get_application``); approved cash policies with no
  amount recorded yet are listed as such;
- services: the household's service orders and their money by funding source, as the core's
  household file counts them (delivered orders, net of refunds);
- goods and aids (实物, 辅具 — e.g. an electric wheelchair from 残联): ``res_benefits``;
- charity: grants from charity funds (``res_fund_entries``);
- micro-wishes: fulfilled or confirmed wishes and their value.

Totals by source: each department, each funding source, each fund, each unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select

from jiuzhu.core.access import Actor
from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.services import Services
from jiuzhu.core.services.households import get_household, household_file
from jiuzhu.core.services.stats import funding_source_names
from jiuzhu.core.storage.tables import households

from .charity import household_grants
from .library import config
from .tables import benefits
from .wishes import household_wishes

KINDS = {"cash": "现金救助", "goods": "实物救助", "aid": "辅具适配"}
SOURCE_KINDS = {
    "cash": "政府现金救助",
    "service": "服务类救助",
    "goods": "实物救助",
    "aid": "辅具适配",
    "charity": "慈善帮扶",
    "wish": "微心愿",
}


class PackageLine(msgspec.Struct, kw_only=True):
    kind: str  # cash / service / goods / aid / charity / wish
    kind_label: str
    giver: str  # department, funding source, fund or unit
    description: str
    amount_fen: int
    at: datetime | None
    note: str = ""  # e.g. 已批准，金额待录入


class SourceTotal(msgspec.Struct, kw_only=True):
    kind: str
    kind_label: str
    giver: str
    amount_fen: int


class Package(msgspec.Struct, kw_only=True):
    household_id: int
    head: str
    members: int
    lines: list[PackageLine]
    totals: list[SourceTotal]  # by kind and giver
    by_kind: dict[str, int]
    total_fen: int
    services_person_times: int
    services_hours: float


def _approved_cash(svc: Services, actor: Actor, household_id: int) -> list[dict[str, Any]]:
    """Approved cash and in-kind policies of the household's one-form applications:
    (receipt, policy code, name, department, kind)."""
    try:
        from jiuzhu.plugins.one_form.sections import household_applications
        from jiuzhu.plugins.one_form.service import get_application
    except ImportError:  # the one form is not installed
        return []
    if not actor.can("application.read"):
        return []
    out: list[dict[str, Any]] = []
    for section in household_applications(svc, actor, household_id):
        for row in section.rows:
            app = get_application(svc, actor, row["receipt"])
            for p in app.policies:
                if p.status == "approved" and p.kind in ("cash", "in_kind"):
                    out.append(
                        {
                            "receipt": app.receipt,
                            "code": p.code,
                            "name": p.name,
                            "department": p.department_name,
                            "kind": p.kind,
                        }
                    )
    return out


def approved_policies(svc: Services, actor: Actor, household_id: int) -> list[tuple[str, str]]:
    """(code, name) of the cash and in-kind policies approved for the household."""
    return [(p["code"], p["name"]) for p in _approved_cash(svc, actor, household_id)]


def record_benefit(
    svc: Services,
    actor: Actor,
    household_id: int,
    kind: str,
    giver: str,
    description: str,
    amount_fen: int,
    policy_code: str = "",
) -> int:
    """Record cash, goods or an aid the household received. Cash must name a policy the
    one form approved for the household (its receipt is kept with it)."""
    actor.require("benefit.record")
    if kind not in KINDS:
        raise Invalid("kind", f"应为 {'、'.join(f'{k}（{v}）' for k, v in KINDS.items())} 之一")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise Invalid("amount_fen", "金额应为非负整数（分）")
    if kind == "cash" and amount_fen == 0:
        raise Invalid("amount_fen", "现金救助金额应大于0")
    if not description.strip():
        raise Invalid("description", "请填写内容（如：低保金 2025年3月）")
    home = get_household(svc, actor, household_id)  # case.read and the area scope
    region = svc.region(home.region_id)
    config(region)
    receipt = ""
    if kind == "cash" or policy_code:
        approved = {p["code"]: p for p in _approved_cash(svc, actor, household_id)}
        if policy_code not in approved:
            raise Refused(
                "policy_not_approved",
                f"「{policy_code or '（未填写）'}」不是本户经联办表批准的救助事项；"
                f"已批准：{'、'.join(p['name'] for p in approved.values()) or '无'}",
            )
        receipt = approved[policy_code]["receipt"]
        giver = giver.strip() or approved[policy_code]["department"]
    if not giver.strip():
        raise Invalid("giver", "请填写给付部门或单位")
    with svc.transaction() as conn:
        pk = conn.execute(
            benefits.insert().values(
                region_id=region.id,
                household_id=household_id,
                kind=kind,
                policy_code=policy_code,
                receipt=receipt,
                giver=giver.strip()[:120],
                description=description.strip()[:200],
                amount_fen=amount_fen,
                at=svc.now(),
                by=actor.username,
            )
        ).inserted_primary_key
    assert pk is not None
    return int(pk[0])


def package(svc: Services, actor: Actor, household_id: int) -> Package:
    """The household's whole package (package.read and case.read, in the actor's area)."""
    actor.require("package.read")
    file = household_file(svc, actor, household_id)
    region = svc.region(file.household.region_id)
    lines: list[PackageLine] = []
    with svc.reading() as conn:
        if (
            conn.execute(select(households.c.id).where(households.c.id == household_id)).first()
            is None
        ):
            raise NotFound("household", household_id)
        recorded = [
            dict(r)
            for r in conn.execute(
                select(benefits)
                .where(benefits.c.household_id == household_id)
                .order_by(benefits.c.id)
            ).mappings()
        ]
        grants = household_grants(conn, household_id)
        wishes = household_wishes(conn, household_id)
    for b in recorded:
        lines.append(
            PackageLine(
                kind=b["kind"],
                kind_label=SOURCE_KINDS[b["kind"]],
                giver=b["giver"],
                description=b["description"],
                amount_fen=int(b["amount_fen"]),
                at=b["at"],
                note=f"联办受理 {b['receipt']}" if b["receipt"] else "",
            )
        )
    paid = {b["policy_code"] for b in recorded if b["policy_code"]}
    for p in _approved_cash(svc, actor, household_id):
        if p["code"] not in paid:
            kind = "cash" if p["kind"] == "cash" else "goods"
            lines.append(
                PackageLine(
                    kind=kind,
                    kind_label=SOURCE_KINDS[kind],
                    giver=p["department"],
                    description=p["name"],
                    amount_fen=0,
                    at=None,
                    note=f"联办受理 {p['receipt']} 已批准，金额待录入",
                )
            )
    names = funding_source_names(svc, region)
    for source, amount in file.totals.by_source.items():
        lines.append(
            PackageLine(
                kind="service",
                kind_label=SOURCE_KINDS["service"],
                giver=names.get(source, source),
                description=(
                    f"服务工单 {file.totals.orders} 单，服务 {file.totals.person_times} 人次"
                ),
                amount_fen=amount,
                at=None,
            )
        )
    for g in grants:
        lines.append(
            PackageLine(
                kind="charity",
                kind_label=SOURCE_KINDS["charity"],
                giver=g["fund_name"],
                description=g["note"] or "慈善帮扶",
                amount_fen=-int(g["amount_fen"]),
                at=g["at"],
            )
        )
    for w in wishes:
        lines.append(
            PackageLine(
                kind="wish",
                kind_label=SOURCE_KINDS["wish"],
                giver=str(w["unit"] or ""),
                description=f"{w['number']} {w['title']}",
                amount_fen=int(w["value_fen"]),
                at=w["fulfilled_at"],
                note="已确认" if w["status"] == "confirmed" else "待确认",
            )
        )
    totals: dict[tuple[str, str], int] = {}
    for line in lines:
        key = (line.kind, line.giver)
        totals[key] = totals.get(key, 0) + line.amount_fen
    by_kind: dict[str, int] = {}
    for (kind, _), amount in totals.items():
        by_kind[kind] = by_kind.get(kind, 0) + amount
    return Package(
        household_id=household_id,
        head=file.head,
        members=len(file.members) + file.hidden_members,
        lines=lines,
        totals=[
            SourceTotal(kind=k, kind_label=SOURCE_KINDS[k], giver=g, amount_fen=v)
            for (k, g), v in totals.items()
        ],
        by_kind=by_kind,
        total_fen=sum(by_kind.values()),
        services_person_times=file.totals.person_times,
        services_hours=file.totals.hours,
    )
