"""`/config` as people read it: each section of the region's data as tables with Chinese
headings, money in 元, conditions in words, codes replaced by the names the data gives
them, and every sourced fact marked 「有出处」 (its source beside it) or 「示例」.

The renderer is generic (a plugin's section renders too): a key is labelled from
``CONFIG_KEYS`` or the region's labels (``jiuzhu_register_labels``, kind ``field``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec
from markupsafe import Markup, escape

from ...conditions import Condition, Criteria, describe_condition, describe_criteria
from ...money import yuan
from ..labels import Labels

SECTIONS = {
    "region": "地区与区划",
    "catalogue": "服务清单",
    "budget": "分档额度",
    "time_floor": "保障下限",
    "funding": "资金来源",
    "eligibility": "纳入条件",
    "assessment": "评估量表",
    "needs": "需求与服务项目对应",
    "policies": "政策与部门（一表通办）",
    "staffing": "人员配备",
    "supervision": "监管（红黄绿灯）",
    "calibration": "校准参数",
}
HIDDEN = {"id", "plugin_version", "code", "name_en", "source", "illustrative", "version"}
CONFIG_KEYS = {
    "name": "名称",
    "summary": "概述",
    "description": "说明",
    "sources": "出处",
    "levels": "区划层级",
    "areas": "区划",
    "parent": "上级区划",
    "timezone": "时区",
    "categories": "类别",
    "category": "类别",
    "items": "服务项目",
    "item": "服务项目",
    "kind": "类型",
    "kinds": "需求类型",
    "unit": "计量单位",
    "unit_price_fen": "单价",
    "price_changes": "调价",
    "price_illustrative": "单价为示例",
    "valid_from": "起始日期",
    "who": "对象条件",
    "standard": "服务规范",
    "min_minutes": "每次最少时长（分钟）",
    "minutes_per_unit": "每单位时长（分钟）",
    "minutes_per_visit": "每次时长（分钟）",
    "max_per_month": "每月上限",
    "max_per_year": "每年上限",
    "max_fen_per_year": "每年金额上限",
    "spends_entitlement": "占用服务额度",
    "responsible": "责任单位",
    "times": "次数",
    "group": "分组",
    "mode": "方式",
    "period": "周期",
    "versions": "版本",
    "amount": "额度",
    "annual_fen": "年度额度",
    "tiers": "阶段（档次）",
    "share_percent": "比例（%）",
    "opens": "开放时机",
    "min_previous_used_percent": "前一阶段须用完（%）",
    "leftover": "未用部分",
    "purpose": "用途",
    "stage_review": "阶段评估",
    "min_interval_days": "最短间隔（天）",
    "shares": "分担比例（%）",
    "level": "级别",
    "overrides": "特别规定",
    "include": "纳入",
    "exclude": "排除",
    "all": "须全部满足",
    "any": "满足其一",
    "higher_is": "分值含义",
    "domains": "领域",
    "domain": "领域",
    "indicators": "指标",
    "indicator": "指标",
    "options": "选项",
    "label": "选项",
    "score": "分值",
    "scored": "计分",
    "min_score": "最低分",
    "max_score": "最高分",
    "min_total": "最低总分",
    "raise_level": "提高等级",
    "uses": "采用",
    "values": "取值",
    "dimensions": "维度",
    "offered": "提供服务",
    "reason": "说明",
    "departments": "部门",
    "department": "承办部门",
    "deadline_days": "办理时限（天）",
    "fields": "表单项",
    "documents": "所需材料",
    "opens_items": "获批后开通",
    "choices": "可选值",
    "help": "填写说明",
    "required": "必填",
    "policies": "政策事项",
    "verification_visit": "入户核实",
    "verification_department": "核实部门",
    "verification_name": "核实环节",
    "verification_days": "核实时限（天）",
    "verified_first": "须先入户核实",
    # calibration.toml: published delivery figures
    "households": "户数",
    "hours": "服务小时",
    "spent_fen": "支出金额",
    "receipt_prefix": "受理编号前缀",
    "hours_per_worker_per_year": "每名社工年服务小时",
    "min_team_size": "团队最少人数",
    "min_intermediate_social_workers": "中级社工最少人数",
    "min_junior_social_workers": "助理社工最少人数",
    "max_recipients_per_team": "每团队最多服务对象",
    "traffic_light": "红黄绿灯",
    "min_ratings": "评价数至少",
    "green_min_satisfied_percent": "绿灯：满意率不低于（%）",
    "red_below_satisfied_percent": "红灯：满意率低于（%）",
    "red_below_mean_score": "红灯：平均分低于",
    "yellow_max_overdue_percent": "黄灯：超时率高于（%）",
    "normal_response_hours": "一般响应时限（小时）",
    "urgent_response_hours": "紧急响应时限（小时）",
    "return_visit_days": "回访期限（天）",
    "satisfaction_survey_months": "满意度调查间隔（月）",
    "min_days": "每月最少天数",
    "persons": "人数",
    "providers": "服务机构",
    "targets": "目标",
    "service": "服务",
    "other": "其他",
    "fact": "条件",
    "code": "代码",
}
VALUES = {
    "fen": "元",
    "minutes": "分钟",
    "count": "次",
    "visit": "次",
    "hour": "小时",
    "day": "天",
    "item": "件",
    "year": "每年",
    "calendar_year": "每自然年",
    "quarter": "每季度",
    "month": "每月",
    "grant": "授予额度时",
    "review": "阶段评估后",
    "carry": "结转下一阶段",
    "lapse": "作废",
    "need": "分越高越需要服务",
    "ability": "分越高能力越好",
    "cash": "现金",
    "in_kind": "实物",
    "service": "服务",
    "other": "其他",
    "all": "全部",
    "any": "其一",
}


_CODE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.])")
_SOURCED = '<span class="mark sourced">有出处</span><span class="source">{}</span>'
_TABLE = '<div class="table-wrap"><table class="config"><tr>{}</tr>{}</table></div>'


class ConfigView:
    """Renders a region's data (describe.region_data) to HTML."""

    def __init__(self, data: Mapping[str, Any], labels: Labels) -> None:
        self.labels = labels
        self.names: dict[str, str] = {}
        self._collect(data)

    def _collect(self, value: Any) -> None:
        """Every {code, name} pair of the data: a code elsewhere is shown by its name."""
        if isinstance(value, Mapping):
            code = value.get("code")
            name = value.get("name") or value.get("label") or value.get("header")
            if isinstance(code, str) and isinstance(name, str) and name:
                self.names.setdefault(code, name)
            for v in value.values():
                self._collect(v)
        elif isinstance(value, list):
            for v in value:
                self._collect(v)

    def key(self, key: str) -> str:
        if key in CONFIG_KEYS:
            return CONFIG_KEYS[key]
        if key in self.names:
            return self.names[key]
        return self.labels.get("field", key, key)

    def sections(self, data: Mapping[str, Any]) -> list[tuple[str, Markup]]:
        out = []
        order = [k for k in SECTIONS if k in data] + [
            k for k in data if k not in SECTIONS and k not in HIDDEN
        ]
        for name in order:
            title = SECTIONS.get(name) or self.key(name)
            out.append((title, self.render(data[name], name)))
        return out

    # --- values ------------------------------------------------------------------------------
    def render(self, value: Any, key: str = "") -> Markup:
        if value is None:
            return Markup("—")
        if isinstance(value, bool):
            return Markup("是" if value else "否")
        if isinstance(value, (int, float)):
            if key.endswith("_fen") and isinstance(value, int):
                return Markup(escape(yuan(value)))
            return Markup(escape(f"{value:g}" if isinstance(value, float) else str(value)))
        if isinstance(value, str):
            return Markup(escape(self.text(value)))
        if isinstance(value, Mapping):
            if "fact" in value:
                return Markup(escape(describe_condition(msgspec.convert(value, Condition))))
            if set(value) <= {"all", "any"}:
                text = describe_criteria(msgspec.convert(value, Criteria))
                return Markup(escape(text or "不限"))
            return self.mapping(value)
        if isinstance(value, list):
            if value and all(isinstance(v, Mapping) and "fact" not in v for v in value):
                return self.table(value)
            shown = [str(self.render(v, key)) for v in value]
            return Markup("、".join(shown) if shown else "—")
        return Markup(escape(str(value)))

    def text(self, value: str) -> str:
        return (
            self.names.get(value)
            or VALUES.get(value)
            or self.labels.by_kind.get("field", {}).get(value)
            or self.prose(value)
        )

    def prose(self, value: str) -> str:
        """Free text (a summary, a source) naming a key: the key's label instead."""
        return _CODE.sub(lambda m: self.names.get(m[0]) or CONFIG_KEYS.get(m[0]) or m[0], value)

    def mark(self, value: Mapping[str, Any]) -> Markup:
        """「示例」 or 「有出处」 with the source beside it; nothing when neither is said."""
        if value.get("illustrative") or value.get("price_illustrative"):
            return Markup('<span class="mark illustrative">示例</span>')
        source = value.get("source")
        if source:
            return Markup(_SOURCED).format(self.prose(str(source)))
        return Markup("")

    def mapping(self, value: Mapping[str, Any]) -> Markup:
        rows = []
        for k, v in value.items():
            if k in HIDDEN or v is None or k == "price_illustrative" or v in ([], {}, ""):
                continue
            rows.append(Markup("<dt>{}</dt><dd>{}</dd>").format(self.key(k), self.render(v, k)))
        mark = self.mark(value)
        body = Markup('<dl class="kv">{}</dl>').format(Markup("").join(rows))
        return Markup('<p class="marks">{}</p>').format(mark) + body if mark else body

    def table(self, rows: list[Mapping[str, Any]]) -> Markup:
        columns: list[str] = []
        codes = [r.get("code") for r in rows]
        if all(isinstance(c, str) and c.isdigit() for c in codes):
            columns.append("code")  # area codes (GB/T 2260): what an IT team looks for
        for row in rows:
            for k, v in row.items():
                skip = k in HIDDEN or k == "price_illustrative" or v in (None, [], {}, "")
                if not skip and k not in columns:
                    columns.append(k)
        marks = any("source" in r or "illustrative" in r for r in rows)
        head = Markup("").join(Markup("<th>{}</th>").format(self.key(c)) for c in columns)
        if marks:
            head += Markup("<th>依据</th>")
        body = []
        for row in rows:
            cells = Markup("").join(
                Markup('<td class="{}">{}</td>').format(
                    "num" if c.endswith(("_fen", "_percent", "_days")) else "",
                    self.render(row.get(c), c),
                )
                for c in columns
            )
            if marks:
                cells += Markup('<td class="basis">{}</td>').format(self.mark(row))
            body.append(Markup("<tr>{}</tr>").format(cells))
        return Markup(_TABLE).format(head, Markup("").join(body))
