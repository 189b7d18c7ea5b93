"""Exports for a civil-affairs office: cases, orders, deliveries, statistics (人, 人次,
hours and money by funding source, by area and month) and one-form applications, as XLSX
(XlsxWriter, constant-memory mode) or CSV (UTF-8 with BOM, which Excel opens as such).

Every export starts from the core's scoped queries (``services.scoped`` /
``access.order_scope``), shapes people with ``access.shown_person`` (ID numbers masked
unless the actor holds ``id.full``), is written to a temporary file renamed into place, and
is recorded in the audit log (``action = export``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import and_, func, select

from jiuzhu.core.access import Actor, PersonView, area_subtree, order_scope, shown_person
from jiuzhu.core.base import Invalid, Refused
from jiuzhu.core.domain import Person
from jiuzhu.core.regions import Region
from jiuzhu.core.services import Services, plain, rollups
from jiuzhu.core.services.audit import audit
from jiuzhu.core.services.scoped import scoped_area_rows, scoped_cases
from jiuzhu.core.services.stats import funding_source_names, statistics
from jiuzhu.core.storage.tables import (
    cases,
    deliveries,
    ledger,
    orders,
    persons,
    providers,
    workers,
)
from jiuzhu.core.times import SHANGHAI, local_date

from .files import atomic_path
from .kinds import EXPORTS as EXPORTS
from .kinds import FORMATS as FORMATS

EXPORT_LABELS = {
    "cases": "救助对象档案",
    "orders": "服务工单",
    "deliveries": "服务记录",
    "statistics": "统计报表",
    "applications": "一表受理申请",
}
STATUS = {
    "open": "已建档",
    "active": "服务中",
    "exited": "已退出",
    "placed": "已下单",
    "dispatched": "已派单",
    "accepted": "已接单",
    "in_progress": "服务中",
    "delivered": "已完成",
    "rated": "已评价",
    "cancelled": "已取消",
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "未批准",
    "partial": "部分批准",
    "done": "已办结",
}


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    area: str | None = None


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list[Any]]


def yuan(fen: int | None) -> Decimal:
    return Decimal(fen or 0) / 100


def local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _bounds(f: Filters) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(f.start, time(), SHANGHAI).astimezone(UTC) if f.start else None
    hi = (
        datetime.combine(f.end + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
        if f.end
        else None
    )
    return lo, hi


def _areas(region: Region, actor: Actor, f: Filters) -> list[str]:
    scope = area_subtree(region.info, actor.area_code)
    if f.area is not None:
        if f.area not in scope:
            raise Invalid("area", f"{f.area} 不在可查看的区域内")
        scope = area_subtree(region.info, f.area)
    return sorted(scope)


def _window(column: Any, f: Filters) -> list[Any]:
    lo, hi = _bounds(f)
    out = []
    if lo is not None:
        out.append(column >= lo)
    if hi is not None:
        out.append(column < hi)
    return out


def _area_names(region: Region) -> dict[str, str]:
    return {a.code: a.name for a in region.info.areas} | {region.info.code: region.info.name}


def _shown(actor: Actor, row: Any, today: date) -> PersonView:
    person = msgspec.convert(
        {k.removeprefix("p_"): v for k, v in plain(row).items() if k.startswith("p_")}, Person
    )
    return shown_person(actor, person, today)


PERSON_COLUMNS = [column.label(f"p_{column.name}") for column in persons.columns]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


# --- the tables ---------------------------------------------------------------------------
def cases_table(svc: Services, actor: Actor, region: Region, f: Filters) -> Table:
    names = _area_names(region)
    today = local_date(svc.now())
    query = (
        scoped_cases(svc, actor)
        .add_columns(*PERSON_COLUMNS)
        .join(persons, persons.c.id == cases.c.person_id)
        .where(cases.c.area_code.in_(_areas(region, actor, f)), *_window(cases.c.opened_at, f))
        .order_by(cases.c.id)
    )
    headers = [
        "档案号", "姓名", "身份证号", "性别", "年龄", "区划代码", "区划", "救助类别",
        "残疾等级", "状态", "建档时间", "退出时间", "退出原因",
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        with svc.reading() as conn:
            for r in conn.execute(query).mappings():
                p = _shown(actor, r, today)
                yield [
                    r["id"], p.name, p.id_number or "", p.sex, p.age if p.age is not None else "",
                    r["area_code"], names.get(r["area_code"], ""), _text(p.groups),
                    _grade(p.disability_grade), STATUS.get(r["status"], r["status"]),
                    local(r["opened_at"]), local(r["closed_at"]), r["exit_reason"],
                ]  # fmt: skip

    return Table(EXPORT_LABELS["cases"], headers, rows())


def orders_table(svc: Services, actor: Actor, region: Region, f: Filters) -> Table:
    if not (actor.can("case.read") or actor.can("order.read")):
        raise Refused("access", f"角色「{actor.label}」无权查看工单（order.read）")
    names = _area_names(region)
    items = {i.code: i for i in region.catalogue.items}
    categories = {c.code: c.name for c in region.catalogue.categories}
    today = local_date(svc.now())
    query = (
        select(
            orders,
            cases.c.area_code,
            providers.c.name.label("provider_name"),
            workers.c.name.label("worker_name"),
            *PERSON_COLUMNS,
        )
        .join(cases, cases.c.id == orders.c.case_id)
        .join(persons, persons.c.id == cases.c.person_id)
        .outerjoin(providers, providers.c.id == orders.c.provider_id)
        .outerjoin(workers, workers.c.id == orders.c.worker_id)
        .where(
            order_scope(actor, region.info),
            cases.c.area_code.in_(_areas(region, actor, f)),
            *_window(orders.c.placed_at, f),
        )
        .order_by(orders.c.id)
    )
    headers = [
        "工单号", "档案号", "姓名", "身份证号", "区划代码", "区划", "服务类别", "服务项目",
        "数量", "单价（元）", "金额（元）", "状态", "加急", "下单时间", "完成时间",
        "服务机构", "社工",
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        with svc.reading() as conn:
            for r in conn.execute(query).mappings():
                p = _shown(actor, r, today)
                item = items.get(r["item_code"])
                yield [
                    r["id"], r["case_id"], p.name, p.id_number or "", r["area_code"],
                    names.get(r["area_code"], ""),
                    categories.get(item.category, "") if item else "",
                    item.name if item else r["item_code"], r["quantity"],
                    yuan(r["unit_price_fen"]), yuan(r["amount_fen"]),
                    STATUS.get(r["status"], r["status"]), "是" if r["urgent"] else "",
                    local(r["placed_at"]), local(r["finished_at"]),
                    r["provider_name"] or "", r["worker_name"] or "",
                ]  # fmt: skip

    return Table(EXPORT_LABELS["orders"], headers, rows())


def deliveries_table(svc: Services, actor: Actor, region: Region, f: Filters) -> Table:
    if not (actor.can("case.read") or actor.can("order.read")):
        raise Refused("access", f"角色「{actor.label}」无权查看服务记录（order.read）")
    names = _area_names(region)
    items = {i.code: i.name for i in region.catalogue.items}
    today = local_date(svc.now())
    query = (
        select(
            deliveries,
            orders.c.item_code,
            orders.c.case_id,
            cases.c.area_code,
            workers.c.name.label("worker_name"),
            providers.c.name.label("provider_name"),
            *PERSON_COLUMNS,
        )
        .join(orders, orders.c.id == deliveries.c.order_id)
        .join(cases, cases.c.id == orders.c.case_id)
        .join(persons, persons.c.id == cases.c.person_id)
        .outerjoin(workers, workers.c.id == deliveries.c.worker_id)
        .outerjoin(providers, providers.c.id == orders.c.provider_id)
        .where(
            order_scope(actor, region.info),
            cases.c.area_code.in_(_areas(region, actor, f)),
            *_window(deliveries.c.checkin_at, f),
        )
        .order_by(deliveries.c.id)
    )
    headers = [
        "服务记录号", "工单号", "档案号", "姓名", "身份证号", "区划代码", "区划", "服务项目",
        "服务机构", "社工", "签到时间", "签退时间", "服务时长（分钟）", "签名人",
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        with svc.reading() as conn:
            for r in conn.execute(query).mappings():
                p = _shown(actor, r, today)
                yield [
                    r["id"], r["order_id"], r["case_id"], p.name, p.id_number or "",
                    r["area_code"], names.get(r["area_code"], ""),
                    items.get(r["item_code"], r["item_code"]), r["provider_name"] or "",
                    r["worker_name"] or "", local(r["checkin_at"]), local(r["checkout_at"]),
                    r["minutes"], r["signer"],
                ]  # fmt: skip

    return Table(EXPORT_LABELS["deliveries"], headers, rows())


def months(start: date, end: date) -> Iterator[tuple[date, date]]:
    first = start.replace(day=1)
    while first <= end:
        nxt = (first + timedelta(days=32)).replace(day=1)
        yield max(first, start), min(nxt - timedelta(days=1), end)
        first = nxt


def statistics_table(svc: Services, actor: Actor, region: Region, f: Filters) -> Table:
    """One row per month and area (the core's ``statistics`` by area for each month, so
    人, 人次, hours and money are counted exactly as the statistics page counts them), then
    the whole period's total; money by funding source: the net ledger entries of the orders
    delivered in the month, as the statistics page's funding line counts it (so the sources
    add up to the money column)."""
    actor.require("stats.read")
    today = local_date(svc.now())
    end = f.end or today
    start = f.start or end.replace(month=1, day=1)
    if start > end:
        raise Invalid("from", f"开始日期 {start} 晚于结束日期 {end}")
    sources = funding_source_names(svc, region)
    scope = _areas(region, actor, f)
    key = func.strftime("%Y-%m", orders.c.finished_at, "+8 hours")
    if svc.engine.dialect.name == "postgresql":
        key = func.to_char(func.timezone("Asia/Shanghai", orders.c.finished_at), "YYYY-MM")
    lo, hi = _bounds(Filters(start=start, end=end))
    money_q = (
        select(key, cases.c.area_code, ledger.c.source_code, func.sum(ledger.c.amount_fen))
        .select_from(
            ledger.join(orders, orders.c.id == ledger.c.order_id).join(
                cases, cases.c.id == orders.c.case_id
            )
        )
        .where(
            and_(
                orders.c.region_id == region.id,
                cases.c.area_code.in_(scope),
                orders.c.status.in_(rollups.DONE),
                orders.c.finished_at >= lo,
                orders.c.finished_at < hi,
            )
        )
        .group_by(key, cases.c.area_code, ledger.c.source_code)
    )
    with svc.reading() as conn:
        money: dict[tuple[str, str], dict[str, int]] = {}
        for month, area, source, amount in conn.execute(money_q):
            money.setdefault((str(month), str(area)), {})[str(source)] = int(amount)
            sources.setdefault(str(source), str(source))
    headers = [
        "月份", "区划代码", "区划", "户数", "人数", "人次", "服务小时", "服务金额（元）",
        *(f"{name}（元）" for name in sources.values()),
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        for lo_day, hi_day in months(start, end):
            stats = statistics(svc, actor, "area", f.area, lo_day, hi_day)
            month = f"{lo_day:%Y-%m}"
            for s in stats.rows:
                by_source = money.get((month, s.key), {})
                yield [
                    month, s.key, s.label, s.households, s.persons, s.person_times,
                    round(s.hours, 1), yuan(s.amount_fen),
                    *(yuan(by_source.get(code, 0)) for code in sources),
                ]  # fmt: skip
        total = statistics(svc, actor, "region", f.area, start, end)
        t = total.total
        yield [
            f"{start}至{end}", "", "合计", t.households, t.persons, t.person_times,
            round(t.hours, 1), yuan(t.amount_fen),
            *(yuan(total.funding.get(code, 0)) for code in sources),
        ]  # fmt: skip

    return Table(EXPORT_LABELS["statistics"], headers, rows())


def applications_table(svc: Services, actor: Actor, region: Region, f: Filters) -> Table:
    try:
        from jiuzhu.plugins.one_form.tables import application_policies, applications
    except ImportError:  # the one-form plugin is not installed
        raise Invalid("kind", "未安装一表受理（one_form）插件，无申请可导出") from None
    names = _area_names(region)
    today = local_date(svc.now())
    query = (
        scoped_area_rows(svc, actor, applications, "application.read")
        .add_columns(*PERSON_COLUMNS)
        .join(persons, persons.c.id == applications.c.person_id)
        .where(
            applications.c.area_code.in_(_areas(region, actor, f)),
            *_window(applications.c.accepted_at, f),
        )
        .order_by(applications.c.id)
    )
    headers = [
        "受理编号", "姓名", "身份证号", "区划代码", "区划", "申请事项", "状态", "受理时间",
        "受理人", "办结时间",
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        with svc.reading() as conn:
            found = list(conn.execute(query).mappings())
            policies: dict[int, list[str]] = {}
            ids = [r["id"] for r in found]
            for i in range(0, len(ids), 1000):
                for app_id, code, status in conn.execute(
                    select(
                        application_policies.c.application_id,
                        application_policies.c.policy_code,
                        application_policies.c.status,
                    ).where(application_policies.c.application_id.in_(ids[i : i + 1000]))
                ):
                    label = f"{code}（{STATUS.get(status, status)}）"
                    policies.setdefault(int(app_id), []).append(label)
        for r in found:
            p = _shown(actor, r, today)
            yield [
                r["receipt"], p.name, p.id_number or "", r["area_code"],
                names.get(r["area_code"], ""), "、".join(sorted(policies.get(r["id"], []))),
                STATUS.get(r["status"], r["status"]), local(r["accepted_at"]),
                r["accepted_by"], local(r["decided_at"]),
            ]  # fmt: skip

    return Table(EXPORT_LABELS["applications"], headers, rows())


BUILDERS: dict[str, Callable[[Services, Actor, Region, Filters], Table]] = {
    "cases": cases_table,
    "orders": orders_table,
    "deliveries": deliveries_table,
    "statistics": statistics_table,
    "applications": applications_table,
}


# --- writing ------------------------------------------------------------------------------
def write_table(table: Table, fmt: str, path: Path) -> int:
    """Write ``table`` to ``path`` whole or not at all; return the number of data rows."""
    n = 0
    with atomic_path(path) as tmp:
        if fmt == "csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as out:
                w = csv.writer(out)
                w.writerow(table.headers)
                for row in table.rows:
                    w.writerow(row)
                    n += 1
        else:
            n = _write_xlsx(table, tmp)
    return n


def _write_xlsx(table: Table, path: Path) -> int:
    """XlsxWriter in constant-memory mode: rows stream to disk, memory stays flat. Text is
    written as text (ID numbers keep their digits); money (Decimal yuan) as a number with
    two decimals."""
    import xlsxwriter

    n = 0
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "0.00"})
        ws = book.add_worksheet(table.title[:31])
        for j, h in enumerate(table.headers):
            ws.write_string(0, j, h, bold)
        ws.freeze_panes(1, 0)
        for r, row in enumerate(table.rows, 1):
            for j, value in enumerate(row):
                if isinstance(value, Decimal):
                    ws.write_number(r, j, float(value), money)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, j, value)
                elif value is not None and value != "":
                    ws.write_string(r, j, str(value))
            n += 1
    finally:
        book.close()
    return n


def default_name(kind: str, region_id: str, fmt: str, today: date) -> str:
    return f"{region_id}-{kind}-{today:%Y%m%d}.{fmt}"


def export(
    svc: Services,
    actor: Actor,
    kind: str,
    region_id: str,
    fmt: str,
    path: Path,
    filters: Filters | None = None,
    *,
    via: str = "cli",
    client_ip: str = "",
) -> int:
    """Write the ``kind`` export of ``region_id`` for ``actor`` to ``path``; audited.
    Returns the number of data rows."""
    if kind not in BUILDERS:
        raise Invalid("kind", f"未知的导出类型 {kind}；可选：{'、'.join(EXPORTS)}")
    if fmt not in FORMATS:
        raise Invalid("format", "格式应为 xlsx 或 csv")
    if actor.region_id != region_id:
        raise Refused("access", "只能导出本地区的数据")
    f = filters or Filters()
    region = svc.region(region_id)
    if f.area is not None and f.area != region.info.code and region.info.area(f.area) is None:
        raise Invalid("area", f"{f.area} 不是{region.info.name}的区划代码")
    table = BUILDERS[kind](svc, actor, region, f)
    n = write_table(table, fmt, path)
    audit(
        svc,
        actor,
        "export",
        f"export/{kind}",
        client_ip=client_ip,
        region_id=region_id,
        format=fmt,
        rows=n,
        start=str(f.start or ""),
        end=str(f.end or ""),
        area=f.area or "",
        ids="full" if actor.can("id.full") else "masked",
        via=via,
    )
    return n


def _grade(grade: int | None) -> str:
    if grade is None:
        return ""
    return f"{grade}级" if grade else "无"
