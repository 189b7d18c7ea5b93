"""Web settings an operator may change, from environment variables (defaults are safe).

| variable | default | meaning |
|---|---|---|
| JIUZHU_SESSION_HOURS | 12 | a page session ends this long after sign-in, however active |
| JIUZHU_SESSION_IDLE_MINUTES | 480 | … or after this long without a request |
| JIUZHU_SECURE_COOKIES | auto | `on`, `off`, or `auto`: Secure unless the host is localhost |
| JIUZHU_API_DOCS | on | `on`: the API docs UI at /schema for signed-in users; `off`: none |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

import msgspec

from ..base import ConfigError

PAGE_BODY_LIMIT = 256 * 1024  # a page's form: far more than any form here needs
API_BODY_LIMIT = 1024 * 1024  # a JSON request
MAX_FORM_FIELDS = 1000  # the joint form has about 150 fields


class WebSettings(msgspec.Struct, frozen=True, kw_only=True):
    session_lifetime: timedelta = timedelta(hours=12)
    session_idle: timedelta = timedelta(hours=8)
    secure_cookies: Literal["auto", "on", "off"] = "auto"
    api_docs: bool = True
    page_body_limit: int = PAGE_BODY_LIMIT
    api_body_limit: int = API_BODY_LIMIT
    max_form_fields: int = MAX_FORM_FIELDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if env is None else env
        problems: list[str] = []

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not low <= value <= high:
                problems.append(f"{name}: expected a number from {low:g} to {high:g}, got {raw!r}")
                return default
            return value

        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            raw = env.get(name, "").strip().lower() or default
            if raw not in allowed:
                problems.append(f"{name}: expected one of {', '.join(allowed)}, got {raw!r}")
                return default
            return raw

        hours = number("JIUZHU_SESSION_HOURS", 12, 0.1, 24 * 30)
        idle = number("JIUZHU_SESSION_IDLE_MINUTES", 480, 1, 24 * 60 * 30)
        secure = choice("JIUZHU_SECURE_COOKIES", "auto", ("auto", "on", "off"))
        docs = choice("JIUZHU_API_DOCS", "on", ("on", "off"))
        if problems:
            raise ConfigError(problems)
        return cls(
            session_lifetime=timedelta(hours=hours),
            session_idle=timedelta(minutes=idle),
            secure_cookies=secure,  # type: ignore[arg-type]
            api_docs=docs == "on",
        )
