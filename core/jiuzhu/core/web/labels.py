"""Chinese for every code a page shows: event kinds, permissions, fields, rules, policies,
disability grades. One registry per region, filled by the core's own labels and by plugins
(``jiuzhu_register_labels``); a code nobody labelled is shown as 「其他事项」 rather than
as the code, and the registry can list what it lacks (tests/web/test_labels.py).

Kinds of label (the first argument of ``register``):

- ``event``: case-event kinds (``order.placed`` → 点单)
- ``permission``: permission names (``order.dispatch`` → 派单)
- ``field``: input fields named in an error (``confirmed_by`` → 签字确认人)
- ``rule``: rules that refuse (``entitlement.exhausted`` → …)
- ``policy``: a region's policy codes (``temp_relief`` → 临时救助; the one-form registers
  the region's own names from its policy list)
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..regions import Region

KINDS = ("event", "permission", "field", "rule", "policy")
_CODE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:[._][a-z0-9]+)+(?![\w])")

EVENTS: dict[str, str] = {
    "case.opened": "立案（一人一档）",
    "case.activated": "开始享受服务",
    "case.exited": "退出（动态退出）",
    "assessment.recorded": "需求评估",
    "eligibility.refused": "资格判定：不符合",
    "entitlement.granted": "授予服务额度",
    "entitlement.shortfall": "服务量未达保障下限",
    "stage.review": "阶段评估（开放下一阶段额度）",
    "stage.review_not_counted": "阶段评估（未计入：间隔不足）",
    "order.placed": "点单",
    "order.dispatched": "派单",
    "order.accepted": "社工接单",
    "order.started": "开始上门服务",
    "order.visited": "上门服务一次",
    "order.delivered": "服务完成（签字确认）",
    "order.closed": "提前结束工单",
    "order.rated": "服务评价",
    "order.cancelled": "取消工单",
    "order.escalated": "工单超时升级",
    "visit.return": "回访",
    "visit.review": "阶段评估",
    "visit.home": "入户走访",
    "visit.supervision": "服务督导",
    "visit.survey": "满意度调查",
    "session.attended": "参加小组活动",
    "household.head": "设为户主",
    "household.joined": "加入户",
    "household.moved": "迁入他户",
    "household.relation": "更改与户主关系",
    "household.left": "离开户",
}
PERMISSIONS: dict[str, str] = {
    "case.read": "查看一人一档",
    "case.write": "登记对象、立案与退出",
    "assess": "需求评估",
    "grant": "资格判定与授予额度",
    "order.read": "查看工单",
    "order.place": "点单",
    "order.dispatch": "派单",
    "order.work": "接单与上门服务",
    "order.cancel": "取消工单",
    "order.rate": "录入评价",
    "visit": "回访与走访",
    "provider.read": "查看服务机构",
    "provider.write": "登记服务机构",
    "session.run": "组织小组活动",
    "stats.read": "查看统计与监管",
    "id.full": "查看完整身份证号",
    "users.manage": "管理账号",
}
FIELDS: dict[str, str] = {
    "id_number": "身份证号",
    "name": "姓名",
    "phone": "联系电话",
    "address": "住址",
    "area_code": "所在区域",
    "groups": "救助类别",
    "disability_grade": "残疾等级",
    "birth_date": "出生日期",
    "sex": "性别",
    "reason": "原因",
    "note": "备注",
    "notes": "情况记录",
    "kind": "类别",
    "item_code": "服务项目",
    "quantity": "数量",
    "provider_id": "服务机构",
    "worker_id": "社工",
    "order_id": "工单",
    "case_id": "案件",
    "person_id": "服务对象",
    "household_id": "户",
    "relation": "与户主关系",
    "confirmed_by": "签字确认人",
    "signer": "签字确认人",
    "steps": "服务规范步骤",
    "minutes": "服务时长",
    "score": "评分",
    "comment": "评价意见",
    "satisfied": "是否满意",
    "username": "用户名",
    "password": "密码",
    "policies": "申请事项",
    "documents": "已收材料",
    "decisions": "审批决定",
    "status": "状态",
    "title": "活动主题",
    "starts_at": "开始时间",
    "body": "提交内容",
    "q": "搜索",
    "date_from": "起始日期",
    "date_to": "截止日期",
}
RULES: dict[str, str] = {
    "access": "权限",
    "auth": "登录",
}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
UNKNOWN = "其他事项"


def grade(value: object) -> str:
    """A disability grade as people read it (1 → 一级); none → 无."""
    if value in (None, "", 0):
        return "无"
    try:
        return GRADES[int(str(value))]
    except (KeyError, ValueError):
        return str(value)


@dataclass
class Labels:
    """Every label of one region: ``labels.event("order.placed")`` → 点单."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def register(self, kind: str, labels: Mapping[str, str]) -> None:
        if kind not in self.by_kind:
            raise ValueError(f"unknown kind of label {kind!r}; known: {', '.join(KINDS)}")
        for code, label in labels.items():
            if not label.strip():
                raise ValueError(f"empty label for {kind} {code!r}")
            self.by_kind[kind][code] = label

    def get(self, kind: str, code: str, default: str | None = None) -> str:
        found = self.by_kind.get(kind, {}).get(code)
        if found is not None:
            return found
        if kind == "field" and "." in code:  # form.phone, decisions.x.reason: the leaf
            parts = [p for p in code.split(".") if p]
            for part in reversed(parts):
                if part in self.by_kind["field"]:
                    return self.by_kind["field"][part]
                if part in self.by_kind["policy"]:
                    return self.by_kind["policy"][part]
        return default if default is not None else UNKNOWN

    def event(self, code: str) -> str:
        return self.get("event", code)

    def permission(self, code: str) -> str:
        return self.get("permission", code, "此操作")

    def field(self, code: str) -> str:
        return self.get("field", code, "填写内容")

    def policy(self, code: str) -> str:
        return self.get("policy", code, code)

    def prose(self, text: str) -> str:
        """A message for people with any code in it replaced by its label (a refusal that
        names a policy, a permission or a field): ``事项 temp_relief 已作出决定`` → 事项
        「临时救助」已作出决定. Codes nobody labelled are left as they are."""

        def label(match: re.Match[str]) -> str:
            code = match.group(0)
            for kind in ("policy", "permission", "event", "field", "rule"):
                found = self.by_kind[kind].get(code)
                if found is not None:
                    return f"「{found}」"
            return code

        return _CODE.sub(label, text)

    def missing(self, kind: str, codes: list[str]) -> list[str]:
        return [c for c in codes if c not in self.by_kind[kind]]


def core_labels() -> Labels:
    labels = Labels()
    labels.register("event", EVENTS)
    labels.register("permission", PERMISSIONS)
    labels.register("field", FIELDS)
    labels.register("rule", RULES)
    return labels


def build_labels(pm: Any, region: Region | None) -> Labels:
    """The core's labels and every plugin's (``jiuzhu_register_labels``) for ``region``."""
    labels = core_labels()
    register: Callable[[str, Mapping[str, str]], None] = labels.register
    pm.hook.jiuzhu_register_labels(region=region, register=register)
    return labels


_CACHE: weakref.WeakKeyDictionary[Any, dict[str, Labels]] = weakref.WeakKeyDictionary()


def labels_for(pm: Any, region: Region | None) -> Labels:
    """Built once per plugin manager and region (labels are data, not state)."""
    per_pm = _CACHE.setdefault(pm, {})
    key = region.id if region is not None else ""
    found = per_pm.get(key)
    if found is None:
        found = per_pm[key] = build_labels(pm, region)
    return found
