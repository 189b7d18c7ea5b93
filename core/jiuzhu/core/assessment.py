"""Needs-assessment instruments (assessment.toml) and how answers are scored.

An instrument groups indicators in domains; each indicator's chosen option carries a
score. Domain scores add up to a total that maps to a level; need rules map domain scores
to the catalogue items they call for.

Two directions exist in practice: most local forms score *need* (higher = more help
needed); national ability scales such as GB/T 42195-2022 score *ability* (higher = more
able). `higher_is` says which, and decides what "more severe" means when a rule raises the
level. A domain with `scored = false` holds adjustment questions (a diagnosis, recent
care-risk events) that change the level but add nothing to the total.

A region may name an instrument a plugin provides (``uses = "gbt42195"``, registered with
the ``jiuzhu_register_instruments`` hook) and add its own need rules, and unscored domains
of its own — a needs survey beside the standard scale (Qiaojia's 生理、心理、经济) whose
answers call for items but leave the standard's total and level alone. A domain may score
in the other direction from the instrument (``higher_is`` on the domain).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from .base import Base


class Option(Base, frozen=True, kw_only=True):
    label: str  # the answer as the assessor reads it
    score: int  # higher means greater need


class Indicator(Base, frozen=True, kw_only=True):
    code: str  # unique across the instrument; answers are keyed by it
    name: str
    options: list[Option]  # at least two

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise ValueError(f"indicator {self.code}: give at least two options")

    @property
    def max_score(self) -> int:
        return max(o.score for o in self.options)


class Domain(Base, frozen=True, kw_only=True):
    code: str  # need rules refer to it
    name: str  # e.g. 经济状况, 身体功能
    indicators: list[Indicator]
    scored: bool = True  # false: adjustment or survey questions, outside the total
    higher_is: Literal["need", "ability"] | None = None  # None: as the instrument
    source: str = ""
    illustrative: bool = False

    @property
    def max_score(self) -> int:
        return sum(i.max_score for i in self.indicators)


class Level(Base, frozen=True, kw_only=True):
    name: str  # e.g. 重度需求
    min_total: int  # the level applies from this total upwards


class NeedRule(Base, frozen=True, kw_only=True):
    """A domain score at or above `min_score` (need scales) or at or below `max_score`
    (ability scales) calls for these items."""

    domain: str
    min_score: int | None = None
    max_score: int | None = None
    items: list[str]
    reason: str = ""
    source: str = ""
    illustrative: bool = False

    def __post_init__(self) -> None:
        if (self.min_score is None) == (self.max_score is None):
            raise ValueError(f"need rule on {self.domain}: give min_score or max_score")

    def holds(self, score: int) -> bool:
        if self.min_score is not None:
            return score >= self.min_score
        assert self.max_score is not None
        return score <= self.max_score


class RaiseRule(Base, frozen=True, kw_only=True):
    """When the answer to `indicator` is one of `options` (indices), the level is raised
    one step towards the more severe end."""

    indicator: str
    options: list[int]
    reason: str
    source: str = ""
    illustrative: bool = False


class Instrument(Base, frozen=True, kw_only=True):
    id: str = ""
    name: str = ""
    uses: str = ""  # the id of an instrument a plugin provides; then only `needs` is given
    source: str = ""
    illustrative: bool = False
    higher_is: Literal["need", "ability"] = "need"
    domains: list[Domain] = []
    levels: list[Level] = []
    raise_level: list[RaiseRule] = []
    needs: list[NeedRule] = []

    def __post_init__(self) -> None:
        if self.uses:
            if self.levels or self.raise_level or any(d.scored for d in self.domains):
                raise ValueError(
                    f"uses = {self.uses!r}: the instrument's scored domains, levels and "
                    "raise_level come from its plugin; give needs, and optionally id, name "
                    "and domains of your own with scored = false (a needs survey)"
                )
            return
        if not self.id or not self.name:
            raise ValueError("give id and name (or `uses` to name a provided instrument)")
        if not self.domains:
            raise ValueError("give at least one domain (or uses = an instrument a plugin provides)")
        codes = [i.code for d in self.domains for i in d.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be unique across domains")
        self.check_needs(self.needs)
        if not self.levels:
            raise ValueError("give at least one level")
        mins = [lv.min_total for lv in self.levels]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("levels must be listed from the highest min_total down")
        indicators = {i.code: i for d in self.domains for i in d.indicators}
        for k, rule in enumerate(self.raise_level):
            ind = indicators.get(rule.indicator)
            if ind is None:
                raise ValueError(f"raise_level[{k}]: indicator {rule.indicator!r} is unknown")
            bad = [o for o in rule.options if not 0 <= o < len(ind.options)]
            if bad or not rule.options:
                raise ValueError(
                    f"raise_level[{k}]: options must be indices 0..{len(ind.options) - 1}"
                )

    def check_needs(self, needs: list[NeedRule]) -> None:
        direction = {d.code: d.higher_is or self.higher_is for d in self.domains}
        for i, rule in enumerate(needs):
            if rule.domain not in direction:
                raise ValueError(f"needs[{i}]: domain {rule.domain!r} is not in the instrument")
            if direction[rule.domain] == "ability" and rule.max_score is None:
                raise ValueError(f"needs[{i}]: an ability scale calls for items at max_score")
            if direction[rule.domain] == "need" and rule.min_score is None:
                raise ValueError(f"needs[{i}]: a need scale calls for items at min_score")

    def with_region_needs(self, ref: Instrument) -> Instrument:
        """This (provided) instrument with a region's need rules, its unscored survey
        domains (after the instrument's own) and id/name if given."""
        mine = {i.code for d in self.domains for i in d.indicators}
        for d in ref.domains:
            if d.code in {x.code for x in self.domains}:
                raise ValueError(f"domain {d.code!r} is already a domain of {self.id}")
            clash = sorted(mine & {i.code for i in d.indicators})
            if clash:
                raise ValueError(f"domain {d.code}: indicator codes {clash} are taken")
        combined = msgspec.structs.replace(
            self,
            id=ref.id or self.id,
            name=ref.name or self.name,
            domains=[*self.domains, *ref.domains],
            needs=list(ref.needs),
        )
        combined.check_needs(ref.needs)
        return combined

    @property
    def indicator_count(self) -> int:
        return sum(len(d.indicators) for d in self.domains)

    @property
    def max_total(self) -> int:
        return sum(d.max_score for d in self.domains if d.scored)


class Scored(Base, frozen=True, kw_only=True):
    instrument: str
    domain_scores: dict[str, int]
    total: int
    level: str
    recommended_items: list[str]
    raised_by: list[str] = []  # reasons the level was raised


def level_for(instrument: Instrument, total: int) -> str:
    return next((lv.name for lv in instrument.levels if total >= lv.min_total), "")


def score(instrument: Instrument, answers: Mapping[str, int]) -> Scored:
    """Score answers (indicator code -> option index). Every indicator must be answered."""
    domain_scores: dict[str, int] = {}
    missing: list[str] = []
    known = {i.code for d in instrument.domains for i in d.indicators}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise KeyError(f"unknown indicators: {', '.join(unknown)}")
    for domain in instrument.domains:
        total = 0
        for ind in domain.indicators:
            if ind.code not in answers:
                missing.append(ind.code)
                continue
            choice = answers[ind.code]
            if not 0 <= choice < len(ind.options):
                raise ValueError(
                    f"answer for {ind.code} must be an option index 0..{len(ind.options) - 1}"
                )
            total += ind.options[choice].score
        domain_scores[domain.code] = total
    if missing:
        raise KeyError(f"unanswered indicators: {', '.join(missing)}")
    grand = sum(domain_scores[d.code] for d in instrument.domains if d.scored)
    names = [lv.name for lv in instrument.levels]
    level = level_for(instrument, grand)
    raised = [r.reason for r in instrument.raise_level if answers[r.indicator] in r.options]
    if raised and level:
        # levels run from the highest total down: on an ability scale the more severe level
        # is the next one in the list, on a need scale the previous one
        step = 1 if instrument.higher_is == "ability" else -1
        level = names[min(max(names.index(level) + step, 0), len(names) - 1)]
    items: list[str] = []
    for rule in instrument.needs:
        if rule.holds(domain_scores[rule.domain]):
            items.extend(i for i in rule.items if i not in items)
    return Scored(
        instrument=instrument.id,
        domain_scores=domain_scores,
        total=grand,
        level=level,
        recommended_items=items,
        raised_by=raised,
    )
