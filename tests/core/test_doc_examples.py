"""Every Python example of the docs runs (as datasette tests its documented hooks).

Each ```python block becomes a module in its own package folder (with the files that
following blocks tagged `file=PATH` give, e.g. a template; and, if it registers a region
with region_source, a copy of Ordos's data under that id). The module is registered as a
plugin next to the built-in ones and a test region `yiliang`, and every hook it implements
is called with real arguments: regions load, rules answer for every region, CLI commands
run, routes and pages answer a signed-in officer. Functions named test_* are called too."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
import pluggy
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import Engine

import jiuzhu.regions.ordos as ordos
from jiuzhu.core import RegionSource, hookimpl
from jiuzhu.core.domain import CaseEvent
from jiuzhu.core.facts import PersonFacts, Population
from jiuzhu.core.plugins import Regions, load_regions, make_plugin_manager
from jiuzhu.core.services import Services
from jiuzhu.core.services.users import add_user, create_token
from jiuzhu.core.supervision import ProviderStats
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.core.web.app import create_app

from ..web.conftest import SECRET, sign_in

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)(.*)$")
ON = date(2025, 6, 1)
ORDOS_DATA = Path(ordos.__file__).parent / "data"


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    code: str
    files: tuple[tuple[str, str], ...]  # (path, text) of the blocks tagged file=PATH after it

    @property
    def name(self) -> str:
        return f"{self.doc}:{self.line}"


def examples() -> Iterator[Example]:
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        found: list[list[Any]] = []
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            tag = re.search(r"file=(\S+)", m.group(2))
            if m.group(1) == "python":
                found.append([start, "\n".join(body) + "\n", []])
            elif tag and found:
                found[-1][2].append((tag.group(1), "\n".join(body) + "\n"))
        for start, code, files in found:
            yield Example(str(path.relative_to(ROOT)), start, code, tuple(files))


EXAMPLES = [e for e in examples() if e.doc != "docs/compare.md"]


def yiliang_region() -> types.ModuleType:
    """A region `yiliang` (Ordos's data under that id) for the examples to act on."""
    module = types.ModuleType("yiliang_for_examples")

    @hookimpl
    def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
        register(RegionSource(id="yiliang", data_dir=YILIANG_DATA))

    module.jiuzhu_register_regions = jiuzhu_register_regions  # type: ignore[attr-defined]
    return module


YILIANG_DATA = Path()


@pytest.fixture(scope="module", autouse=True)
def yiliang_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    global YILIANG_DATA
    YILIANG_DATA = copy_region(tmp_path_factory.mktemp("yiliang") / "data", "yiliang")


def copy_region(data: Path, region_id: str) -> Path:
    shutil.copytree(ORDOS_DATA, data)
    text = (data / "region.toml").read_text(encoding="utf-8")
    (data / "region.toml").write_text(text.replace('id = "ordos"', f'id = "{region_id}"'), "utf-8")
    return data


def load_example(example: Example, base: Path) -> types.ModuleType:
    name = "doc_example_" + re.sub(r"\W", "_", example.name)
    package = base / name
    package.mkdir()
    (package / "__init__.py").write_text(example.code, encoding="utf-8")
    for rel, text in example.files:
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text, encoding="utf-8")
    registered = re.search(r'region_source\(__name__, "(\w+)"\)', example.code)
    if registered:
        copy_region(package / "data", registered.group(1))
    sys.path.insert(0, str(base))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(base))


def implemented(module: types.ModuleType) -> list[str]:
    return [
        n
        for n in dir(module)
        if n.startswith("jiuzhu_") and hasattr(getattr(module, n), "jiuzhu_impl")
    ]


