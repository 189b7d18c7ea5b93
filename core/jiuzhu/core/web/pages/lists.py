"""Lists that scale: every list page says how many match, pages through them, and filters
by area, item, urgency and date, and searches by name. The filters are the query string
(bookmarkable, kept across pages); the rows stay scoped by the same helpers as before
(access.order_scope), and the count is taken over the same scoped, filtered query."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from sqlalchemy import ColumnElement, Connection, func, select

from ...access import Actor, area_subtree, order_scope
from ...regions import Region
from ...storage.tables import cases, orders, persons
from ...times import SHANGHAI

PAGE_SIZE = 50


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ListFilters:
    """What a list is narrowed to; unknown or malformed values are ignored (shown as unset)."""

    q: str = ""  # the person's name, from its start
    area: str = ""  # an area code: that area and everything below it
    item: str = ""  # a catalogue item code
    urgent: str = ""  # "1": urgent only; "0": not urgent
    date_from: str = ""  # YYYY-MM-DD, by the order's placing date (Asia/Shanghai)
    date_to: str = ""
    status: str = ""  # one of the list's statuses (``statuses`` of from_request)
    page: int = 1

    @classmethod
    def from_request(
        cls, request: Request[Any, Any, Any], region: Region, statuses: tuple[str, ...] = ()
    ) -> ListFilters:
        get = request.query_params.get
        status = str(get("status") or "")
        area = str(get("area") or "")
        if area and area != region.info.code and region.info.area(area) is None:
            area = ""
        item = str(get("item") or "")
        if item and item not in {i.code for i in region.catalogue.items}:
            item = ""
        urgent = str(get("urgent") or "")
        try:
            number = max(1, min(100000, int(str(get("page") or "1"))))
        except ValueError:
            number = 1
        start, end = _date(str(get("date_from") or "")), _date(str(get("date_to") or ""))
        return cls(
            q=str(get("q") or "").strip()[:30],
            area=area,
            item=item,
            urgent=urgent if urgent in ("0", "1") else "",
            date_from=start.isoformat() if start else "",
            date_to=end.isoformat() if end else "",
            status=status if status in statuses else "",
            page=number,
        )

    @property
    def active(self) -> bool:
        return any(
            (self.q, self.area, self.item, self.urgent, self.date_from, self.date_to, self.status)
        )

    def _person_where(self, region: Region) -> list[ColumnElement[bool]]:
        """The name (prefix, LIKE wildcards taken literally) and area filters, on cases
        joined to persons: what the order and case lists share."""
        where: list[ColumnElement[bool]] = []
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(persons.c.name.like(escaped + "%", escape="\\"))
        if self.area:
            where.append(cases.c.area_code.in_(sorted(area_subtree(region.info, self.area))))
        return where

    def order_where(self, region: Region) -> list[ColumnElement[bool]]:
        """The filters as conditions on orders joined to cases and persons."""
        where = self._person_where(region)
        if self.item:
            where.append(orders.c.item_code == self.item)
        if self.urgent:
            where.append(orders.c.urgent.is_(self.urgent == "1"))
        return where + self.between(orders.c.placed_at)

    def case_where(self, region: Region) -> list[ColumnElement[bool]]:
        """The filters as conditions on cases joined to persons (dates: opened)."""
        where = self._person_where(region)
        if self.status:
            where.append(cases.c.status == self.status)
        return where + self.between(cases.c.opened_at)

    def between(self, moment: Any) -> list[ColumnElement[bool]]:
        """The date filters on a timestamp column: from the first day's start to the end of
        the last day (Asia/Shanghai days)."""
        where: list[ColumnElement[bool]] = []
        if start := _date(self.date_from):
            where.append(moment >= datetime.combine(start, time(), SHANGHAI))
        if end := _date(self.date_to):
            where.append(moment < datetime.combine(end + timedelta(days=1), time(), SHANGHAI))
        return where

    def url(self, path: str, **change: Any) -> str:
        """``path`` with these filters (and ``change``) as its query string (after the
        query ``path`` may already carry, e.g. ``/tasks?department=mz``)."""
        values = {k: v for k, v in vars(replace(self, **change)).items() if v not in ("", 1)}
        if not values:
            return path
        return f"{path}{'&' if '?' in path else '?'}{urlencode(values)}"


@dataclass(frozen=True)
class Paged:
    """One page of a list and where it sits in the whole."""

    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (min(self.page, self.pages) - 1) * self.size

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.size)


def count_orders(
    conn: Connection, actor: Actor, region: Region, *where: ColumnElement[bool]
) -> int:
    """How many orders the actor may see match ``where`` (the list's count)."""
    query = (
        select(func.count())
        .select_from(
            orders.join(cases, cases.c.id == orders.c.case_id).join(
                persons, persons.c.id == cases.c.person_id
            )
        )
        .where(order_scope(actor, region.info), *where)
    )
    return int(conn.execute(query).scalar_one())


def area_choices(region: Region, actor: Actor) -> list[tuple[str, str]]:
    """The areas the actor's scope covers, with their names, for a filter's select."""
    within = area_subtree(region.info, actor.area_code)
    return [(a.code, a.name) for a in region.info.areas if a.code in within]


def item_choices(region: Region) -> list[tuple[str, str]]:
    return [(i.code, i.name) for i in region.catalogue.items]
