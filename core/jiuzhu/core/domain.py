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
    AreaCodeOrBlank,
    DisabilityGrade,
    DisabilityType,
    Fen,
    HouseholdSize,
    Id,
    IdNumber,
    PersonName,
    Phone,
    RegionId,
    Relation,
    Tag,
)


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """Domain records read from storage (extra columns are ignored, not errors)."""


# relation to the household head (与户主关系); the first is the head
RELATIONS: tuple[str, ...] = (
    "户主",
    "配偶",
    "子女",
    "父母",
    "兄弟姐妹",
    "孙子女",
    "祖父母",
    "其他",
)


class Household(Row, frozen=True, kw_only=True):
    """一户一档: a household and its members (persons.household_id, persons.relation)."""

    id: int
    region_id: str
    area_code: str
    address: str = ""
    phone: str = ""
    size: int = 1
    head_person_id: int | None = None
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
    hukou_area_code: str = ""
    relation: str = ""
    groups: list[str] = []
    disability_grade: int = 0
    disability_type: str = ""
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
    raised_by: list[str] = []  # why the level was raised one step, if it was
    assessed_by: str
    assessed_at: datetime


class Entitlement(Row, frozen=True, kw_only=True):
    """A case's entitlement for a year, in the unit and period of its scheme (a plugin's
    rule, recorded by ``rule_version``): ``amount`` per period, ``used`` in all periods."""

    id: int
    case_id: int
    region_id: str
    year: int
    scheme: str
    unit: str  # fen | minutes | count
    kind: str  # cap | floor
    period: str  # year | quarter | month
    level: str = ""  # the assessment level the rule was chosen for
    amount: int
    used: int
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
    entitlement_id: int | None = None  # none: the item spends no entitlement
    item_code: str
    quantity: int
    unit_price_fen: int
    amount_fen: int  # money, booked to the funding sources at placement
    period_key: str = ""  # the entitlement period the order books in
    bucket_idx: int | None = None  # the bucket (stage, tier) paying it
    cost: int = 0  # what a cap reserved, in the entitlement's unit
    session_id: int | None = None  # a group session's attendance
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
    """One visit: check-in … check-out, the standard's steps ticked, the recipient's
    signature. An order of several units is delivered over several."""

    id: int
    order_id: int
    worker_id: int | None = None
    checkin_at: datetime
    checkout_at: datetime | None = None
    minutes: int = 0
    steps_done: list[str] = []
    signer: str = ""
    signature: str = ""


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
    light: str = ""  # the standing's code (a plugin's: e.g. the traffic light's colour)
    light_label: str = ""
    light_reason: str = ""
    blocks_dispatch: bool = False
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
    """Money by funding source (fen)."""

    id: int
    entitlement_id: int | None = None
    order_id: int
    source_code: str
    amount_fen: int
    kind: str
    at: datetime


class UsageEntry(Row, frozen=True, kw_only=True):
    """The unit ledger: an entitlement's booking or refund, in its unit."""

    id: int
    entitlement_id: int
    order_id: int
    delivery_id: int | None = None
    period_key: str
    bucket_idx: int
    amount: int
    kind: str
    at: datetime


class GroupSession(Row, frozen=True, kw_only=True):
    """小组工作 / 主题活动: one session, many attendees (each a person-time)."""

    id: int
    region_id: str
    item_code: str
    provider_id: int
    worker_id: int | None = None
    title: str
    area_code: str
    starts_at: datetime
    minutes: int
    status: str  # open | closed
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None


class Attendee(Row, frozen=True, kw_only=True):
    session_id: int
    case_id: int
    order_id: int
    checked_in_at: datetime
    checked_in_by: str


# --- inputs (strict: unknown fields are errors) -------------------------------------


class NewPerson(Base, frozen=True, kw_only=True):
    region_id: RegionId
    id_number: IdNumber
    name: PersonName
    area_code: AreaCode
    hukou_area_code: AreaCodeOrBlank = ""  # 户籍地区划代码 (any province); "" when not recorded
    sex: Literal["", "男", "女"] = ""
    phone: Phone = ""
    household_id: Id | None = None
    relation: Relation = ""  # relation to the household head (RELATIONS); "" when no household
    groups: Annotated[list[Tag], Meta(max_length=20)] = []
    disability_grade: DisabilityGrade = 0
    disability_type: DisabilityType = ""
    major_illness: bool = False
    chronic_illness: bool = False
    covered_by: Annotated[list[Tag], Meta(max_length=20)] = []
    student: bool = False
    living_alone: bool = False
    household_size: HouseholdSize = 1
    income_per_capita_fen: Fen = 0