def call_hooks(
    pm: pluggy.PluginManager,
    module: types.ModuleType,
    hooks: list[str],
    engine: Engine,
    tmp_path: Path,
) -> None:
    regions = load_regions(pm)  # register_regions, region_sections, check_region, instruments
    people = Population.of([PersonFacts(age=a, groups=frozenset({"特困"})) for a in (40, 70)])
    for region in regions:
        if "jiuzhu_eligibility" in hooks:
            assert len(regions.eligibility(region, people, ON).eligible) == 2
        if "jiuzhu_budget_rule" in hooks:
            budget = pm.hook.jiuzhu_budget_rule(region=region, on=ON)
            assert budget is None or sum(budget.caps()) > 0
        if "jiuzhu_entitlement_rule" in hooks:
            for level in ["", *(lv.name for lv in region.instrument.levels)]:
                rule = regions.entitlement_rule(region, ON, level, people.take(slice(0, 1)))
                assert rule is None or sum(b.cap for b in rule.buckets()) > 0
        if "jiuzhu_funding_rule" in hooks:
            parts = regions.funding_rule(region, ON).split(np.array([1001]), np.array(["x"]))
            assert int(parts.sum()) == 1001
        if "jiuzhu_provider_light" in hooks:
            stats = ProviderStats(provider_id=1, ratings=20, satisfied_share=0.5, mean_score=3.5)
            pm.hook.jiuzhu_provider_light(region=region, stats=stats)
        if "jiuzhu_case_event" in hooks:
            at = datetime(2025, 6, 1, tzinfo=UTC)
            for kind in ("order.escalated", "case.opened"):
                event = CaseEvent(id=1, case_id=1, at=at, actor="t", kind=kind, detail={"to": "x"})
                pm.hook.jiuzhu_case_event(region=region, event=event)
    if "jiuzhu_warning_rules" in hooks:
        from jiuzhu.plugins.monitoring.config import Rule
        from jiuzhu.plugins.monitoring.rules import Data, FeedFrame, rule_kinds

        added: list[Any] = []
        module.jiuzhu_warning_rules(register=added.append)
        assert set(k.name for k in added) <= set(rule_kinds(pm))
        frame = FeedFrame(
            subject=np.array([0, 0, 1], dtype=np.int64),
            day=np.array([739000, 739001, 739000], dtype=np.int64),
            row_id=np.arange(3, dtype=np.int64),
        )
        for kind in added:
            wrule = Rule(
                code="r", name="r", kind=kind.name, level="red", feed="f", illustrative=True
            )
            hits = kind.evaluate(wrule, Data(subjects=2, feeds={"f": frame}), {})
            assert len(hits.flagged) == len(hits.value) == len(hits.row) == 2
    if "jiuzhu_migrations" in hooks:
        from sqlalchemy import inspect as sa_inspect

        from jiuzhu.core.storage import migrate
        from jiuzhu.core.storage.engine import make_engine

        scratch = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        migrate.upgrade(scratch, pm)
        assert migrate.state(scratch, pm).up_to_date
        assert len(sa_inspect(scratch).get_table_names()) > 20
    if "jiuzhu_page_sections" in hooks:
        from jiuzhu.core.access import Actor, Role
        from jiuzhu.core.web.pages.common import page_sections

        svc = Services(engine=engine, regions=regions)
        officer = Actor(username="t", role=Role.OFFICER, region_id="yiliang", area_code="150600")
        for name, key in (("home", None), ("household", 1)):
            for section in page_sections(svc, officer, name, key):
                assert section.title and all(isinstance(r, dict) for r in section.rows)
    if {"jiuzhu_register_roles", "jiuzhu_register_permissions"} & set(hooks):
        from jiuzhu.core.access import access_registry

        registry = access_registry(pm)
        roles: list[Any] = []
        permissions: list[Any] = []
        if "jiuzhu_register_roles" in hooks:
            module.jiuzhu_register_roles(register=roles.append)
        if "jiuzhu_register_permissions" in hooks:
            module.jiuzhu_register_permissions(register=permissions.append)
        for role in roles:
            actor = registry.actor(
                username="t", role=role.name, region_id="yiliang", area_code="150600"
            )
            assert actor.label == role.label and all(actor.can(p) for p in role.permissions)
        for permission in permissions:
            assert set(permission.roles) <= registry.holders(permission.name)
    if "jiuzhu_demo_data" in hooks:
        svc = Services(engine=engine, regions=regions)
        for region in regions:
            lines = module.jiuzhu_demo_data(svc=svc, region=region)
            assert lines is None or all(isinstance(line, str) for line in lines)
    if hooks and {"jiuzhu_web_routes", "jiuzhu_web_pages"} & set(hooks):
        check_web(module, regions, hooks, engine)


def check_web(module: types.ModuleType, regions: Regions, hooks: list[str], engine: Engine) -> None:
    """The example's own routes and pages (not the built-in plugins') answer an officer."""
    svc = Services(engine=engine, regions=regions)
    add_user(svc, "doc-officer", "horse-battery-staple-47", "officer", "yiliang", "150600")
    token = create_token(svc, "doc-officer")
    added: list[Any] = []
    if "jiuzhu_web_routes" in hooks:
        module.jiuzhu_web_routes(register=added.append)
    with TestClient(
        create_app(svc, secret_key=SECRET), base_url="https://testserver.local"
    ) as client:
        for handler in added:
            for path in handler.paths:
                response = client.get(f"/api{path}", headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, (path, response.text)
        if "jiuzhu_web_pages" in hooks:
            pages: list[Any] = []
            module.jiuzhu_web_pages(register=pages.append)
            assert sign_in(client, "doc-officer", "horse-battery-staple-47").status_code == 303
            for handler in pages:
                for path in handler.paths:
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.text)


def test_there_are_examples_for_every_hook() -> None:
    from jiuzhu.core import hookspecs

    covered = {h for e in EXAMPLES for h in re.findall(r"def (jiuzhu_\w+)\(", e.code)}
    assert covered == {n for n in dir(hookspecs) if n.startswith("jiuzhu_")}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_doc_example_runs(example: Example, tmp_path: Path, engine: Engine) -> None:
    module = load_example(example, tmp_path)
    hooks = implemented(module)
    if hooks:
        helper = [] if '"yiliang")' in example.code else [("yiliang_region", yiliang_region())]
        pm = make_plugin_manager(
            entry_points=False, plugins=[*all_builtin_plugins(), *helper, ("example", module)]
        )
        call_hooks(pm, module, hooks, engine, tmp_path)
    # commands, as an entry point of group jiuzhu.commands names them
    commands = [c for c in vars(module).values() if isinstance(c, click.Command)]
    for command in commands:
        result = CliRunner().invoke(command, [], catch_exceptions=False)
        assert result.exit_code == 0, (command.name, result.output)
    tests = [getattr(module, n) for n in dir(module) if n.startswith("test_")]
    for test in tests:
        test()
    assert hooks or tests or commands, f"{example.name}: neither a plugin nor a test"
