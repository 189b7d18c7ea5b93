"""A region's 融救联助 data (resources.toml): its resource library to import, its charity
funds, its micro-wish rules and its case-team rules. Decoded strictly (unknown keys are
errors); every entry names its source or is marked ``illustrative = true``."""

from __future__ import annotations

from typing import Literal

from jiuzhu.core.base import Base

ResourceKind = Literal["organisation", "unit", "business", "volunteer", "sentinel"]
KIND_LABELS: dict[str, str] = {
    "organisation": "社会组织",
    "unit": "驻地单位",
    "business": "爱心企业",
    "volunteer": "志愿者",
    "sentinel": "需求哨点",
}


class Offer(Base, frozen=True, kw_only=True):
    """What a resource offers: service content, the needs it answers, where, how much."""

    content: str  # 服务内容
    needs: list[str] = []  # need tags it answers (助医, 助学, 学习用品 …)
    area_code: str = ""  # where it serves ("" = where the resource is)
    capacity: int = 0  # how many people or times per month (0 = not stated)
    owner: str = ""  # 责任主体 ("" = the resource itself)
    standard: str = ""  # 服务标准
    contact: str = ""


class Resource(Base, frozen=True, kw_only=True):
    code: str
    name: str
    kind: ResourceKind
    area_code: str
    contact: str = ""
    location: str = ""  # a sentinel's place (小区院落)
    offers: list[Offer] = []
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError(f"resource {self.code}: name a source or mark it illustrative = true")


class Fund(Base, frozen=True, kw_only=True):
    """A charity fund: money donated to the region's charity funding source."""

    code: str
    name: str
    source_code: str  # the funding source (funding.toml) its money belongs to
    source: str = ""
    illustrative: bool = False


class Count(Base, frozen=True, kw_only=True):
    """A count the sources report (188 social organisations …) against the library's own;
    one count may span kinds (Xingqing's 40+ units are organisations and businesses)."""

    label: str
    kinds: list[ResourceKind]
    reported: int
    source: str


class WishRules(Base, frozen=True, kw_only=True):
    """微心愿 / 许愿池: who may see what and the deadlines."""

    street_level: str  # the level name a wish's area is shown at (乡镇街道)
    claim_days: int = 30  # published → claimed within
    fulfil_days: int = 15  # claimed → fulfilled within
    confirm_days: int = 7  # fulfilled → confirmed within
    max_value_fen: int = 100_000_00
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if min(self.claim_days, self.fulfil_days, self.confirm_days) <= 0:
            raise ValueError("wish deadlines must be at least one day")
        if self.max_value_fen <= 0:
            raise ValueError("max_value_fen must be positive")


class Grade(Base, frozen=True, kw_only=True):
    code: Literal["general", "key", "difficult"]
    label: str  # 一般 / 重点 / 疑难
    review_days: int  # the team reviews the case at least every so many days
    min_resource_holders: int = 1  # N of 1+1+N at this grade
    source: str = ""
    illustrative: bool = False


class TeamRules(Base, frozen=True, kw_only=True):
    """1+1+N: a social worker, a township officer, N resource holders; graded review."""

    lead_label: str = "专业社工"
    officer_label: str = "乡镇（街道）救助专干"
    holder_label: str = "资源方代表"
    grades: list[Grade]
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        codes = [g.code for g in self.grades]
        if sorted(codes) != sorted(set(codes)) or not codes:
            raise ValueError("grades: each of general/key/difficult at most once, at least one")
        if any(g.review_days <= 0 or g.min_resource_holders < 0 for g in self.grades):
            raise ValueError("grades: review_days must be positive, min_resource_holders ≥ 0")

    def grade(self, code: str) -> Grade:
        for g in self.grades:
            if g.code == code:
                return g
        raise KeyError(code)


class ResourceConfig(Base, frozen=True, kw_only=True):
    name: str  # 兴系你 / 融救联助
    summary: str = ""
    source: str = ""
    library: list[Resource] = []
    counts: list[Count] = []
    funds: list[Fund] = []
    wishes: WishRules
    teams: TeamRules

    def __post_init__(self) -> None:
        for what, codes in (
            ("library", [r.code for r in self.library]),
            ("funds", [f.code for f in self.funds]),
        ):
            if len(set(codes)) != len(codes):
                raise ValueError(f"{what}: codes must be unique")

    def summary_text(self) -> str:
        return f"{self.name}: {len(self.library)} resources, {len(self.funds)} charity funds"
