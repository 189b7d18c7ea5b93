"""docs/security.md's tables are the code's: permissions by role (the core's and the
built-in plugins', from the registry), and what each role sees of a person. A change to
access.py or to a plugin's roles that the page does not state fails here."""

from __future__ import annotations

from pathlib import Path

from jiuzhu.core.access import (
    VIEW_FIELDS,
    AccessRegistry,
    Actor,
    Role,
    View,
    access_registry,
    view_of,
)
from jiuzhu.core.testing import plugin_manager

DOC = Path(__file__).parents[2] / "docs/security.md"
BASE = {"id", "region_id", "name", "area_code"}


def table(after: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after a line starting so."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not all(set(c) <= set("-: ") for c in cells):
            rows.append(cells)
    return rows


def registry() -> AccessRegistry:
    return access_registry(plugin_manager())


def actor(role: str) -> Actor:
    return registry().actor(username="x", role=role, region_id="r", area_code="1")


def test_permission_table_matches_the_code() -> None:
    header, *rows = table("Permissions by role")
    roles = header[1:]
    known = registry()
    assert set(roles) == set(known.roles) - {Role.SYSTEM}
    documented = {
        row[0].strip("`"): {r for r, mark in zip(roles, row[1:], strict=True) if mark == "✓"}
        for row in rows
    }
    actual = {p: set(known.holders(p)) - {Role.SYSTEM} for p in known.permissions}
    assert documented == actual
    assert all(Role.SYSTEM in known.holders(p) for p in known.permissions)  # holds every one


def test_person_view_table_matches_the_code() -> None:
    header, *rows = table("What each role sees of a person")
    assert header == ["role", "view", "fields shown"]
    seen = {row[0]: View(row[1]) for row in rows}
    assert seen == {r: view_of(actor(r)) for r in registry().roles if r != Role.SYSTEM}
    fields = {View(row[1]): row[2] for row in rows if not row[2].startswith(("as ", "nothing"))}
    for view, text in fields.items():
        named = {f.split(" ")[0].strip(",") for f in text.split(", ")}
        assert named == set(VIEW_FIELDS[view]), view
    assert VIEW_FIELDS[View.NONE] == ()
    # masked: the full view less the birth date (the id itself is masked, not removed)
    assert set(VIEW_FIELDS[View.MASKED]) == set(VIEW_FIELDS[View.FULL]) - {"birth_date"}


def test_every_person_field_is_placed_in_some_view() -> None:
    import msgspec

    from jiuzhu.core.domain import Person

    person_fields = {f.name for f in msgspec.structs.fields(Person)}
    placed = BASE | {f for v in VIEW_FIELDS.values() for f in v} | {"age", "address"}
    assert person_fields <= placed  # a new Person field must be given a view on purpose


def test_person_view_can_hold_every_person_field() -> None:
    import msgspec

    from jiuzhu.core.access import PersonView
    from jiuzhu.core.domain import Person

    person = {f.name for f in msgspec.structs.fields(Person)}
    assert person <= {f.name for f in msgspec.structs.fields(PersonView)}
