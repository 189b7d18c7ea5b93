"""Idempotency keys: a retried request with the same key gets the first answer, and its
change happens once.

A key is stored per (user, key) with a fingerprint of the request (method, path, query and
canonical body) and goes through three states:

``pending``   reserved by one request (its ``lease``) in a short transaction of its own,
              before the request runs; a second request with the key meanwhile gets 409.
``committed`` the request's first write unit of work committed: the state changes INSIDE
              that unit (``claim``), so a change and its key commit together or not at all.
``done``      the answer (status, body, Location) is stored and is replayed on every retry.

A request that fails with a 5xx before anything committed releases its key (the client may
retry); every other answer is kept, refusals included. A request that died holding a key
loses it after ``LEASE``: the next retry takes it over, and the old request, should it still
be running, cannot commit (its ``claim`` no longer matches the lease). Keys expire after
``TTL``.
"""

from __future__ import annotations

import hashlib
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..base import Invalid, Refused
from ..storage.engine import writer
from ..storage.tables import idempotency_keys as keys

TTL = timedelta(hours=24)  # a key (and its stored answer) is kept this long
LEASE = timedelta(seconds=60)  # a pending key whose request has gone silent this long is free
PENDING, COMMITTED, DONE = "pending", "committed", "done"
MAX_KEY = 255


@dataclass(frozen=True)
class Claim:
    """The key the current request holds."""

    id: int
    lease: str


@dataclass(frozen=True)
class Replay:
    """A stored answer."""

    status: int
    content_type: str
    location: str
    body: bytes


CURRENT: ContextVar[Claim | None] = ContextVar("jiuzhu_idempotency_claim", default=None)


def check_key(key: str) -> str:
    """1–255 visible ASCII characters (no spaces): what the OpenAPI pattern publishes."""
    if not 1 <= len(key) <= MAX_KEY or not all("!" <= c <= "~" for c in key):
        raise Invalid("Idempotency-Key", f"幂等键应为1至{MAX_KEY}个可打印ASCII字符（建议使用UUID）")
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """The same request sent again has the same fingerprint: JSON bodies are compared by
    content (key order and spacing do not matter), anything else byte for byte."""
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except msgspec.DecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def reserve(engine: Engine, user_id: int, key: str, fp: str, now: datetime) -> Claim | Replay:
    """Take the key for this request, or return the stored answer. Refuses (409) while
    another request holds it, and (422) a key already used for a different request."""
    with writer(engine).begin() as conn:
        conn.execute(delete(keys).where(keys.c.user_id == user_id, keys.c.created_at < now - TTL))
        row = (
            conn.execute(
                select(keys).where(keys.c.user_id == user_id, keys.c.key == key).with_for_update()
            )
            .mappings()
            .first()
        )
        lease = secrets.token_hex(16)
        if row is None:
            try:
                with conn.begin_nested():
                    new_id = conn.execute(
                        insert(keys).values(
                            user_id=user_id,
                            key=key,
                            fingerprint=fp,
                            state=PENDING,
                            lease=lease,
                            created_at=now,
                            locked_at=now,
                        )
                    ).inserted_primary_key
            except IntegrityError:  # the same key sent twice at once: the other one has it
                raise _in_progress() from None
            assert new_id is not None
            return Claim(int(new_id[0]), lease)
        if row["fingerprint"] != fp:
            raise Invalid(
                "Idempotency-Key",
                "此幂等键已用于另一个请求（方法、路径或请求体不同）；新的请求请使用新的键",
            )
        if row["state"] == DONE and row["status"] is not None:
            return Replay(
                status=int(row["status"]),
                content_type=str(row["content_type"]),
                location=str(row["location"]),
                body=bytes(row["body"] or b""),
            )
        if row["locked_at"] > now - LEASE:
            raise _in_progress()
        if row["state"] == COMMITTED:  # it changed data, then died before storing its answer
            raise Refused(
                "idempotency.outcome_unknown",
                "使用此幂等键的请求已执行成功，但其应答未能保存；请查询相关记录确认结果，不要重复提交",
            )
        conn.execute(update(keys).where(keys.c.id == row["id"]).values(lease=lease, locked_at=now))
        return Claim(int(row["id"]), lease)


def _in_progress() -> Refused:
    return Refused(
        "idempotency.in_progress",
        "使用此幂等键的请求正在处理中，请稍后用同一个键重试",
        retry_after=1,
    )


def claim(conn: Connection) -> None:
    """Inside every write unit of work: bind the current request's key to this unit, so it
    is ``committed`` exactly when the unit commits. A request that lost its lease (taken
    over after LEASE) must not change anything: refused, the unit rolls back."""
    held = CURRENT.get()
    if held is None:
        return
    n = conn.execute(
        update(keys).where(keys.c.id == held.id, keys.c.lease == held.lease).values(state=COMMITTED)
    ).rowcount
    if n != 1:
        raise _in_progress()


def finish(
    engine: Engine, held: Claim, status: int, content_type: str, location: str, body: bytes
) -> None:
    """Store the answer; or, for a 5xx before anything committed, release the key."""
    with writer(engine).begin() as conn:
        state = conn.execute(
            select(keys.c.state).where(keys.c.id == held.id, keys.c.lease == held.lease)
        ).scalar()
        if state is None:  # taken over: the other request answers for the key
            return
        if state == PENDING and status >= 500:
            conn.execute(delete(keys).where(keys.c.id == held.id))
            return
        conn.execute(
            update(keys)
            .where(keys.c.id == held.id)
            .values(
                state=DONE,
                status=status,
                content_type=content_type[:100],
                location=location[:300],
                body=body,
            )
        )


def release(engine: Engine, held: Claim) -> None:
    """Let go of a key whose request crashed before answering, unless it committed."""
    with writer(engine).begin() as conn:
        conn.execute(
            delete(keys).where(
                keys.c.id == held.id, keys.c.lease == held.lease, keys.c.state == PENDING
            )
        )
