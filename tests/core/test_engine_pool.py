"""The PostgreSQL pool per process (JIUZHU_DB_POOL): sized as asked, refused with a message
naming the variable when the value is not a count."""

from __future__ import annotations

import pytest

from jiuzhu.core.base import ConfigError
from jiuzhu.core.storage.engine import DEFAULT_POOL, POOL_ENV, make_engine

URL = "postgresql+psycopg://nobody@127.0.0.1:1/not_connected"  # never connected to


def test_the_pool_defaults_and_follows_the_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(POOL_ENV, raising=False)
    engine = make_engine(URL)
    assert engine.pool.size() == DEFAULT_POOL  # type: ignore[attr-defined]
    monkeypatch.setenv(POOL_ENV, "12")
    engine = make_engine(URL)
    assert engine.pool.size() == 12  # type: ignore[attr-defined]
    # the overflow only serves a second connection beside a request's pinned one
    assert engine.pool._max_overflow == 12  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", ["0", "-3", "eight", "1.5", "201"])
def test_a_bad_pool_size_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str):
    monkeypatch.setenv(POOL_ENV, raw)
    with pytest.raises(ConfigError) as info:
        make_engine(URL)
    assert info.value.problems == [
        f"{POOL_ENV}: expected a whole number from 1 to 200, got {raw!r}"
    ]
