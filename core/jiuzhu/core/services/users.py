"""Users, passwords (argon2), page sessions kept on the server, API tokens (stored hashed,
optionally expiring), and login throttling that cannot be turned against a user.

Throttling is per (username, client IP) and per client IP, with delays that grow with each
failure instead of a lock anyone could trigger: a stranger failing on `ordos-officer` from
another address slows down only themselves. An unknown username costs the same argon2
verification as a known one (a dummy hash), so timing does not tell which names exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from ..access import AccessRegistry, Actor, Role, access_registry
from ..base import Invalid, NotFound, Refused
from ..regions import Region
from ..storage.tables import (
    api_tokens,
    audit_log,
    login_attempts,
    providers,
    user_sessions,
    users,
    workers,
)
from . import MAX_ID, Services, fetch_one, plain

_hasher = PasswordHasher()
_dummy: dict[int, str] = {}  # a hash per hasher, verified for unknown names

MIN_PASSWORD = 12
MAX_PASSWORD = 128  # argon2 would take more; nobody types more
MIN_STRENGTH = 3  # zxcvbn score 0-4; 3: at least 10^8 guesses, no common password

# growing delays: after FREE failures the next try waits 1 s, then 2, 4 … up to CAP
PAIR_FREE = 3  # per (username, client IP), counted since that pair's last success
PAIR_WINDOW = timedelta(hours=24)
IP_FREE = 20  # per client IP, whatever the names: one address trying many users
IP_WINDOW = timedelta(hours=1)
CAP = timedelta(minutes=15)


class User(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    username: str
    display_name: str
    role: str  # a registered role (access.AccessRegistry)
    region_id: str
    area_code: str
    provider_id: int | None = None
    worker_id: int | None = None
    department: str = ""
    active: bool = True

    def actor(self, registry: AccessRegistry) -> Actor:
        """The user as an actor holding their role's permissions in ``registry``."""
        return registry.actor(
            username=self.username,
            role=self.role,
            region_id=self.region_id,
            area_code=self.area_code,
            provider_id=self.provider_id,
            worker_id=self.worker_id,
            department=self.department,
            user_id=self.id,
        )


# --- passwords --------------------------------------------------------------------------
def check_password(password: str, *context: str) -> None:
    """At least 12 characters and hard to guess: zxcvbn (Dropbox's estimator, whose
    dictionaries include the 30,000 most common leaked passwords) must score it 3 or more,
    counting the username and display name in `context` as known words."""
    if len(password) < MIN_PASSWORD:
        raise Invalid("password", f"密码至少{MIN_PASSWORD}位")
    if len(password) > MAX_PASSWORD:
        raise Invalid("password", f"密码不超过{MAX_PASSWORD}位")
    if zxcvbn(password, user_inputs=[c for c in context if c])["score"] < MIN_STRENGTH:
        raise Invalid(
            "password", "密码过于常见或容易猜到（如常用密码、键盘序列、用户名），请换一个"
        )


