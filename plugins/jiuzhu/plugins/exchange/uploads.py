"""Uploads kept between the dry run and the apply of the upload page: the file a region
administrator sent, under a random token, readable only by the same user, removed a day
later. Kept in a folder of the machine's temporary directory (``JIUZHU_UPLOAD_DIR``
elsewhere: servers behind one load balancer share it)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jiuzhu.core.access import Actor
from jiuzhu.core.base import NotFound

KEEP_SECONDS = 24 * 3600
MAX_BYTES = 20 * 1024 * 1024  # an upload's limit (about 200,000 rows of CSV)


def folder() -> Path:
    root = os.environ.get("JIUZHU_UPLOAD_DIR") or os.path.join(
        tempfile.gettempdir(), "jiuzhu-uploads"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass(frozen=True)
class Upload:
    token: str
    kind: str
    region_id: str
    name: str
    path: Path

    @property
    def errors(self) -> Path:
        return self.path.parent / "问题.xlsx"


def _owner(actor: Actor) -> str:
    return f"{actor.user_id}:{actor.username}"


def _sweep(root: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for entry in root.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def save(actor: Actor, kind: str, name: str, data: bytes) -> Upload:
    root = folder()
    _sweep(root)
    token = secrets.token_urlsafe(18)
    home = root / token
    home.mkdir(mode=0o700)
    suffix = ".xlsx" if data[:2] == b"PK" else ".csv"
    path = home / f"upload{suffix}"
    path.write_bytes(data)
    meta = {"owner": _owner(actor), "kind": kind, "region_id": actor.region_id, "name": name}
    (home / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Upload(token, kind, actor.region_id, name, path)


def load(actor: Actor, token: str) -> Upload:
    """The actor's own upload, or NotFound (someone else's looks exactly like none)."""
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        raise NotFound("upload", token)
    home = folder() / token
    try:
        meta = json.loads((home / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound("upload", token) from None
    if meta.get("owner") != _owner(actor) or meta.get("region_id") != actor.region_id:
        raise NotFound("upload", token)
    path = next(home.glob("upload.*"), None)
    if path is None:
        raise NotFound("upload", token)
    return Upload(token, meta["kind"], meta["region_id"], meta["name"], path)
