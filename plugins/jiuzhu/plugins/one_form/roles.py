"""The one-form's role: 部门审批 (approver), registered through ``jiuzhu_register_roles``
with its permissions (application.accept, application.read, task.decide)."""

from __future__ import annotations

from jiuzhu.core.regions import Region

from .config import PolicyList

APPROVER = "approver"  # 部门审批: decides the tasks of one department


def departments(region: Region) -> list[str]:
    """The departments a region's joint form names (its policies.toml), by code, with the
    verification visit's department: an approver belongs to one of them."""
    policies = region.section("policies", PolicyList)
    if policies is None:
        return []
    codes = [d.code for d in policies.departments]
    if policies.verification_visit and policies.verification_department not in codes:
        codes.append(policies.verification_department)
    return codes