def generate_password() -> str:
    """A random password that passes check_password (for demo users and resets)."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_password(password)
        except Invalid:
            continue
        return password


def _dummy_hash() -> str:
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy[key]


# --- users ------------------------------------------------------------------------------
def add_user(
    svc: Services,
    username: str,
    password: str,
    role: str,
    region_id: str,
    area_code: str | None = None,
    display_name: str = "",
    provider_id: int | None = None,
    worker_id: int | None = None,
    department: str = "",
) -> User:
    region = svc.region(region_id)
    registry = access_registry(svc.regions.pm)
    if role == Role.SYSTEM or role not in registry.roles:
        known = ", ".join(r for r in registry.roles if r != Role.SYSTEM)
        raise Invalid("role", f"应为 {known}")
    role_ = registry.role(role)
    if not username.strip() or len(username) > 60 or not username.isprintable():
        raise Invalid("username", "用户名为1至60个可打印字符")
    if area_code is None and role_.area_bound:
        raise Invalid(
            "area_code",
            f"「{role_.label}」账号须指定所属区域（--area）；"
            f"如确需全地区，请明确填写地区代码 {region.info.code}",
        )
    area = area_code or region.info.code
    if area != region.info.code and region.info.area(area) is None:
        raise Invalid("area_code", f"{area} 不是{region.info.name}的区划代码")
    check_password(password, username, display_name)
    if role == Role.WORKER and worker_id is None:
        raise Invalid("worker_id", "社工账号须绑定社工")
    if role in (Role.WORKER, Role.PROVIDER_ADMIN) and provider_id is None:
        raise Invalid("provider_id", "服务机构账号须绑定机构")
    if role not in (Role.WORKER, Role.PROVIDER_ADMIN) and (provider_id or worker_id):
        raise Invalid("provider_id", "只有社工和服务机构管理员账号绑定机构")
    if role_.departments is not None:
        known_departments = set(role_.departments(region))
        if not department:
            raise Invalid("department", f"「{role_.label}」账号须指定部门")
        if department not in known_departments:
            raise Invalid(
                "department",
                f"{department} 不是{region.info.name}配置的部门；"
                f"可选：{'、'.join(sorted(known_departments))}"
                if known_departments
                else f"{region.info.name}没有配置部门",
            )
    elif department:
        raise Invalid("department", f"「{role_.label}」账号不指定部门")
    try:
        with svc.transaction() as conn:
            _check_provider(conn, region, provider_id, worker_id)
            uid = conn.execute(
                users.insert().values(
                    username=username,
                    display_name=display_name or username,
                    password_hash=_hasher.hash(password),
                    role=role,
                    region_id=region_id,
                    area_code=area,
                    provider_id=provider_id,
                    worker_id=worker_id,
                    department=department,
                    active=True,
                    created_at=svc.now(),
                )
            ).inserted_primary_key
            assert uid is not None
            row = fetch_one(conn, users, "user", uid[0], id=uid[0])
    except IntegrityError:
        raise Refused("user.unique", f"用户名 {username} 已存在") from None
    return msgspec.convert(row, User)


def _check_provider(
    conn: Connection, region: Region, provider_id: int | None, worker_id: int | None
) -> None:
    if provider_id is not None:
        prow = (
            conn.execute(select(providers).where(providers.c.id == provider_id)).mappings().first()
            if 0 < provider_id <= MAX_ID
            else None
        )
        if prow is None or prow["region_id"] != region.id:
            raise Invalid("provider_id", f"服务机构 {provider_id} 不存在或不属于{region.info.name}")
    if worker_id is not None:
        wrow = (
            conn.execute(select(workers).where(workers.c.id == worker_id)).mappings().first()
            if 0 < worker_id <= MAX_ID
            else None
        )
        if wrow is None:
            raise Invalid("worker_id", f"社工 {worker_id} 不存在")
        if wrow["provider_id"] != provider_id:
            raise Invalid("worker_id", f"社工 {worker_id} 不属于服务机构 {provider_id}")


def get_user(svc: Services, username: str) -> User:
    with svc.reading() as conn:
        row = fetch_one(conn, users, "user", username, username=username)
    return msgspec.convert(row, User)


class UserInfo(msgspec.Struct, kw_only=True):
    user: User
    sessions: int  # open page sessions
    tokens: int  # live API tokens
    last_login: datetime | None


def list_users(svc: Services, region_id: str | None = None) -> list[UserInfo]:
    now = svc.now()
    with svc.reading() as conn:
        query = select(users).order_by(users.c.region_id, users.c.username)
        if region_id is not None:
            query = query.where(users.c.region_id == region_id)
        rows = [msgspec.convert(plain(r), User) for r in conn.execute(query).mappings()]
        sessions: dict[int, int] = dict(
            conn.execute(
                select(user_sessions.c.user_id, func.count())
                .where(_live_session(now))
                .group_by(user_sessions.c.user_id)
            ).all()
        )
        tokens: dict[int, int] = dict(
            conn.execute(
                select(api_tokens.c.user_id, func.count())
                .where(_live_token(now))
                .group_by(api_tokens.c.user_id)
            ).all()
        )
        logins: dict[str, datetime] = dict(
            conn.execute(
                select(login_attempts.c.username, func.max(login_attempts.c.at))
                .where(login_attempts.c.ok.is_(True))
                .group_by(login_attempts.c.username)
            ).all()
        )
    return [
        UserInfo(
            user=u,
            sessions=int(sessions.get(u.id, 0)),
            tokens=int(tokens.get(u.id, 0)),
            last_login=_aware(logins.get(u.username)),
        )
        for u in rows
    ]


def _aware(value: datetime | None) -> datetime | None:
    """An aggregate of a UTC column (max(at)): naive on SQLite, aware on PostgreSQL."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def set_password(svc: Services, username: str, password: str) -> int:
    """A new password; every session and token of the user ends at once. Returns how many."""
    user = get_user(svc, username)
    check_password(password, user.username, user.display_name)
    with svc.transaction() as conn:
        conn.execute(
            update(users).where(users.c.id == user.id).values(password_hash=_hasher.hash(password))
        )
        return _end_everything(svc, conn, user.id, "password")


