"""The joint application form's data (policies.toml): departments, form fields, policies."""

from __future__ import annotations

from typing import Literal

from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria


class Department(Base, frozen=True, kw_only=True):
    code: str
    name: str
    deadline_days: int = 15  # days to decide a task (counted as calendar days)
    source: str = ""
    illustrative: bool = False


class FormField(Base, frozen=True, kw_only=True):
    code: str
    label: str
    kind: Literal["text", "int", "money", "bool", "date", "choice"] = "text"
    choices: list[str] = []
    help: str = ""
    # a chosen policy that lists this field cannot be submitted without it; false: a warning
    required: bool = True

    def __post_init__(self) -> None:
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"field {self.code}: choices go with kind = 'choice' only")


class Policy(Base, frozen=True, kw_only=True):
    code: str
    name: str
    department: str
    kind: Literal["cash", "service", "in_kind", "other"]
    group: str  # 生活保障 / 医疗救助 / 残疾支持 / 教育救助 / 就业 / 住房 / 其他
    fields: list[str] = []  # form fields the policy needs
    documents: list[str] = []  # documents the policy needs (身份证, 残疾人证 …)
    who: Criteria | None = None  # pre-ticks the policy at the front desk when it holds
    opens_items: list[str] = []  # catalogue items an approval opens in the service loop
    # decided only after the grid worker's verification visit (when the form has one);
    # false: the department may decide at once (e.g. a policy decided on documents alone)
    verified_first: bool = True
    description: str = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError(f"policy {self.code}: name a source or mark it illustrative = true")


class PolicyList(Base, frozen=True, kw_only=True):
    name: str  # e.g. 一类事一次办联办表
    summary: str = ""
    source: str = ""
    verification_visit: bool = True  # a grid worker verifies at home
    verification_department: str = "grid"  # the queue of the verification-visit task
    verification_name: str = "网格员入户核实"
    verification_days: int = 3
    receipt_prefix: str = ""  # e.g. "SZS"; the region id in capitals when empty
    departments: list[Department]
    fields: list[FormField] = []
    policies: list[Policy]

    def __post_init__(self) -> None:
        depts = [d.code for d in self.departments]
        if len(set(depts)) != len(depts):
            raise ValueError("department codes must be unique")
        if self.verification_visit and self.verification_department in depts:
            raise ValueError(
                f"verification_department {self.verification_department!r} "
                "is also a deciding department"
            )
        if self.verification_days < 0 or any(d.deadline_days < 0 for d in self.departments):
            raise ValueError("deadlines must not be negative")
        if self.receipt_prefix and not (
            self.receipt_prefix.isascii()
            and self.receipt_prefix.isalnum()
            and len(self.receipt_prefix) <= 12
        ):
            raise ValueError("receipt_prefix must be at most 12 ASCII letters and digits")
        field_codes = [f.code for f in self.fields]
        if len(set(field_codes)) != len(field_codes):
            raise ValueError("field codes must be unique")
        seen: set[str] = set()
        for i, p in enumerate(self.policies):
            if p.code in seen:
                raise ValueError(f"policies[{i}]: duplicate policy code {p.code!r}")
            seen.add(p.code)
            if p.department not in depts:
                raise ValueError(
                    f"policies[{i}] ({p.code}): department {p.department!r} is not one of {depts}"
                )
            unknown = [f for f in p.fields if f not in field_codes]
            if unknown:
                raise ValueError(f"policies[{i}] ({p.code}): unknown form fields {unknown}")

    def summary_text(self) -> str:
        return f"{self.name}: {len(self.policies)} policies of {len(self.departments)} departments"

    def department(self, code: str) -> Department:
        for d in self.departments:
            if d.code == code:
                return d
        raise KeyError(code)

    def policy(self, code: str) -> Policy:
        for p in self.policies:
            if p.code == code:
                return p
        raise KeyError(code)
