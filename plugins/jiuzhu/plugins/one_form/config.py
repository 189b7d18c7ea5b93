"""The joint application form's data (policies.toml): departments, form fields, policies."""

from __future__ import annotations

from typing import Literal

from jiuzhu.core.base import Base
from jiuzhu.core.conditions import Criteria


class Department(Base, frozen=True, kw_only=True):
    code: str
    name: str
    deadline_days: int = 15  # working days to decide a task
    source: str = ""
    illustrative: bool = False


class FormField(Base, frozen=True, kw_only=True):
    code: str
    label: str
    kind: Literal["text", "int", "money", "bool", "date", "choice"] = "text"
    choices: list[str] = []
    help: str = ""

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
    departments: list[Department]
    fields: list[FormField] = []
    policies: list[Policy]

    def __post_init__(self) -> None:
        depts = [d.code for d in self.departments]
        if len(set(depts)) != len(depts):
            raise ValueError("department codes must be unique")
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