def set_active(svc: Services, username: str, active: bool) -> int:
    """Deactivate (every session and token ends at once) or activate again (nothing that
    ended comes back: old cookies and tokens stay dead)."""
    user = get_user(svc, username)
    with svc.transaction() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(active=active))
        return 0 if active else _end_everything(svc, conn, user.id, "deactivated")


def _end_everything(svc: Services, conn: Connection, user_id: int, reason: str) -> int:
    now = svc.now()
    ended = conn.execute(
        update(user_sessions)
        .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    ).rowcount
    revoked = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return int(ended) + int(revoked)


# --- sign-in and throttling --------------------------------------------------------------
def _delay(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    return min(CAP, timedelta(seconds=2 ** min(failures - free, 20)))


def login_wait(conn: Connection, username: str, client_ip: str, now: datetime) -> int:
    """Seconds until this name may try again from this address (0: now)."""
    guesses = and_(login_attempts.c.ok.is_(False), login_attempts.c.throttled.is_(False))
    last_ok = conn.execute(
        select(func.max(login_attempts.c.at)).where(
            login_attempts.c.username == username,
            login_attempts.c.client_ip == client_ip,
            login_attempts.c.ok.is_(True),
        )
    ).scalar()
    since = now - PAIR_WINDOW
    if last_ok is not None:
        since = max(since, _aware(last_ok) or since)
    pair = conn.execute(
        select(func.count(), func.max(login_attempts.c.at)).where(
            guesses,
            login_attempts.c.username == username,
            login_attempts.c.client_ip == client_ip,
            login_attempts.c.at > since,
        )
    ).one()
    by_ip = conn.execute(
        select(func.count(), func.max(login_attempts.c.at)).where(
            guesses, login_attempts.c.client_ip == client_ip, login_attempts.c.at > now - IP_WINDOW
        )
    ).one()
    wait = timedelta(0)
    for (count, last), free in ((pair, PAIR_FREE), (by_ip, IP_FREE)):
        last_at = _aware(last)
        if last_at is not None:
            wait = max(wait, last_at + _delay(int(count), free) - now)
    return int(wait.total_seconds() + 0.999) if wait > timedelta(0) else 0


def authenticate(svc: Services, username: str, password: str, client_ip: str = "") -> User:
    """The user, or Refused `login.failed` (same answer for a wrong name, a wrong password
    and an inactive account) or `login.throttled` (with `retry_after` seconds). Every
    attempt is logged with the client IP. The argon2 check runs outside any write lock."""
    now = svc.now()
    username = username[:60]
    with svc.reading() as conn:
        wait = login_wait(conn, username, client_ip, now)
        row = (
            None
            if wait
            else conn.execute(select(users).where(users.c.username == username)).mappings().first()
        )
    if wait:
        _record(svc, username, client_ip, now, ok=False, throttled=True)
        raise Refused("login.throttled", f"登录尝试过于频繁，请{wait}秒后再试", retry_after=wait)
    verified: bool = False
    with contextlib.suppress(VerificationError, InvalidHashError):
        verified = _hasher.verify(row["password_hash"] if row else _dummy_hash(), password[:1024])
    ok = verified and row is not None and bool(row["active"])
    _record(svc, username, client_ip, now, ok=ok, throttled=False)
    if not ok or row is None:
        raise Refused("login.failed", "用户名或密码错误")
    if _hasher.check_needs_rehash(row["password_hash"]):
        with svc.transaction() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row["id"])
                .values(password_hash=_hasher.hash(password))
            )
    return msgspec.convert(plain(row), User)


def _record(
    svc: Services, username: str, client_ip: str, at: datetime, ok: bool, throttled: bool
) -> None:
    with svc.transaction() as conn:
        conn.execute(
            login_attempts.insert().values(
                username=username, at=at, ok=ok, client_ip=client_ip[:45], throttled=throttled
            )
        )


# --- page sessions -----------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _live_session(now: datetime) -> Any:
    return and_(user_sessions.c.ended_at.is_(None), user_sessions.c.expires_at > now)


def start_session(
    svc: Services,
    user: User,
    lifetime: timedelta,
    client_ip: str = "",
    user_agent: str = "",
) -> str:
    """A new session (a fresh random key: never one the browser brought along); returns
    the key for the cookie. Only its hash is stored."""
    key = secrets.token_urlsafe(32)
    now = svc.now()
    with svc.transaction() as conn:
        conn.execute(
            user_sessions.insert().values(
                user_id=user.id,
                key_hash=_digest(key),
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
                client_ip=client_ip[:45],
                user_agent=user_agent[:200],
            )
        )
    return key


