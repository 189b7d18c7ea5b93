"""Pages added by plugins (the ``jiuzhu_web_pages`` hook): their templates and menu entries.

A plugin's page handler renders ``page(request, actor, "<package>:<path>", ...)``: the
template is read from the files of that package (``importlib.resources``), so a plugin
ships its templates beside its code and needs no registration of folders. Such a template
may extend ``"base.html"`` and include the core's partials, and the core's templates keep
their plain names. A handler created with ``nav="label"`` (optionally ``permission="…"``)
is linked from the menu.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from litestar import Router
from litestar.handlers import HTTPRouteHandler

from .common import NavEntry

RESERVED = ("/api", "/static", "/schema")


class PackageTemplates(jinja2.BaseLoader):
    """Loads ``"jiuzhu.plugins.one_form:templates/apply.html"`` from that package."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        package, sep, path = template.partition(":")
        parts = path.split("/")
        if (
            not sep
            or not all(p.isidentifier() for p in package.split("."))
            or any(p in ("", ".", "..") or "\\" in p for p in parts)
        ):
            raise jinja2.TemplateNotFound(template)
        try:
            resource = importlib.resources.files(package).joinpath(*parts)
        except (ModuleNotFoundError, TypeError):
            raise jinja2.TemplateNotFound(template) from None
        if not resource.is_file():
            raise jinja2.TemplateNotFound(template)
        source = resource.read_text(encoding="utf-8")
        if not isinstance(resource, Path):  # inside a zip: never changes
            return source, None, lambda: True
        mtime = _mtime(resource)  # an edited template is reloaded, as the core's are
        return source, str(resource), lambda: _mtime(resource) == mtime


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _handlers(obj: Any) -> Iterable[tuple[str, HTTPRouteHandler]]:
    """(full path, handler) for a handler or a router."""
    if isinstance(obj, Router):
        for route in obj.routes:
            for h in getattr(route, "route_handlers", ()):
                if isinstance(h, HTTPRouteHandler):
                    yield route.path, h
    elif isinstance(obj, HTTPRouteHandler):
        for path in obj.paths:
            yield path, obj
    else:
        raise TypeError(f"jiuzhu_web_pages: {obj!r} is not a Litestar route handler or Router")


def check_pages(pages: list[Any]) -> list[NavEntry]:
    """Refuse paths the pages may not take; return the menu entries (href, label, perm,
    the roles whose main task the page is: ``main_for``, listed first in their menu; the
    region data section the page needs: ``section``, e.g. "resources" — the entry shows
    only in regions whose data has it)."""
    nav: list[NavEntry] = []
    for obj in pages:
        for path, handler in _handlers(obj):
            clean = "/" + path.strip("/")
            if any(clean == r or clean.startswith(r + "/") for r in RESERVED):
                raise ValueError(
                    f"jiuzhu_web_pages: {handler.handler_name} ({handler.fn.__module__}) "
                    f"asks for {path}; pages may not use /api, /static or /schema "
                    "(API routes go through jiuzhu_web_routes)"
                )
            label = handler.opt.get("nav")
            if label and "{" not in clean:
                perm = handler.opt.get("permission")
                main = tuple(str(r) for r in handler.opt.get("main_for", ()))
                section = handler.opt.get("section")
                nav.append(
                    (clean, str(label), str(perm) if perm else None, main, section and str(section))
                )
    return nav
