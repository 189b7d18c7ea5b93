"""A region's monitoring data (monitoring.toml): feed kinds, warning rules, warning levels
and the re-certification period (政策找人 / 动态监测).

Decoded strictly (unknown keys are errors, every problem named by file, key path and what
was expected); cross-field checks live in ``__post_init__``.
"""

from __future__ import annotations

from typing import Literal

from jiuzhu.core.base import Base

ColumnType = Literal["text", "int", "money", "date", "id_number", "bool", "area"]
Op = Literal[">", ">=", "<", "<=", "==", "!="]
BUILTIN_KINDS = ("threshold", "window", "all", "any", "score")


class Column(Base, frozen=True, kw_only=True):
    """One column of a feed file. ``header`` is the column's title in the file (the
    department's own wording); ``code`` is how rules name it."""

    code: str
    header: str
    type: ColumnType = "text"
    required: bool = True  # an empty cell is an error; false: empty means no value
    choices: list[str] = []  # text columns: the allowed values (empty: any text)

    def __post_init__(self) -> None:
        if self.choices and self.type != "text":
            raise ValueError(f"column {self.code}: choices go with type = 'text' only")


class FeedKind(Base, frozen=True, kw_only=True):
    """A kind of department data a region receives (医保住院费用, 残疾证变更, 死亡登记 …)."""

    code: str
    name: str
    department: str  # the department sending it, e.g. 医保局
    columns: list[Column]
    person: str  # the column holding the ID number that identifies the person
    date: str = ""  # the column dating an event (needed by window rules)
    area: str = ""  # a column holding the area code of an unregistered person
    # what a record of this kind means for people already served
    effect: Literal["", "death", "income"] = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        codes = [c.code for c in self.columns]
        if len(set(codes)) != len(codes):
            raise ValueError(f"feed {self.code}: column codes must be unique")
        headers = [c.header for c in self.columns]
        if len(set(headers)) != len(headers):
            raise ValueError(f"feed {self.code}: column headers must be unique")
        types = {c.code: c.type for c in self.columns}
        if types.get(self.person) != "id_number":
            raise ValueError(
                f"feed {self.code}: person = {self.person!r} must name an id_number column"
            )
        if self.date and types.get(self.date) != "date":
            raise ValueError(f"feed {self.code}: date = {self.date!r} must name a date column")
        if self.area and types.get(self.area) != "area":
            raise ValueError(f"feed {self.code}: area = {self.area!r} must name an area column")
        if self.effect == "income" and "income_fen" not in types:
            raise ValueError(f"feed {self.code}: effect 'income' needs a money column income_fen")
        if self.effect == "death" and not self.date:
            raise ValueError(f"feed {self.code}: effect 'death' needs a date column")
        if not self.source and not self.illustrative:
            raise ValueError(f"feed {self.code}: name a source or mark it illustrative = true")

    def column(self, code: str) -> Column:
        for c in self.columns:
            if c.code == code:
                return c
        raise KeyError(code)


class Level(Base, frozen=True, kw_only=True):
    code: Literal["red", "orange", "yellow"]
    label: str  # 红色预警
    response_hours: int  # a visit must be done within this many hours of the warning

    def __post_init__(self) -> None:
        if self.response_hours <= 0:
            raise ValueError(f"level {self.code}: response_hours must be positive")


class Rule(Base, frozen=True, kw_only=True):
    """A warning rule. ``kind`` is a built-in kind or one a plugin registers through
    ``jiuzhu_warning_rules``:

    - threshold: a row of ``feed`` whose ``column`` compares (``op``) to ``value``;
    - window: per person, the ``agg`` (sum or count) of ``column`` over ``days`` days ending
      on a row's date compares to ``value``;
    - all / any: a person flagged by all (any) of ``rules``;
    - score: a person whose sum of ``weights`` (points per rule that flags them) compares
      to ``value``.
    """

    code: str
    name: str
    kind: str
    level: Literal["red", "orange", "yellow"]
    feed: str = ""
    column: str = ""
    op: Op = ">="
    value: int = 0
    days: int = 0
    agg: Literal["sum", "count"] = "sum"
    rules: list[str] = []
    weights: dict[str, int] = {}
    params: dict[str, str | int | bool] = {}  # for plugin-registered kinds
    helper: bool = False  # only feeds other rules (combinations, scores): no warning of its own
    description: str = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if not self.source and not self.illustrative:
            raise ValueError(f"rule {self.code}: name a source or mark it illustrative = true")
        if self.kind in ("threshold", "window") and not (self.feed and self.column):
            raise ValueError(f"rule {self.code}: kind {self.kind!r} needs feed and column")
        if self.kind == "window" and self.days <= 0:
            raise ValueError(f"rule {self.code}: a window rule needs days > 0")
        if self.kind in ("all", "any") and len(self.rules) < 2:
            raise ValueError(f"rule {self.code}: kind {self.kind!r} needs at least two rules")
        if self.kind == "score" and not self.weights:
            raise ValueError(f"rule {self.code}: a score rule needs weights")

    def parts(self) -> list[str]:
        """The rules this rule combines (all/any/score)."""
        return list(self.weights) if self.kind == "score" else list(self.rules)


class Monitoring(Base, frozen=True, kw_only=True):
    """monitoring.toml."""

    name: str  # e.g. 低收入人口动态监测
    summary: str = ""
    source: str = ""
    recertify_months: int = 12  # 动态管理: each served case is re-certified this often
    income_line_fen: int = 0  # monthly per-capita income above which an exit review opens
    levels: list[Level]
    kinds: list[FeedKind]
    rules: list[Rule] = []

    def __post_init__(self) -> None:
        levels = [lv.code for lv in self.levels]
        if sorted(levels) != sorted(set(levels)) or set(levels) != {"red", "orange", "yellow"}:
            raise ValueError("levels: give red, orange and yellow once each")
        kinds = {k.code: k for k in self.kinds}
        if len(kinds) != len(self.kinds):
            raise ValueError("kinds: codes must be unique")
        if self.recertify_months <= 0:
            raise ValueError("recertify_months must be positive")
        seen: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.code in seen:
                raise ValueError(f"rules[{rule.code}]: duplicate rule code")
            if rule.feed:
                kind = kinds.get(rule.feed)
                if kind is None:
                    raise ValueError(f"rules[{rule.code}].feed: {rule.feed!r} is not a feed kind")
                if rule.column:
                    col = next((c for c in kind.columns if c.code == rule.column), None)
                    if col is None:
                        raise ValueError(
                            f"rules[{rule.code}].column: {rule.column!r} is not a column of "
                            f"feed {rule.feed}"
                        )
                    if rule.kind in ("threshold", "window") and col.type not in ("int", "money"):
                        raise ValueError(
                            f"rules[{rule.code}].column: {rule.column!r} is {col.type}, "
                            "not a number (int or money)"
                        )
                if rule.kind == "window" and not kind.date:
                    raise ValueError(
                        f"rules[{rule.code}]: feed {rule.feed} has no date column for a window"
                    )
            for part in rule.parts():
                if part not in seen:
                    raise ValueError(
                        f"rules[{rule.code}]: {part!r} must be a rule defined before it"
                    )
            seen[rule.code] = rule

    def kind(self, code: str) -> FeedKind:
        for k in self.kinds:
            if k.code == code:
                return k
        raise KeyError(code)

    def level(self, code: str) -> Level:
        for lv in self.levels:
            if lv.code == code:
                return lv
        raise KeyError(code)
