"""The service catalogue (服务清单): categories and items (catalogue.toml)."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from .base import Base
from .conditions import Criteria

Unit = Literal["visit", "hour", "session", "month", "trip", "day", "item", "year"]
UNIT_NAMES: dict[str, str] = {
    "visit": "次",
    "hour": "小时",
    "session": "节",
    "month": "月",
    "trip": "趟",
    "day": "天",
    "item": "件",
    "year": "年",
}


class PriceChange(Base, frozen=True, kw_only=True):
    """A new price of an item from a date on."""

    valid_from: date  # the new price applies from this day
    unit_price_fen: int  # in fen
    source: str = ""
    illustrative: bool = False


class Category(Base, frozen=True, kw_only=True):
    """A group of items (e.g. 保基本); tiers and funding overrides name categories."""

    code: str  # unique; items, tiers and funding overrides refer to it
    name: str
    description: str = ""
    source: str = ""
    illustrative: bool = False


class Dimension(Base, frozen=True, kw_only=True):
    """An attribute every item may (or must) carry, with its allowed values — e.g. Qiaojia's
    five dimensions 服务场域, 内容, 周期, 方向, 方法."""

    code: str
    name: str
    values: list[str]
    required: bool = False
    description: str = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"dimension {self.code}: give its values")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"dimension {self.code}: values must be unique")


class Item(Base, frozen=True, kw_only=True):
    """One service of the catalogue (服务清单), priced per unit."""

    code: str  # unique in the catalogue; orders and need rules refer to it
    name: str
    category: str  # a category code of this catalogue
    unit: Unit  # what one unit is: 次 visit, 小时 hour, 节 session, 月, 趟 trip, 天, 件, 年
    unit_price_fen: int  # price of one unit in fen, from valid_from
    valid_from: date  # the item can be ordered from this day
    minutes_per_unit: int = 60  # service time one unit takes (counted in hours statistics)
    # hour items are delivered in visits of this many minutes (0: one visit per hour)
    minutes_per_visit: int = 0
    mode: Literal["individual", "group"] = "individual"  # group: sessions with attendees
    spends_entitlement: bool = True  # false: ordered/attended without an entitlement
    dimensions: dict[str, str] = {}  # dimension code -> value (Catalogue.dimensions)
    description: str = ""
    standard: list[str] = []  # step-by-step standard (明白纸), ticked at delivery
    who: Criteria = Criteria()  # who may receive it, beyond the region's eligibility
    max_per_month: int | None = None  # units a person may order in a calendar month
    max_per_year: int | None = None  # units a person may order in a calendar year
    max_fen_per_year: int | None = None  # money a person may spend on it in a year, in fen
    responsible: str = ""  # the body responsible for it (责任主体)
    price_changes: list[PriceChange] = []  # later prices, each from its date
    source: str = ""
    illustrative: bool = False
    price_illustrative: bool = False  # the item is sourced but its price was filled in

    def __post_init__(self) -> None:
        if self.unit_price_fen < 0:
            raise ValueError(f"item {self.code}: unit_price_fen must be >= 0")
        if self.minutes_per_unit < 0:
            raise ValueError(f"item {self.code}: minutes_per_unit must be >= 0")
        if self.minutes_per_visit < 0:
            raise ValueError(f"item {self.code}: minutes_per_visit must be >= 0")
        if self.minutes_per_visit and self.unit != "hour":
            raise ValueError(f"item {self.code}: minutes_per_visit applies to hour items only")
        for name in ("max_per_month", "max_per_year", "max_fen_per_year"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"item {self.code}: {name} must be positive")
        if not self.source and not self.illustrative:
            raise ValueError(f"item {self.code}: name a source or mark it illustrative = true")

    def visits(self, quantity: int) -> int:
        """人次: the visits an order of ``quantity`` units takes — one per unit, except hour
        items, delivered in visits of ``minutes_per_visit`` (one visit per hour if unset).
        Statistics count deliveries; the comparison expects this many."""
        if self.unit == "hour" and self.minutes_per_visit:
            return math.ceil(quantity * 60 / self.minutes_per_visit)
        return quantity

    @property
    def by_time(self) -> bool:
        """Delivered when the minutes are served (hour items), not the visits."""
        return self.unit == "hour"

    def price_on(self, on: date) -> int:
        price, start = self.unit_price_fen, self.valid_from
        if on < start:
            raise LookupError(f"item {self.code} has no price before {start}")
        for change in sorted(self.price_changes, key=lambda c: c.valid_from):
            if change.valid_from <= on:
                price = change.unit_price_fen
        return price


class Catalogue(Base, frozen=True, kw_only=True):
    """catalogue.toml: the region's service catalogue (服务清单)."""

    name: str
    source: str = ""
    categories: list[Category]  # codes are unique
    dimensions: list[Dimension] = []  # attributes items carry (values validated)
    items: list[Item]  # codes are unique; each item's category is listed above

    def __post_init__(self) -> None:
        cats = [c.code for c in self.categories]
        if len(set(cats)) != len(cats):
            raise ValueError("category codes must be unique")
        dims = {d.code: d for d in self.dimensions}
        if len(dims) != len(self.dimensions):
            raise ValueError("dimension codes must be unique")
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            for code, value in item.dimensions.items():
                dim = dims.get(code)
                if dim is None:
                    raise ValueError(
                        f"items[{i}] ({item.code}): dimensions: {code!r} is not a dimension of "
                        f"the catalogue ({', '.join(dims) or 'none declared'})"
                    )
                if value not in dim.values:
                    raise ValueError(
                        f"items[{i}] ({item.code}): dimensions.{code}: {value!r} is not one of "
                        f"{dim.values}"
                    )
            for dim in self.dimensions:
                if dim.required and dim.code not in item.dimensions:
                    raise ValueError(
                        f"items[{i}] ({item.code}): dimensions.{dim.code} ({dim.name}) is required"
                    )
            if item.category not in cats:
                raise ValueError(
                    f"items[{i}] ({item.code}): category {item.category!r} is not one of {cats}"
                )
            if item.code in seen:
                raise ValueError(f"items[{i}]: duplicate item code {item.code!r}")
            seen.add(item.code)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def category(self, code: str) -> Category:
        for cat in self.categories:
            if cat.code == code:
                return cat
        raise KeyError(code)
