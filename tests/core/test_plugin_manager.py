"""The plugin manager factory: duplicates, blocking, misspelled hooks, isolation."""

from __future__ import annotations

import types

import pytest

from jiuzhu.core import hookimpl
from jiuzhu.core.base import ConfigError
from jiuzhu.core.plugins import PluginError, load_regions, make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins, check_region_plugin, load_alone


def module(name: str, **functions: object) -> types.ModuleType:
    mod = types.ModuleType(name)
    for key, value in functions.items():
        setattr(mod, key, value)
    return mod


def test_no_plugins_without_entry_points():
    pm = make_plugin_manager(entry_points=False)
    assert pm.get_plugins() == set()
    assert len(load_regions(pm)) == 0


def test_entry_points_load_the_builtins():
    pm = make_plugin_manager()
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert {"ordos", "changji", "binzhou", "shizuishan", "tiered_budget", "funding"} <= names


def test_duplicate_plugin_name_is_refused():
    a, b = module("a"), module("b")
    with pytest.raises(PluginError, match="two plugins are named 'x'"):
        make_plugin_manager(entry_points=False, plugins=[("x", a), ("x", b)])


def test_misspelled_hook_is_an_error():
    @hookimpl
    def jiuzhu_register_region(register):  # missing "s"
        pass

    with pytest.raises(PluginError, match="unknown hook"):
        make_plugin_manager(
            entry_points=False,
            plugins=[("typo", module("typo", jiuzhu_register_region=jiuzhu_register_region))],
        )


def test_duplicate_region_id_is_refused():
    import jiuzhu.regions.ordos as ordos

    @hookimpl
    def jiuzhu_register_regions(register):
        ordos.jiuzhu_register_regions(register)

    copy = module("copy", jiuzhu_register_regions=jiuzhu_register_regions)
    pm = make_plugin_manager(entry_points=False, plugins=[*all_builtin_plugins(), ("copy", copy)])
    with pytest.raises(PluginError, match="region id 'ordos' is registered twice"):
        load_regions(pm)


def test_disable_env_blocks_plugins(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JIUZHU_DISABLE_PLUGINS", "ordos, binzhou")
    regions = load_regions(make_plugin_manager())
    assert "ordos" not in regions.by_id and "binzhou" not in regions.by_id
    assert "changji" in regions.by_id


def test_each_region_loads_alone_and_is_complete():
    for name, mod in all_builtin_plugins():
        if ".regions." not in mod.__name__:
            continue
        regions = load_alone(name, mod)
        assert list(regions.by_id) == [name]
        assert check_region_plugin(regions) == []


def test_region_id_must_match_its_registration(tmp_path):
    import shutil
    from pathlib import Path

    import jiuzhu.regions.ordos as ordos
    from jiuzhu.core import RegionSource

    data = tmp_path / "data"
    shutil.copytree(Path(ordos.__file__).parent / "data", data)

    @hookimpl
    def jiuzhu_register_regions(register):
        register(RegionSource(id="elsewhere", data_dir=data))

    pm = make_plugin_manager(
        entry_points=False,
        plugins=[
            *[(n, m) for n, m in all_builtin_plugins() if ".regions." not in m.__name__],
            ("elsewhere", module("elsewhere", jiuzhu_register_regions=jiuzhu_register_regions)),
        ],
    )
    with pytest.raises(ConfigError, match="id: expected 'elsewhere'"):
        load_regions(pm)
