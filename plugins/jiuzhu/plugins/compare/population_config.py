"""Write the population settings as an annotated TOML file (--write-population-config).

Each setting is preceded by what it means and its provenance: the source named in
``sources``, or "illustrative". The file reads back (``--population-config``) into the same
settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from .population import (
    DISABILITY_TYPES,
    FACTORS,
    HEAD_GROUPS,
    MEMBER_RELATIONS,
    STATUSES,
    PopulationSettings,
)

MEANING: dict[str, str] = {
    "people": "how many people",
    "seed": "seed of the generator: same seed, same people",
    "head_ages": "ages of household heads (户主): bands by weight, uniform within a band; "
    "the members' ages follow from the head's (spouse ±5 years, children 20–35 years "
    "younger, parents 20–35 older, grandchildren 45–65 younger)",
    "statuses": f"one exclusive status each ({', '.join(STATUSES)}): weights per age group "
    f"of the household head ({', '.join(HEAD_GROUPS)}); every member holds the household's "
    "status; 特困 only for a head 60+ or with a grade 1-2 disability, in a household of one",
    "tekun_central_share": "of 特困, the share in institutions (集中供养); the rest 分散供养",
    "child_groups": "困境儿童 and 孤儿: probabilities among people under 18",
    "temporary_relief": "probability of 临时救助 this year, on top of any status",
    "dibao_line_fen": "the local 低保 line, fen per head per month",
    "income_bands": "monthly income per head by status: [low, high) in multiples of the line",
    "disability": "weights of disability grades 0 (none), 1 (most severe) .. 4, by age group",
    "disability_types": f"weights of disability types ({', '.join(DISABILITY_TYPES)})",
    "major_illness": "probability of a major illness, by age group",
    "chronic_illness": "probability of a chronic illness, by age group",
    "household_sizes": "by household status: weights of household sizes 1, 2, 3 … "
    "(特困: always one)",
    "spouse": "of heads of a household of two or more, the share living with a spouse, "
    "by the head's age group",
    "relations": "the other members' relation to the head: weights of "
    f"{', '.join(MEMBER_RELATIONS)}, by the head's age group",
    "home_care_elderly": "of people 60+, the share already in home elderly care (居家养老)",
    "health_management_severe": "of grade 1-2, the share in health management (健康管理)",
    "institution_over_70": "of other people 70+, the share in a care home (机构养老)",
    "student_share": "of people 6..18, the share in school",
    "area_code": "division code given to everyone (empty: none)",
    "applied_share": "of households, the share that applied on their own; the rest are "
    "reached only if a warning rule finds them (the finding-people dimension)",
    "needs": "per kind of need: share (probability), mean_units and max_units a year, "
    f"factors multiplying the share, among (only these people). Factors: {', '.join(FACTORS)}",
    "sources": "the source of a setting; a setting not named here is illustrative",
}


def provenance(settings: PopulationSettings, name: str) -> str:
    if name in ("people", "seed"):
        return "a choice of the run"
    source = settings.sources.get(name)
    return f"source: {source}" if source else "illustrative (no source): set it from local data"


def render(settings: PopulationSettings) -> str:
    """The settings as TOML, each with its meaning and provenance as comments."""
    data: dict[str, Any] = msgspec.to_builtins(settings)
    scalars: list[str] = []
    tables: list[str] = []
    for name in settings.__struct_fields__:
        value = data[name]
        block = [f"# {name}: {MEANING.get(name, '')}"]
        if name != "sources":
            block.append(f"#   {provenance(settings, name)}")
        encoded = msgspec.toml.encode({name: value}).decode().rstrip("\n")
        block.append(encoded)
        (tables if isinstance(value, dict | list) and not _inline(value) else scalars).append(
            "\n".join(block)
        )
    head = (
        "# Population settings for `jiuzhu compare --population-config FILE`.\n"
        "# Every setting says what it means and where it comes from. Replace the illustrative\n"
        "# ones with local data before quoting any figure.\n"
    )
    return head + "\n\n".join(scalars + tables) + "\n"


def _inline(value: object) -> bool:
    """A list of numbers encodes as one line (a scalar in TOML's sense)."""
    return isinstance(value, list) and all(isinstance(v, int | float) for v in value)


def write_population_config(path: Path, settings: PopulationSettings) -> None:
    path.write_text(render(settings), encoding="utf-8")