TOUCH_EVERY = timedelta(minutes=1)  # the idle clock is refreshed at most once a minute


# built once: read on every page request
_SESSION_USER = (
    select(
        user_sessions.c.id.label("session_id"),
        user_sessions.c.last_seen_at,
        user_sessions.c.expires_at,
        users,
    )
    .join(users, users.c.id == user_sessions.c.user_id)
    .where(user_sessions.c.key_hash == bindparam("digest"), user_sessions.c.ended_at.is_(None))
)


def session_user(svc: Services, key: str, idle: timedelta) -> User | None:
    """The user of a live session: not ended, within its absolute lifetime, used within
    the idle window, its user active. A session past either limit is ended on the spot."""
    if not key or len(key) > 100:
        return None
    now = svc.now()
    with svc.reading() as conn:
        row = conn.execute(_SESSION_USER, {"digest": _digest(key)}).mappings().first()
    if row is None:
        return None
    reason = ""
    if row["expires_at"] <= now:
        reason = "expired"
    elif now - row["last_seen_at"] > idle:
        reason = "idle"
    elif not row["active"]:
        reason = "deactivated"
    if reason:
        _end(svc, row["session_id"], reason)
        return None
    if now - row["last_seen_at"] > TOUCH_EVERY:
        with svc.transaction() as conn:
            conn.execute(
                update(user_sessions)
                .where(user_sessions.c.id == row["session_id"])
                .values(last_seen_at=now)
            )
    values = {k: v for k, v in plain(row).items() if k in users.c}
    return msgspec.convert(values, User)


def _end(svc: Services, session_id: int, reason: str) -> None:
    with svc.transaction() as conn:
        conn.execute(
            update(user_sessions)
            .where(user_sessions.c.id == session_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=svc.now(), end_reason=reason)
        )


def end_sessions(svc: Services, user_id: int, reason: str = "logout") -> int:
    """End every page session of the user (signing out on one device signs out on all)."""
    with svc.transaction() as conn:
        result = conn.execute(
            update(user_sessions)
            .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=svc.now(), end_reason=reason)
        )
    return int(result.rowcount)


# --- API tokens --------------------------------------------------------------------------
def _live_token(now: datetime) -> Any:
    return and_(
        api_tokens.c.revoked_at.is_(None),
        (api_tokens.c.expires_at.is_(None)) | (api_tokens.c.expires_at > now),
    )


class TokenInfo(msgspec.Struct, kw_only=True):
    id: int
    username: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def issue_token(
    svc: Services, username: str, label: str = "", expires_in: timedelta | None = None
) -> tuple[TokenInfo, str]:
    """A new bearer token and its record; only its hash is stored, so it is shown once."""
    user = get_user(svc, username)
    if not user.active:
        raise Refused("user.inactive", f"用户 {username} 已停用")
    if expires_in is not None and expires_in <= timedelta(0):
        raise Invalid("expires", "有效期须为正")
    token = "jz_" + secrets.token_urlsafe(32)
    now = svc.now()
    with svc.transaction() as conn:
        tid = conn.execute(
            api_tokens.insert().values(
                user_id=user.id,
                token_hash=_digest(token),
                label=label[:60],
                created_at=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
        ).inserted_primary_key
        assert tid is not None
    return _token_info(svc, int(tid[0])), token


def create_token(
    svc: Services, username: str, label: str = "", expires_in: timedelta | None = None
) -> str:
    return issue_token(svc, username, label, expires_in)[1]


def _token_query() -> Any:
    return select(
        api_tokens.c.id,
        users.c.username,
        api_tokens.c.label,
        api_tokens.c.created_at,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
    ).join(users, users.c.id == api_tokens.c.user_id)


def _token_info(svc: Services, token_id: int) -> TokenInfo:
    if not 0 < token_id <= MAX_ID:
        raise NotFound("token", token_id)
    with svc.reading() as conn:
        row = conn.execute(_token_query().where(api_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise NotFound("token", token_id)
    return msgspec.convert(plain(row), TokenInfo)


def list_tokens(svc: Services, username: str | None = None) -> list[TokenInfo]:
    query = _token_query().order_by(api_tokens.c.id)
    if username is not None:
        get_user(svc, username)  # an unknown name is an error, not an empty list
        query = query.where(users.c.username == username)
    with svc.reading() as conn:
        return [msgspec.convert(plain(r), TokenInfo) for r in conn.execute(query).mappings()]


def revoke_token(svc: Services, token_id: int) -> TokenInfo:
    """Revoke one token by its id (the others of the same user keep working)."""
    _token_info(svc, token_id)
    with svc.transaction() as conn:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=svc.now())
        )
    return _token_info(svc, token_id)


def revoke_tokens(svc: Services, username: str) -> int:
    """Revoke every token of a user."""
    user = get_user(svc, username)
    with svc.transaction() as conn:
        result = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=svc.now())
        )
    return int(result.rowcount)


