"""`jiuzhu regions new NAME --from REGION`: an installable region package, copied from an
installed region, that passes its own tests and `jiuzhu regions check` as soon as it is
made — the starting point an IT team then edits.

    jiuzhu-region-NAME/
      pyproject.toml                 entry point `NAME = "jiuzhu_region_NAME"` in group jiuzhu
      README.md                      what to edit, how to check and test
      jiuzhu_region_NAME/
        __init__.py                  jiuzhu_register_regions
        py.typed
        data/*.toml                  the template's files, with this region's id, name, code
        scenarios/*.toml             the template's scenarios (facts in, results out)
      tests/test_region.py           loads the plugin alone; check_region_plugin == []
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from .cli_errors import OperatorError
from .regions import Region
from .scenarios import FOLDER as SCENARIOS


@dataclass(frozen=True)
class Scaffold:
    root: Path
    package: str
    next_steps: tuple[str, ...]


def new_region(
    template: Region,
    name: str,
    parent: Path,
    title: str | None = None,
    code: str | None = None,
) -> Scaffold:
    if not (name.isidentifier() and name.islower() and name.isascii()):
        raise OperatorError(
            f"region name {name!r}: use a lower-case ASCII identifier, e.g. qiaojia"
        )
    if code is not None and not (code.isdigit() and len(code) == 6):
        raise OperatorError(f"--code {code!r}: give the 6-digit GB/T 2260 division code")
    dist = f"jiuzhu-region-{name.replace('_', '-')}"
    package = f"jiuzhu_region_{name}"
    root = parent / dist
    if root.exists():
        raise OperatorError(f"{root} already exists; remove it or choose another --into")
    pkg = root / package
    shutil.copytree(template.data_dir, pkg / "data", ignore=shutil.ignore_patterns("__pycache__"))
    scenarios = template.data_dir.parent / SCENARIOS
    if scenarios.is_dir():
        shutil.copytree(scenarios, pkg / SCENARIOS)
    _rename(pkg / "data" / "region.toml", template, name, title, code)
    (pkg / "__init__.py").write_text(_INIT.format(name=name, template=template.id), "utf-8")
    (pkg / "py.typed").write_text("", "utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_region.py").write_text(
        _TEST.format(name=name, package=package), "utf-8"
    )
    (root / "pyproject.toml").write_text(
        _PYPROJECT.format(dist=dist, name=name, package=package, template=template.id), "utf-8"
    )
    (root / "README.md").write_text(
        _README.format(dist=dist, name=name, package=package, template=template.id), "utf-8"
    )
    (root / ".gitignore").write_text("__pycache__/\n*.egg-info/\ndist/\n.venv/\n", "utf-8")
    steps = (
        f"cd {root}",
        "pip install -e .",
        f"jiuzhu regions check {package}/data",
        f"jiuzhu regions test {name}",
        "python -m pytest",
    )
    return Scaffold(root, package, steps)


def _rename(path: Path, template: Region, name: str, title: str | None, code: str | None) -> None:
    """Give the copied region.toml the new identity, keeping its comments and layout."""
    doc = tomlkit.parse(path.read_text("utf-8"))
    doc["id"] = name
    doc["name"] = title or template.info.name
    doc["name_en"] = name.replace("_", " ").title()
    doc["summary"] = (
        f"Copied from {template.id} by `jiuzhu regions new`: describe this region's pilot "
        "and replace the copied rules, catalogue and figures with its own sources."
    )
    if code is not None and code != template.info.code:
        doc["code"] = code
        del doc["areas"]  # the template's areas lie in another division
    path.write_text(tomlkit.dumps(doc), "utf-8")


_INIT = '''"""The {name} region plugin (scaffolded from {template}). Its rules are data in
data/*.toml; its scenario tests are in scenarios/*.toml."""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu.core import RegionSource, hookimpl, region_source


@hookimpl
def jiuzhu_register_regions(register: Callable[[RegionSource], None]) -> None:
    register(region_source(__name__, "{name}"))
'''

_TEST = '''"""The region loads alone, passes the plugin checks, and its scenarios hold."""

from __future__ import annotations

from jiuzhu.core.scenarios import run_scenarios
from jiuzhu.core.testing import check_region_plugin, load_alone

import {package} as plugin


def test_region_loads_and_passes_the_plugin_checks() -> None:
    regions = load_alone("{name}", plugin)
    assert regions.get("{name}").id == "{name}"
    assert check_region_plugin(regions) == []


def test_scenarios_hold() -> None:
    assert run_scenarios(load_alone("{name}", plugin), "{name}") == []
'''

_PYPROJECT = """[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
description = "The {name} region for jiuzhu (scaffolded from {template})"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["jiuzhu>=0.1"]

[project.optional-dependencies]
test = ["pytest>=8"]

# jiuzhu finds the region through this entry point, as it finds its built-in regions.
[project.entry-points.jiuzhu]
{name} = "{package}"

[tool.hatch.build.targets.wheel]
packages = ["{package}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

_README = """# {dist}

The `{name}` region for jiuzhu (服务类社会救助), scaffolded with
`jiuzhu regions new {name} --from {template}`. Everything in `{package}/data` is a copy of
the {template} region's files: replace it with this region's own rules and sources.

```sh
pip install -e .                      # registers the region through the `jiuzhu` entry point
jiuzhu regions check {package}/data   # every problem of every file, with its key path
jiuzhu regions test {name}            # the scenarios in {package}/scenarios
python -m pytest                      # the plugin loaded alone + check_region_plugin
jiuzhu regions show {name}
```

## What to edit
- `data/region.toml`: the id stays `{name}`; set the name, the 6-digit GB/T 2260 code, the
  levels and the areas (each area under the region or an area listed before it).
- `data/catalogue.toml`, `budget.toml`, `funding.toml`, `assessment.toml`,
  `eligibility.toml` and the other files: see jiuzhu's `docs/reference/` for every key,
  type, allowed value and default. Give each fact its `source`, or mark it
  `illustrative = true`.
- `scenarios/*.toml`: people (facts) and what the rules must decide for them — eligibility,
  the stage that pays, the funding split, the refusals. Rewrite them for this region.
"""
