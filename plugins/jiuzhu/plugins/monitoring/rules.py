"""Warning rules, vectorised: one rule evaluates one person or a million in the same code.

Feed data arrive as columns (:class:`FeedFrame`): per row the subject (a person, by index
into the subjects), the day (a proleptic ordinal) and the numeric columns. A rule answers
:class:`Hits` over the subjects: who is flagged, the value compared (a row's amount, a
window's total, a score) and the triggering row. Kinds (threshold, window, all, any,
score) are registered through the ``jiuzhu_warning_rules`` hook like any plugin's own.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pluggy

from .config import Monitoring, Rule

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
STRIDE = np.int64(1 << 22)  # > every date ordinal: subject * STRIDE + day orders rows

OPS: dict[str, Callable[[IntArray, int], BoolArray]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass
class FeedFrame:
    """The rows of one feed kind as columns."""

    subject: IntArray  # index into the subjects, per row
    day: IntArray  # date ordinal per row (0: the feed has no date)
    row_id: IntArray  # the row's identity (a stored row's id, or its position)
    values: dict[str, IntArray] = field(default_factory=dict)  # numeric columns
    present: dict[str, BoolArray] = field(default_factory=dict)  # False: the cell was empty

    def __len__(self) -> int:
        return len(self.subject)


@dataclass
class Data:
    """Every feed's frame over one list of subjects."""

    subjects: int
    feeds: dict[str, FeedFrame]

    def frame(self, kind: str) -> FeedFrame:
        found = self.feeds.get(kind)
        if found is not None:
            return found
        empty = np.zeros(0, dtype=np.int64)
        return FeedFrame(subject=empty, day=empty, row_id=empty)


@dataclass
class Hits:
    """A rule's answer over the subjects."""

    flagged: BoolArray  # per subject
    value: IntArray  # per subject: the value compared (0 where not flagged)
    row: IntArray  # per subject: the triggering row's row_id (-1: none)

    @classmethod
    def none(cls, n: int) -> Hits:
        return cls(
            flagged=np.zeros(n, dtype=bool),
            value=np.zeros(n, dtype=np.int64),
            row=np.full(n, -1, dtype=np.int64),
        )


Evaluate = Callable[[Rule, Data, Mapping[str, Hits]], Hits]


@dataclass(frozen=True)
class RuleKind:
    """A kind of warning rule: ``evaluate(rule, data, earlier)`` answers Hits for every
    subject; ``earlier`` holds the Hits of the rules defined before this one."""

    name: str
    description: str
    evaluate: Evaluate


def row_mask(rule: Rule, data: Data) -> BoolArray:
    """The rows of a threshold rule's feed that meet it (row by row)."""
    frame = data.frame(rule.feed)
    values = frame.values.get(rule.column, np.zeros(len(frame), dtype=np.int64))
    present = frame.present.get(rule.column, np.zeros(len(frame), dtype=bool))
    return OPS[rule.op](values, rule.value) & present


def _per_subject(
    n: int, subject: IntArray, score: IntArray, row_id: IntArray, mask: BoolArray, low: bool
) -> Hits:
    """Per subject, the flagged row with the highest score (lowest when ``low``)."""
    hits = Hits.none(n)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return hits
    key = -score[idx] if low else score[idx]
    order = np.lexsort((row_id[idx], key, subject[idx]))
    chosen = idx[order]
    s = subject[chosen]
    last = np.r_[s[1:] != s[:-1], True]
    chosen = chosen[last]
    hits.flagged[subject[chosen]] = True
    hits.value[subject[chosen]] = score[chosen]
    hits.row[subject[chosen]] = row_id[chosen]
    return hits


def threshold(rule: Rule, data: Data, earlier: Mapping[str, Hits]) -> Hits:
    frame = data.frame(rule.feed)
    values = frame.values.get(rule.column, np.zeros(len(frame), dtype=np.int64))
    return _per_subject(
        data.subjects,
        frame.subject,
        values,
        frame.row_id,
        row_mask(rule, data),
        rule.op in ("<", "<="),
    )


