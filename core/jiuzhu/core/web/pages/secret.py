"""The web secret: signs session cookies, CSRF tokens and recipients' rating links.

Taken from JIUZHU_SECRET_KEY when set (hex or any string of at least 32 characters).
Otherwise, for a SQLite file database, one is generated once and kept in a file next to the
database (`<db>.secret`, mode 600) so sessions and rating links survive a restart. For any
other database without JIUZHU_SECRET_KEY a random key is made per process (sessions and
links end on restart, and several worker processes would not share it): set the variable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import Engine

SECRET_ENV = "JIUZHU_SECRET_KEY"


def secret_file(engine: Engine) -> Path | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_suffix(".secret")


def load_secret(engine: Engine) -> bytes:
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        if len(env) < 32:
            raise ValueError(f"{SECRET_ENV} must be at least 32 characters")
        return hashlib.sha256(env.encode()).digest()
    path = secret_file(engine)
    if path is None:
        return secrets.token_bytes(32)
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())
    return key


def derive(key: bytes, purpose: str) -> bytes:
    """A separate key per use (cookie encryption, CSRF, rating links)."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


RATING_DAYS = 30


def rating_token(key: bytes, order_id: int, now: float | None = None) -> str:
    """`<order>.<expiry>.<signature>`: a link that rates one order, until it expires."""
    expires = int((now if now is not None else time.time()) + RATING_DAYS * 86400)
    return f"{order_id}.{expires}.{_sign(key, order_id, expires)}"


def _sign(key: bytes, order_id: int, expires: int) -> str:
    mac = hmac.new(derive(key, "rating"), f"{order_id}:{expires}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def read_rating_token(key: bytes, token: str, now: float | None = None) -> int | None:
    """The order id, or None if the token is forged, malformed or expired."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    order_id, expires = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(_sign(key, order_id, expires), parts[2]):
        return None
    if expires < (now if now is not None else time.time()):
        return None
    return order_id
