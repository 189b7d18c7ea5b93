"""The vectorised rules agree with the rule read row by row, for any data (hypothesis)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jiuzhu.plugins.monitoring.config import Rule
from jiuzhu.plugins.monitoring.rules import (
    BUILTIN,
    OPS,
    Data,
    FeedFrame,
    Hits,
    all_of,
    any_of,
    row_mask,
    score,
    threshold,
    window,
)

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 5),  # subject
        st.integers(739_000, 739_120),  # day
        st.integers(0, 30_000),  # amount
        st.booleans(),  # present
    ),
    max_size=60,
)


def data_of(rows: list[tuple[int, int, int, bool]], subjects: int = 6) -> Data:
    frame = FeedFrame(
        subject=np.array([r[0] for r in rows], dtype=np.int64),
        day=np.array([r[1] for r in rows], dtype=np.int64),
        row_id=np.arange(len(rows), dtype=np.int64) + 100,
        values={"amount": np.array([r[2] for r in rows], dtype=np.int64)},
        present={"amount": np.array([r[3] for r in rows], dtype=bool)},
    )
    return Data(subjects=subjects, feeds={"f": frame})


def rule(**kw: object) -> Rule:
    values: dict[str, object] = {
        "code": "r",
        "name": "r",
        "kind": "threshold",
        "level": "red",
        "feed": "f",
        "column": "amount",
        "illustrative": True,
    }
    values.update(kw)
    return Rule(**values)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.integers(0, 30_000), st.sampled_from(sorted(OPS)))
def test_threshold_flags_exactly_the_rows_over_it(rows, value, op) -> None:
    r = rule(op=op, value=value)
    data = data_of(rows)
    compare = OPS[op]
    expected_rows = [bool(present and compare(amount, value)) for _, _, amount, present in rows]
    assert row_mask(r, data).tolist() == expected_rows
    hits = threshold(r, data, {})
    expected_people = {s for (s, _, _, _), hit in zip(rows, expected_rows, strict=True) if hit}
    assert set(np.flatnonzero(hits.flagged).tolist()) == expected_people
    for s in expected_people:  # the trigger is one of the person's rows over the threshold
        i = int(hits.row[s]) - 100
        assert rows[i][0] == s and expected_rows[i] and hits.value[s] == rows[i][2]


@settings(max_examples=200, deadline=None)
@given(rows_strategy, st.integers(1, 40), st.integers(0, 60_000))
def test_window_sum_matches_the_sum_read_row_by_row(rows, days, value) -> None:
    r = rule(kind="window", days=days, value=value)
    hits = window(r, data_of(rows), {})
    best: dict[int, int] = defaultdict(lambda: -1)
    for s, day, _, present in rows:
        if not present:
            continue
        total = sum(a for s2, d2, a, p2 in rows if p2 and s2 == s and day - days < d2 <= day)
        if total >= value:
            best[s] = max(best[s], total)
    assert set(np.flatnonzero(hits.flagged).tolist()) == set(best)
    for s, total in best.items():
        assert hits.value[s] == total


@settings(max_examples=100, deadline=None)
@given(rows_strategy, st.integers(1, 10))
def test_window_count(rows, value) -> None:
    r = rule(kind="window", days=30, agg="count", value=value)
    hits = window(r, data_of(rows), {})
    flagged = {
        s
        for s, day, _, _ in rows
        if sum(1 for s2, d2, _, _ in rows if s2 == s and day - 30 < d2 <= day) >= value
    }
    assert set(np.flatnonzero(hits.flagged).tolist()) == flagged


def _hits(flags: list[bool], rows: list[int]) -> Hits:
    return Hits(
        flagged=np.array(flags, dtype=bool),
        value=np.zeros(len(flags), dtype=np.int64),
        row=np.array([r if f else -1 for f, r in zip(flags, rows, strict=True)], dtype=np.int64),
    )


flags = st.lists(st.booleans(), min_size=5, max_size=5)


@settings(max_examples=100, deadline=None)
@given(flags, flags, st.integers(0, 5))
def test_combinations_and_scores(a, b, need) -> None:
    earlier = {"a": _hits(a, [1, 2, 3, 4, 5]), "b": _hits(b, [9, 8, 7, 6, 5])}
    data = Data(subjects=5, feeds={})
    both = all_of(rule(kind="all", rules=["a", "b"]), data, earlier)
    either = any_of(rule(kind="any", rules=["a", "b"]), data, earlier)
    assert both.flagged.tolist() == [x and y for x, y in zip(a, b, strict=True)]
    assert either.flagged.tolist() == [x or y for x, y in zip(a, b, strict=True)]
    scored = score(rule(kind="score", weights={"a": 2, "b": 3}, value=need), data, earlier)
    points = [2 * x + 3 * y for x, y in zip(a, b, strict=True)]
    assert scored.flagged.tolist() == [p >= need and p > 0 for p in points]
    for i, f in enumerate(both.flagged):  # the trigger is the newest part's row
        assert both.row[i] == (max(earlier["a"].row[i], earlier["b"].row[i]) if f else -1)


def test_one_person_and_many_give_the_same_answer() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    rows = list(
        zip(
            rng.integers(0, 2_000, n).tolist(),
            rng.integers(739_000, 739_200, n).tolist(),
            rng.integers(0, 300_000, n).tolist(),
            [True] * n,
            strict=True,
        )
    )
    r = rule(kind="window", days=30, value=1_000_000)
    many = window(r, data_of(rows, 2_000), {})
    for s in (0, 17, 1999):
        own = [(0, d, a, p) for (s2, d, a, p) in rows if s2 == s]
        one = window(r, data_of(own, 1), {})
        assert bool(one.flagged[0]) == bool(many.flagged[s])
        assert int(one.value[0]) == int(many.value[s])


def test_builtin_kinds_are_registered_by_name() -> None:
    assert [k.name for k in BUILTIN] == ["threshold", "window", "all", "any", "score"]
