"""Strict decoding of a TOML file into a msgspec Struct that reports *every* problem.

msgspec stops at the first error and names list elements by index. An author fixing a
region file wants them all at once, each as `file: key.path: what was expected`, with list
elements named by their code (`items[qj_daily_care].unit_price_fen`) and the allowed
values of an enumeration spelled out. So on failure the raw TOML is walked against the
Struct's fields and every field is converted on its own; a Struct's own cross-field check
(`__post_init__`) runs once its fields are sound.

Only a syntax error is labelled "invalid TOML"; a value of the wrong kind is a validation
error at its key path.
"""

from __future__ import annotations

import enum
import re
import tomllib
import types
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec

from .base import ConfigError

S = TypeVar("S")
KEYS = ("code", "id", "name")  # what names a list element in a key path, first found
_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def convert(value: Any, kind: Any) -> Any:
    """Exactly what msgspec.toml.decode does after parsing."""
    return msgspec.convert(
        value, kind, builtin_types=(datetime, date, time), str_keys=True, strict=True
    )


def decode_file(path: Path, kind: type[S]) -> S:
    """Decode one TOML file strictly; raise ConfigError listing every problem in it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    return decode(raw, kind, str(path))


def decode(raw: bytes | str, kind: type[S], name: str) -> S:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{name}: not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{name}: invalid TOML: {exc}"]) from None
    try:
        result: S = convert(data, kind)
        return result
    except msgspec.ValidationError as exc:
        found = [
            f"{name}: {where or '(top level)'}: {what}" for where, what in problems(data, kind)
        ]
        if not found:  # the walk missed what msgspec saw: report msgspec's own words
            found = [f"{name}: {_msgspec_problem(exc, data)}"]
        raise ConfigError(found) from None


def problems(value: Any, kind: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(key path, what was expected) for every problem of `value` read as `kind`."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:
        inner = list(problems(value, args[0], path))
        yield from inner
        if not inner:
            yield from _leaf(value, kind, path)  # the constraints in the annotation
    elif isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        yield from _struct(value, kind, path)
    elif origin is Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            yield path, f"expected one of {allowed}; got {_show(value)}"
    elif isinstance(kind, type) and issubclass(kind, enum.Enum):
        allowed_values = [m.value for m in kind]
        if value not in allowed_values:
            allowed = ", ".join(repr(v) for v in allowed_values)
            yield path, f"expected one of {allowed}; got {_show(value)}"
    elif origin in (list, set, frozenset) or (origin is tuple and args[-1:] == (Ellipsis,)):
        if not isinstance(value, list):
            yield path, f"expected an array, got {_kind(value)}"
            return
        element_kind = args[0] if args else Any
        for i, element in enumerate(value):
            yield from problems(element, element_kind, f"{path}[{_label(element, i)}]")
    elif origin is dict:
        if not isinstance(value, dict):
            yield path, f"expected a table, got {_kind(value)}"
            return
        key_kind, value_kind = args if args else (Any, Any)
        for key, element in value.items():
            sub = f"{path}.{key}" if path else str(key)
            yield from problems(key, key_kind, f"{sub} (the key)")
            yield from problems(element, value_kind, sub)
    elif origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if value is None and len(options) < len(args):
            return
        if len(options) == 1:
            yield from problems(value, options[0], path)
        else:
            yield from _leaf(value, kind, path)
    else:
        yield from _leaf(value, kind, path)


def _struct(value: Any, kind: type[msgspec.Struct], path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, dict):
        yield path, f"expected a table, got {_kind(value)}"
        return
    fields = msgspec.structs.fields(kind)
    known = {f.encode_name: f for f in fields}
    found: list[tuple[str, str]] = []
    config = kind.__struct_config__
    for key in value:
        if key not in known and config.forbid_unknown_fields:
            found.append((_join(path, key), f"unknown key; known keys: {', '.join(sorted(known))}"))
    for name, field in known.items():
        if name not in value:
            if field.required:
                found.append((_join(path, name), "missing; this key is required"))
            continue
        found.extend(problems(value[name], field.type, _join(path, name)))
    if found:
        yield from found
        return
    try:
        convert(value, kind)
    except msgspec.ValidationError as exc:  # the Struct's own check (__post_init__)
        msg, inner = _split(str(exc))
        yield _join(path, inner) if inner else path, msg


def _leaf(value: Any, kind: Any, path: str) -> Iterator[tuple[str, str]]:
    try:
        convert(value, kind)
    except msgspec.ValidationError as exc:
        msg, inner = _split(str(exc))
        wrong = _WRONG_TYPE.match(msg)
        if wrong:
            wanted = " or ".join(
                _TYPE_WORDS.get(w.strip(), w.strip()) for w in wrong["expected"].split("|")
            )
            msg = f"expected {wanted}, got {_kind(value)}"
        yield _join(path, inner) if inner else path, f"{msg}: {_show(value)}"


_WRONG_TYPE = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `[^`]+`$")
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD, unquoted)",
    "datetime": "a date and time",
    "array": "an array",
    "object": "a table",
    "null": "nothing",
}


def _split(text: str) -> tuple[str, str]:
    m = _AT.match(text)
    if m is None:
        return text, ""
    return m.group("msg"), (m.group("path") or "").lstrip(".")


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _label(element: Any, index: int) -> str:
    if isinstance(element, dict):
        for key in KEYS:
            value = element.get(key)
            if isinstance(value, str) and value and "]" not in value:
                return value
    return str(index)


def _kind(value: Any) -> str:
    names = {
        dict: "a table",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a float",
    }
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _msgspec_problem(exc: msgspec.ValidationError, data: Any) -> str:
    """msgspec's message with list indexes replaced by the elements' codes."""
    msg, path = _split(str(exc))
    return f"{_named_path(path, data) or '(top level)'}: {msg}"


def _named_path(path: str, data: Any) -> str:
    out, node = "", data
    for key, index in re.findall(r"\.?([^.\[\]]+)|\[(\d+)\]", path):
        if key:
            out = _join(out, key)
            node = node.get(key) if isinstance(node, dict) else None
        else:
            i = int(index)
            element = node[i] if isinstance(node, list) and i < len(node) else None
            out += f"[{_label(element, i)}]"
            node = element
    return out