def window_totals(rule: Rule, data: Data) -> tuple[IntArray, BoolArray]:
    """Per row: the sum (or count) of the rule's column over the person's rows dated in the
    ``days`` days ending on the row's date; and which rows have a date to count."""
    frame = data.frame(rule.feed)
    n = len(frame)
    present = frame.present.get(rule.column, np.zeros(n, dtype=bool))
    dated = frame.day > 0
    usable = dated & (present if rule.agg == "sum" else np.ones(n, dtype=bool))
    totals = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(usable)
    if len(idx) == 0:
        return totals, usable
    amounts = (
        frame.values.get(rule.column, np.zeros(n, dtype=np.int64))[idx]
        if rule.agg == "sum"
        else np.ones(len(idx), dtype=np.int64)
    )
    keys = frame.subject[idx] * STRIDE + frame.day[idx]
    order = np.argsort(keys, kind="stable")
    keys, amounts = keys[order], amounts[order]
    cumulative = np.concatenate([[0], np.cumsum(amounts)])
    left = np.searchsorted(keys, keys - (rule.days - 1), side="left")
    right = np.searchsorted(keys, keys, side="right")
    totals[idx[order]] = cumulative[right] - cumulative[left]
    return totals, usable


def window(rule: Rule, data: Data, earlier: Mapping[str, Hits]) -> Hits:
    frame = data.frame(rule.feed)
    totals, usable = window_totals(rule, data)
    mask = OPS[rule.op](totals, rule.value) & usable
    return _per_subject(
        data.subjects, frame.subject, totals, frame.row_id, mask, rule.op in ("<", "<=")
    )


def _newest_row(parts: list[Hits], flagged: BoolArray) -> IntArray:
    rows = np.max(np.stack([np.where(p.flagged, p.row, -1) for p in parts]), axis=0)
    return np.where(flagged, rows, -1).astype(np.int64)


def all_of(rule: Rule, data: Data, earlier: Mapping[str, Hits]) -> Hits:
    parts = [earlier[c] for c in rule.rules]
    flagged = np.logical_and.reduce([p.flagged for p in parts])
    count = np.sum([p.flagged for p in parts], axis=0).astype(np.int64)
    return Hits(flagged=flagged, value=np.where(flagged, count, 0), row=_newest_row(parts, flagged))


def any_of(rule: Rule, data: Data, earlier: Mapping[str, Hits]) -> Hits:
    parts = [earlier[c] for c in rule.rules]
    flagged = np.logical_or.reduce([p.flagged for p in parts])
    count = np.sum([p.flagged for p in parts], axis=0).astype(np.int64)
    return Hits(flagged=flagged, value=np.where(flagged, count, 0), row=_newest_row(parts, flagged))


def score(rule: Rule, data: Data, earlier: Mapping[str, Hits]) -> Hits:
    parts = [earlier[c] for c in rule.weights]
    points = np.zeros(data.subjects, dtype=np.int64)
    for code, hits in zip(rule.weights, parts, strict=True):
        points += np.where(hits.flagged, rule.weights[code], 0)
    flagged = OPS[rule.op](points, rule.value) & np.logical_or.reduce([p.flagged for p in parts])
    return Hits(
        flagged=flagged, value=np.where(flagged, points, 0), row=_newest_row(parts, flagged)
    )


BUILTIN = (
    RuleKind(
        "threshold", "a row whose column compares to a value (e.g. 单次自付 ≥ 1万元)", threshold
    ),
    RuleKind("window", "a person's sum or count over N days (e.g. 30天内自付合计)", window),
    RuleKind("all", "flagged by every one of several rules (组合：同时满足)", all_of),
    RuleKind("any", "flagged by any of several rules (组合：任一满足)", any_of),
    RuleKind("score", "points per rule that flags, compared to a value (评分模型)", score),
)


def rule_kinds(pm: pluggy.PluginManager | None) -> dict[str, RuleKind]:
    """Every registered kind: the built-in ones and plugins' (``jiuzhu_warning_rules``)."""
    kinds: dict[str, RuleKind] = {}

    def register(kind: RuleKind) -> None:
        if not isinstance(kind, RuleKind):
            raise ValueError(f"jiuzhu_warning_rules: {kind!r} is not a RuleKind")
        if kind.name in kinds:
            raise ValueError(f"jiuzhu_warning_rules: two plugins register kind {kind.name!r}")
        kinds[kind.name] = kind

    if pm is None:
        for kind in BUILTIN:
            register(kind)
    else:
        pm.hook.jiuzhu_warning_rules(register=register)
    return kinds


class UnknownRuleKind(ValueError):
    pass


def evaluate(monitoring: Monitoring, data: Data, kinds: Mapping[str, RuleKind]) -> dict[str, Hits]:
    """Every rule of the region over ``data``, in file order (a combination sees the rules
    defined before it)."""
    out: dict[str, Hits] = {}
    for rule in monitoring.rules:
        kind = kinds.get(rule.kind)
        if kind is None:
            raise UnknownRuleKind(
                f"monitoring.toml: rules[{rule.code}].kind: {rule.kind!r} is not a registered "
                f"rule kind; known: {', '.join(sorted(kinds))}"
            )
        out[rule.code] = kind.evaluate(rule, data, out)
    return out
