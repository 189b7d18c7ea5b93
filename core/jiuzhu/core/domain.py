"""The runtime vocabulary of the service loop: people, cases, entitlements, orders …

Each Struct is the domain type; its table (storage/tables.py) is only its storage shape.
Rows become Structs once, at the storage boundary, with msgspec.convert.
Money is integer fen; times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from .base import Base
from .limits import (
    AreaCode,
    DisabilityGrade,
    Fen,
    HouseholdSize,
    Id,
    IdNumber,
    PersonName,
    Phone,
    RegionId,
    Tag,
)


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """Domain records read from storage (extra columns are ignored, not errors)."""


class Household(Row, frozen=True, kw_only=True):
    id: int
    region_id: str
    area_code: str
    address: str = ""
    size: int = 1
    created_at: datetime


class Person(Row, frozen=True, kw_only=True):
    id: int
    region_id: str
    household_id: int | None = None
    id_number: str
    name: str
    sex: str = ""
    birth_date: date
    phone: str = ""
    area_code: str
    groups: list[str] = []
    disability_grade: int = 0
    major_illness: bool = False
    chronic_illness: bool = False
    covered_by: list[str] = []
    student: bool = False
    living_alone: bool = False
    household_size: int = 1
    income_per_capita_fen: int = 0
    created_at: datetime


class CaseStatus(StrEnum):
    OPEN = "open"  # opened, not yet granted
    ACTIVE = "active"  # entitlement granted
    EXITED = "exited"  # 动态退出


class Case(Row, frozen=True, kw_only=True):
    """一人一档: the file of one person in one region."""

    id: int
    region_id: str
    person_id: int
    area_code: str
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None = None
    exit_reason: str = ""


class Assessment(Row, frozen=True, kw_only=True):
    id: int
    case_id: int
    instrument: str
    answers: dict[str, int]
    domain_scores: dict[str, int]
    total: int
    level: str
    recommended_items: list[str]
    assessed_by: str
    assessed_at: datetime


class TierState(Row, frozen=True, kw_only=True):
    idx: int
    name: str
    share_percent: int
    cap_fen: int
    spent_fen: int


class Entitlement(Row, frozen=True, kw_only=True):
    id: int
    case_id: int
    region_id: str
    year: int
    annual_fen: int
    spent_fen: int
    reviews: int
    rule_version: str
    eligibility_rule: str
    reasons: list[str]
    granted_at: datetime
    granted_by: str


class OrderStatus(StrEnum):
    PLACED = "placed"  # 群众点单
    DISPATCHED = "dispatched"  # 平台派单
    ACCEPTED = "accepted"  # 社工接单
    IN_SERVICE = "in_service"  # checked in
    DELIVERED = "delivered"  # checked out, confirmed
    RATED = "rated"  # 群众评单
    CANCELLED = "cancelled"


class Order(Row, frozen=True, kw_only=True):
    id: int
    region_id: str
    case_id: int
    entitlement_id: int
    item_code: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    tier_idx: int
    urgent: bool
    status: OrderStatus
    due_at: datetime
    provider_id: int | None = None
    worker_id: int | None = None
    placed_at: datetime
    placed_by: str
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancelled_at: datetime | None = None
    escalation_level: int = 0
    escalated_to: str = ""
    note: str = ""
    rule_version: str = ""


class Delivery(Row, frozen=True, kw_only=True):
    order_id: int
    checkin_at: datetime
    checkout_at: datetime | None = None
    minutes: int = 0
    steps_done: list[str] = []
    confirmed_by: str = ""
    confirmation: str = ""


class Rating(Row, frozen=True, kw_only=True):
    order_id: int
    score: int
    satisfied: bool
    comment: str = ""
    rated_at: datetime


class Provider(Row, frozen=True, kw_only=True):
    id: int
    region_id: str
    name: str
    area_code: str
    light: str = "green"
    light_reason: str = ""
    active: bool = True


class Worker(Row, frozen=True, kw_only=True):
    id: int
    provider_id: int
    name: str
    phone: str = ""
    qualifications: list[str] = []
    active: bool = True


class Visit(Row, frozen=True, kw_only=True):
    """回访 / home visit; a `review` visit also opens the next stage of a tiered budget."""

    id: int
    case_id: int
    order_id: int | None = None
    kind: str
    satisfied: bool | None = None
    notes: str = ""
    visited_by: str
    visited_at: datetime


class CaseEvent(Row, frozen=True, kw_only=True):
    """Append-only: who, when, what, why."""

    id: int
    case_id: int
    at: datetime
    actor: str
    kind: str
    reason: str = ""
    detail: dict[str, Any] = {}


class LedgerEntry(Row, frozen=True, kw_only=True):
    id: int
    entitlement_id: int
    order_id: int
    tier_idx: int
    source_code: str
    amount_fen: int
    kind: str
    at: datetime


# --- inputs (strict: unknown fields are errors) -------------------------------------


class NewPerson(Base, frozen=True, kw_only=True):
    region_id: RegionId
    id_number: IdNumber
    name: PersonName
    area_code: AreaCode
    sex: Literal["", "男", "女"] = ""
    phone: Phone = ""
    household_id: Id | None = None
    groups: Annotated[list[Tag], Meta(max_length=20)] = []
    disability_grade: DisabilityGrade = 0
    major_illness: bool = False
    chronic_illness: bool = False
    covered_by: Annotated[list[Tag], Meta(max_length=20)] = []
    student: bool = False
    living_alone: bool = False
    household_size: HouseholdSize = 1
    income_per_capita_fen: Fen = 0
