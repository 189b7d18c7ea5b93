"""Needs-assessment instruments (assessment.toml) and how answers are scored.

An instrument groups indicators in domains; each indicator's chosen option carries a
score. Domain scores add up to a total that maps to a level; a need profile maps domain
scores to the catalogue items they call for. Higher scores mean greater need.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    source: str = ""
    illustrative: bool = False

    @property
    def max_score(self) -> int:
        return sum(i.max_score for i in self.indicators)


class Level(Base, frozen=True, kw_only=True):
    name: str  # e.g. 重度需求
    min_total: int  # the level applies from this total upwards


class NeedRule(Base, frozen=True, kw_only=True):
    """A domain score at or above `min_score` calls for these items."""

    domain: str  # a domain code
    min_score: int  # the domain score from which the rule applies
    items: list[str]  # catalogue item codes recommended
    reason: str = ""  # shown with the recommendation


class Instrument(Base, frozen=True, kw_only=True):
    """assessment.toml: the needs-assessment instrument (需求评估)."""

    id: str
    name: str
    source: str = ""
    illustrative: bool = False
    domains: list[Domain]
    levels: list[Level]  # from the highest min_total down
    needs: list[NeedRule] = []  # domain scores that call for catalogue items

    def __post_init__(self) -> None:
        codes = [i.code for d in self.domains for i in d.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator codes must be unique across domains")
        domain_codes = {d.code for d in self.domains}
        for i, rule in enumerate(self.needs):
            if rule.domain not in domain_codes:
                raise ValueError(f"needs[{i}]: domain {rule.domain!r} is not in the instrument")
        if not self.levels:
            raise ValueError("give at least one level")
        mins = [lv.min_total for lv in self.levels]
        if mins != sorted(mins, reverse=True):
            raise ValueError("levels must be listed from the highest min_total down")

    @property
    def indicator_count(self) -> int:
        return sum(len(d.indicators) for d in self.domains)


class Scored(Base, frozen=True, kw_only=True):
    instrument: str
    domain_scores: dict[str, int]
    total: int
    level: str
    recommended_items: list[str]


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
    grand = sum(domain_scores.values())
    level = next((lv.name for lv in instrument.levels if grand >= lv.min_total), "")
    items: list[str] = []
    for rule in instrument.needs:
        if domain_scores[rule.domain] >= rule.min_score:
            items.extend(i for i in rule.items if i not in items)
    return Scored(
        instrument=instrument.id,
        domain_scores=domain_scores,
        total=grand,
        level=level,
        recommended_items=items,
    )
