"""GB/T 42195-2022 as a provided instrument: the standard's numbers, its level bands and
raises, and a region naming it with `uses`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu.core.assessment import Instrument, NeedRule, score
from jiuzhu.core.base import ConfigError
from jiuzhu.core.plugins import PluginError, instruments, load_region_dir
from jiuzhu.core.testing import plugin_manager
from jiuzhu.plugins import gbt42195

STANDARD = gbt42195.instrument()


def answers_for(total: int, **adjust: int) -> dict[str, int]:
    """Answers whose scored total is exactly `total` (abilities taken away item by item)."""
    out: dict[str, int] = {}
    left = STANDARD.max_total - total
    for domain in STANDARD.domains:
        for ind in domain.indicators:
            if not domain.scored:
                out[ind.code] = adjust.get(ind.code, 0)
                continue
            top = ind.max_score
            take = min(left, top)
            left -= take
            # option whose score is top - take (options run from the highest score down)
            out[ind.code] = next(i for i, o in enumerate(ind.options) if o.score == top - take)
    assert left == 0
    return out


def test_the_standards_domains_items_and_points():
    scored = {d.name: (len(d.indicators), d.max_score) for d in STANDARD.domains if d.scored}
    assert scored == {
        "自理能力": (8, 32),
        "基础运动能力": (4, 15),
        "精神状态": (9, 28),
        "感知觉与社会参与": (5, 15),
    }
    assert STANDARD.max_total == 90
    assert STANDARD.higher_is == "ability"


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (90, "能力完好"),
        (89, "轻度失能"),
        (66, "轻度失能"),
        (65, "中度失能"),
        (46, "中度失能"),
        (45, "重度失能"),
        (30, "重度失能"),
        (29, "完全失能"),
        (0, "完全失能"),
    ],
)
def test_level_bands(total: int, level: str):
    result = score(STANDARD, answers_for(total))
    assert (result.total, result.level, result.raised_by) == (total, level, [])


def test_a_diagnosis_raises_one_level():
    result = score(STANDARD, answers_for(70, diagnosis=1))
    assert result.level == "中度失能"
    assert result.raised_by == ["有认知障碍/痴呆或精神疾病诊断，提高一个等级"]


def test_two_care_risk_events_raise_one_level_one_does_not():
    assert score(STANDARD, answers_for(50, risk_events=1)).level == "中度失能"
    assert score(STANDARD, answers_for(50, risk_events=2)).level == "重度失能"


def test_both_reasons_raise_one_level_only_and_never_past_the_most_severe():
    both = score(STANDARD, answers_for(90, diagnosis=1, risk_events=2))
    assert both.level == "轻度失能"
    assert len(both.raised_by) == 2
    assert score(STANDARD, answers_for(10, diagnosis=1)).level == "完全失能"


@given(st.integers(min_value=0, max_value=90))
def test_adjustment_questions_never_change_the_total(total: int):
    plain = score(STANDARD, answers_for(total))
    adjusted = score(STANDARD, answers_for(total, diagnosis=1, risk_events=2))
    assert adjusted.total == plain.total == total


def test_a_need_scale_raises_towards_the_top():
    need = Instrument(
        id="n",
        name="need",
        domains=STANDARD.domains[4:],  # the adjustment domain only: all scores 0
        levels=[
            *[type(STANDARD.levels[0])(name="重", min_total=10)],
            type(STANDARD.levels[0])(name="轻", min_total=0),
        ],
        raise_level=STANDARD.raise_level[:1],
    )
    assert score(need, {"diagnosis": 1, "risk_events": 0}).level == "重"


def test_need_rules_on_an_ability_scale_use_max_score():
    with pytest.raises(ValueError, match="max_score"):
        STANDARD.with_region_needs(
            Instrument(uses="gbt42195", needs=[NeedRule(domain="motor", min_score=3, items=[])])
        )
    ok = STANDARD.with_region_needs(
        Instrument(uses="gbt42195", needs=[NeedRule(domain="motor", max_score=10, items=["walk"])])
    )
    assert score(ok, answers_for(50)).recommended_items == ["walk"]
    assert score(ok, answers_for(90)).recommended_items == []


def test_the_plugin_registers_it_through_the_hook():
    assert instruments(plugin_manager())["gbt42195"] is STANDARD


def test_a_duplicate_instrument_is_refused():
    from jiuzhu.core import hookimpl

    class Twin:
        @staticmethod
        @hookimpl
        def jiuzhu_register_instruments(register: Callable[[Instrument], None]) -> None:
            register(STANDARD)

    with pytest.raises(PluginError, match="two plugins provide an instrument 'gbt42195'"):
        instruments(plugin_manager(("twin", Twin)))


def _region_using(tmp_path: Path, assessment: str) -> Path:
    source = Path(__file__).parents[2] / "regions/jiuzhu/regions/ordos/data"
    folder = tmp_path / "data"
    folder.mkdir()
    for f in source.glob("*.toml"):
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "assessment.toml").write_text(assessment, encoding="utf-8")
    return folder


def test_a_region_names_the_instrument_and_adds_its_needs(tmp_path: Path):
    folder = _region_using(
        tmp_path,
        'uses = "gbt42195"\n[[needs]]\ndomain = "self_care"\nmax_score = 20\n'
        'items = ["deep_clean"]\nillustrative = true\n',
    )
    region = load_region_dir(plugin_manager(), folder)
    assert region.instrument.id == "gbt42195"
    assert region.instrument.indicator_count == 28
    assert region.instrument.needs[0].items == ["deep_clean"]


def test_an_unknown_instrument_is_named_with_the_known_ones(tmp_path: Path):
    folder = _region_using(tmp_path, 'uses = "gbt99999"\n')
    with pytest.raises(ConfigError) as exc:
        load_region_dir(plugin_manager(), folder)
    assert exc.value.problems == [
        f"{folder / 'assessment.toml'}: uses: no plugin provides an instrument 'gbt99999'; "
        "known: gbt42195"
    ]


def test_uses_with_own_domains_is_refused(tmp_path: Path):
    folder = _region_using(
        tmp_path,
        'uses = "gbt42195"\n[[levels]]\nname = "x"\nmin_total = 0\n',
    )
    with pytest.raises(ConfigError, match="come from its plugin"):
        load_region_dir(plugin_manager(), folder)
