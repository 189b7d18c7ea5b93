"""Kinds of service: the region-independent vocabulary needs are expressed in.

A population is shared by every region, so a person's needs cannot name one region's
catalogue items. They name a *kind* of service (助餐, 助洁, 康复 …) in units per year; each
region's items are mapped to kinds by keywords in the item's name, and a region may
override the mapping in its data (``service_kinds.toml``).

The order of ``KINDS`` is also the order in which a plan buys within a stage (a setting):
visits first — the worker's first visit opens the plan, as in Ordos's worked example —
then daily living, health, and last capacity building and job linking.
"""

from __future__ import annotations

from collections.abc import Mapping

from jiuzhu.core.catalogue import Item
from jiuzhu.core.regions import Region

from .config import ServiceKinds

KINDS: tuple[str, ...] = (
    "慰问",  # visits, festival greetings, care calls (探访关爱)
    "助洁",  # cleaning, laundry
    "助浴",  # bathing
    "助餐",  # meals, cooking
    "个人护理",  # haircut, foot soak, nails, ears
    "上门照护",  # home care, respite, errands
    "陪诊",  # escort to hospital, hospital care, dialysis transport
    "助行",  # mobility, outings
    "康复",  # rehabilitation, physiotherapy, massage, aids, health monitoring
    "心理疏导",  # counselling, emotional support
    "社会融入",  # social integration, culture, volunteering
    "助学",  # study support, tutoring, school transport, study trips
    "技能培训",  # skills and job training
    "就业链接",  # job and resource linking, flexible employment, policy help
)

# (keyword, kind) pairs: the first keyword (in this order) found in an item's name decides.
# Specific keywords come before generic ones ("康复护理" is 康复, not 上门照护). A kind of
# "" means the item meets no need of the vocabulary (assessments): plans never buy it.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("情况评估", ""),
    ("方案制定", ""),
    ("耳垢", "个人护理"),
    ("透析", "陪诊"),
    ("陪诊", "陪诊"),
    ("助医", "陪诊"),
    ("就医", "陪诊"),
    ("陪护", "陪诊"),
    ("心理", "心理疏导"),
    ("疏导", "心理疏导"),
    ("疗愈", "心理疏导"),
    ("分享", "心理疏导"),
    ("调适", "心理疏导"),
    ("慰藉", "心理疏导"),
    ("康复", "康复"),
    ("理疗", "康复"),
    ("按摩", "康复"),
    ("辅具", "康复"),
    ("器具", "康复"),
    ("假肢", "康复"),
    ("健康", "康复"),
    ("服药", "康复"),
    ("喘息", "上门照护"),
    ("照护", "上门照护"),
    ("照料", "上门照护"),
    ("代购", "上门照护"),
    ("助浴", "助浴"),
    ("洗浴", "助浴"),
    ("助餐", "助餐"),
    ("送餐", "助餐"),
    ("做饭", "助餐"),
    ("保洁", "助洁"),
    ("助洁", "助洁"),
    ("清洁", "助洁"),
    ("打扫", "助洁"),
    ("擦玻璃", "助洁"),
    ("清洗", "助洁"),
    ("理发", "个人护理"),
    ("泡脚", "个人护理"),
    ("修剪", "个人护理"),
    ("助学", "助学"),
    ("学业", "助学"),
    ("作文", "助学"),
    ("研学", "助学"),
    ("接送", "助学"),
    ("培训", "技能培训"),
    ("技能", "技能培训"),
    ("技艺", "技能培训"),
    ("职业规划", "技能培训"),
    ("创业", "技能培训"),
    ("就业", "就业链接"),
    ("岗位", "就业链接"),
    ("链接", "就业链接"),
    ("对接", "就业链接"),
    ("心愿", "就业链接"),
    ("政策", "就业链接"),
    ("法律", "就业链接"),
    ("一户一策", "就业链接"),
    ("助行", "助行"),
    ("出行", "助行"),
    ("流动服务", "上门照护"),
    ("融入", "社会融入"),
    ("文化", "社会融入"),
    ("志愿", "社会融入"),
    ("活动", "社会融入"),
    ("慰问", "慰问"),
    ("探访", "慰问"),
    ("走访", "慰问"),
    ("探视", "慰问"),
    ("关爱", "慰问"),
    ("关怀", "慰问"),
    ("居家小修", "上门照护"),
    ("安全检查", "上门照护"),
)


def kind_by_keyword(name: str) -> str:
    """The kind an item name's keywords give, or "" when no keyword matches."""
    for keyword, kind in KEYWORDS:
        if keyword in name:
            return kind
    return ""


def item_kinds(region: Region, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Item code -> kind ("" for none) for every item of the region's catalogue.

    Precedence: ``overrides`` (the comparison's own settings) over the region's
    ``service_kinds.toml`` over the item-name keywords.
    """
    data = region.section("service_kinds", ServiceKinds)
    from_data = data.items if data is not None else {}
    out: dict[str, str] = {}
    for item in region.catalogue.items:
        out[item.code] = _pick(item, from_data, overrides or {})
    return out


def _pick(item: Item, from_data: Mapping[str, str], overrides: Mapping[str, str]) -> str:
    if item.code in overrides:
        return overrides[item.code]
    if item.code in from_data:
        return from_data[item.code]
    return kind_by_keyword(item.name)


def check_kind(kind: str) -> str | None:
    """A problem message when ``kind`` is not in the vocabulary (nor "")."""
    if kind == "" or kind in KINDS:
        return None
    return f'unknown kind of service {kind!r}; known: {", ".join(KINDS)} (or "" for none)'
