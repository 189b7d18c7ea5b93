"""The one strict base every jiuzhu Struct derives from."""

from __future__ import annotations

import msgspec


class Base(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Frozen, keyword-only, and strict: an unknown key is an error, never dropped."""


class ConfigError(ValueError):
    """A region's data is wrong: names the file, the key path and what was expected."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Refused(Exception):
    """A rule refused an operation; `rule` names it and `detail` says why, for people."""

    def __init__(self, rule: str, detail: str, **facts: object) -> None:
        self.rule = rule
        self.detail = detail
        self.facts = facts
        super().__init__(f"{rule}: {detail}")


class Invalid(Exception):
    """Input is malformed: `field` names it."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")


class NotFound(Exception):
    """An id names nothing (or nothing the caller may see)."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key} not found")
