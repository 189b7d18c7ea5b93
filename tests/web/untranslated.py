"""What a page shows a person that is not Chinese for them: a dotted code (`order.placed`),
a snake_case identifier (`temp_relief`, `confirmed_by`), or raw JSON. Only visible text
counts: scripts, styles, tag attributes and form values are stripped first."""

from __future__ import annotations

import html
import re

_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]+>")
_CODES = [
    ("dotted code", re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+(?![\w/@-])")),
    ("snake_case identifier", re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")),
    ("raw JSON", re.compile(r"\{\s*\"[a-z_]+\"\s*:")),
    ("Python value", re.compile(r"(?<!\w)(?:True|False|None)(?!\w)")),
]
# visible text that looks like a code and is meant to: file names, hosts, units
_ALLOWED = re.compile(r"^(?:[\w-]+\.(?:toml|csv|xlsx|json|py|md|png|pdf|html)|jiuzhu\.\w+)$")


def visible_text(page: str) -> str:
    page = _COMMENT.sub(" ", _HIDDEN.sub(" ", page))
    return html.unescape(_TAG.sub(" ", page))


def untranslated(page: str) -> list[str]:
    """Every code-looking fragment of a page's visible text, with what it looks like."""
    text = visible_text(page)
    found = []
    for what, pattern in _CODES:
        for match in pattern.finditer(text):
            token = match.group(0)
            if _ALLOWED.match(token):
                continue
            start = max(0, match.start() - 20)
            found.append(f"{what} {token!r} in …{text[start : match.end() + 20].strip()}…")
    return found