def user_for_token(svc: Services, token: str) -> User:
    if not token or len(token) > 100:
        raise NotFound("token", "…")
    with svc.reading() as conn:
        row = (
            conn.execute(
                select(users)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(
                    api_tokens.c.token_hash == _digest(token),
                    _live_token(svc.now()),
                    users.c.active.is_(True),
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("token", "…")
    return msgspec.convert(plain(row), User)


# --- an API call: the token's user and its audit row in one unit --------------------------
TOKEN_CACHE_SECONDS = 60.0
TOKEN_CACHE_SIZE = 10_000
_token_users: dict[str, tuple[float, User]] = {}  # token digest -> (cached until, user)


# Built once (hot: every API call): the live token's user, and the audit row written only
# while the token is live — "digest" and "now" bound per call, the row's values too.
_LIVE = and_(
    api_tokens.c.token_hash == bindparam("digest"),
    api_tokens.c.revoked_at.is_(None),
    api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > bindparam("now")),
    users.c.active.is_(True),
)
_TOKEN_USERS = users.join(api_tokens, api_tokens.c.user_id == users.c.id)
_TOKEN_USER = select(users).select_from(_TOKEN_USERS).where(_LIVE)
_AUDITED = ("at", "action", "case_id", "path", "detail", "client_ip")  # audit.audit_values
_TOKEN_AUDIT = (
    audit_log.insert()
    .from_select(
        ["user_id", "username", *_AUDITED],
        select(
            users.c.id,
            users.c.username,
            *(bindparam(k, type_=audit_log.c[k].type) for k in _AUDITED),
        )
        .select_from(_TOKEN_USERS)
        .where(_LIVE),
    )
    .returning(audit_log.c.id)
)


def token_known(token: str) -> bool:
    """This process checked the token within the user cache's minute (it may have been
    revoked since: token_user_audited still decides)."""
    cached = _token_users.get(_digest(token)) if token and len(token) <= 100 else None
    return cached is not None and cached[0] > time.monotonic()


def token_user_audited(
    svc: Services,
    token: str,
    action: str,
    path: str,
    case_id: int | None = None,
    client_ip: str = "",
) -> User:
    """The user of a live bearer token, and the call's audit row, on the request's pinned
    connection (services.pinning). The row is written by ``INSERT … SELECT`` from the token
    and its user, so it is written only while the token is live and the user active: the
    check and the record are one statement (atomic without a transaction around it), and a
    token revoked or a user deactivated (by any process) is refused at once. What the user
    is (role, region, area) is cached per process for a minute — those never change for a
    user — so a repeated caller costs that one statement."""
    from .audit import audit_values

    if not token or len(token) > 100:
        raise NotFound("token", "…")
    digest = _digest(token)
    now = svc.now()
    clock = time.monotonic()
    cached = _token_users.get(digest)
    user = cached[1] if cached is not None and cached[0] > clock else None
    fresh = user is None
    params = {"digest": digest, "now": now}
    # SQLite: a write unit (BEGIN IMMEDIATE), or a read snapshot taken by the SELECT could
    # not become the INSERT's write once another writer committed (SQLITE_BUSY at once);
    # PostgreSQL: autocommit, as the INSERT … SELECT re-checks the token by itself
    with svc.single() as conn:
        if user is None:
            row = conn.execute(_TOKEN_USER, params).mappings().first()
            if row is None:
                raise NotFound("token", "…")
            user = msgspec.convert(plain(row), User)
        values = audit_values(svc, action, path, case_id, client_ip, {})
        # RETURNING: psycopg gives no rowcount for INSERT … SELECT
        written = conn.execute(_TOKEN_AUDIT, {**params, **values}).all()
        if len(written) != 1:
            _token_users.pop(digest, None)
            raise NotFound("token", "…")
    if fresh:
        if len(_token_users) >= TOKEN_CACHE_SIZE:
            _token_users.clear()
        _token_users[digest] = (clock + TOKEN_CACHE_SECONDS, user)
    return user
