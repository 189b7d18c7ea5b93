"""Every hook is documented in docs/plugins.md with its signature and a runnable example
(tests/core/test_doc_examples.py runs them), and has its test_hook_<name>."""

from __future__ import annotations

import inspect
from pathlib import Path

from jiuzhu.core import hookspecs

ROOT = Path(__file__).parents[2]
HOOKS = [
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("jiuzhu_")
]


def test_hooks_exist():
    assert len(HOOKS) >= 10


def test_every_hook_is_documented_with_signature_and_example():
    doc = (ROOT / "docs/plugins.md").read_text(encoding="utf-8")
    for name in HOOKS:
        assert f"### {name}" in doc, f"{name} has no section in docs/plugins.md"
        section = doc.split(f"### {name}", 1)[1].split("\n### ", 1)[0]
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert all(p in section for p in params.split(", ") if p), f"{name}: signature"
        assert "```python" in section, f"{name}: no example"


def test_every_hook_has_a_docstring_and_a_test_hook_test() -> None:
    """datasette's rule: each hook has `test_hook_<name>` (tests/core/test_plugin_hooks.py,
    backed by the fixture plugin tests/fixtures/all_hooks that implements every hook)."""
    tests = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "tests").rglob("test_*.py")
        if p.name != "test_docs.py"
    )
    for name in HOOKS:
        assert inspect.getdoc(getattr(hookspecs, name)), f"{name} has no docstring"
        assert f"def test_hook_{name}(" in tests, f"{name} has no test_hook_{name}"
