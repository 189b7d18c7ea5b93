"""Users, passwords (argon2), API tokens (stored hashed), and login throttling."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..access import Actor, Role
from ..base import Invalid, NotFound, Refused
from ..storage.tables import api_tokens, login_attempts, users
from . import Services, fetch_one, plain

_hasher = PasswordHasher()
MAX_FAILURES = 5  # within THROTTLE_WINDOW, then sign-in is refused until the window passes
THROTTLE_WINDOW = timedelta(minutes=15)


class User(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    username: str
    display_name: str
    role: Role
    region_id: str
    area_code: str
    provider_id: int | None = None
    worker_id: int | None = None
    department: str = ""
    active: bool = True

    def actor(self) -> Actor:
        return Actor(
            username=self.username,
            role=self.role,
            region_id=self.region_id,
            area_code=self.area_code,
            provider_id=self.provider_id,
            worker_id=self.worker_id,
            department=self.department,
            user_id=self.id,
        )


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
    try:
        role_ = Role(role)
    except ValueError:
        raise Invalid(
            "role", f"应为 {', '.join(r.value for r in Role if r != Role.SYSTEM)}"
        ) from None
    area = area_code or region.info.code
    if area != region.info.code and region.info.area(area) is None:
        raise Invalid("area_code", f"{area} 不是{region.info.name}的区划代码")
    if len(password) < 10:
        raise Invalid("password", "密码至少10位")
    if role_ == Role.WORKER and worker_id is None:
        raise Invalid("worker_id", "社工账号须绑定社工")
    if role_ in (Role.WORKER, Role.PROVIDER_ADMIN) and provider_id is None:
        raise Invalid("provider_id", "服务机构账号须绑定机构")
    if role_ == Role.APPROVER and not department:
        raise Invalid("department", "部门审批账号须指定部门")
    try:
        with svc.transaction() as conn:
            uid = conn.execute(
                users.insert().values(
                    username=username,
                    display_name=display_name or username,
                    password_hash=_hasher.hash(password),
                    role=role_.value,
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


def get_user(svc: Services, username: str) -> User:
    with svc.engine.connect() as conn:
        row = fetch_one(conn, users, "user", username, username=username)
    return msgspec.convert(row, User)


def authenticate(svc: Services, username: str, password: str) -> User:
    """Refuses after MAX_FAILURES failed attempts in the window; every attempt is logged."""
    now = svc.now()
    with svc.transaction() as conn:
        failures = conn.execute(
            select(func.count()).where(
                login_attempts.c.username == username,
                login_attempts.c.ok.is_(False),
                login_attempts.c.at > now - THROTTLE_WINDOW,
            )
        ).scalar_one()
        if failures >= MAX_FAILURES:
            raise Refused("login.throttled", "登录失败次数过多，请15分钟后再试")
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
        ok = False
        if row is not None and row["active"]:
            try:
                ok = _hasher.verify(row["password_hash"], password)
            except (VerificationError, InvalidHashError):
                ok = False
        conn.execute(login_attempts.insert().values(username=username, at=now, ok=ok))
    if not ok or row is None:
        raise Refused("login.failed", "用户名或密码错误")
    return msgspec.convert(plain(row), User)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(svc: Services, username: str, label: str = "") -> str:
    """A new bearer token; only its hash is stored, so it is shown once."""
    user = get_user(svc, username)
    token = "jz_" + secrets.token_urlsafe(32)
    with svc.transaction() as conn:
        conn.execute(
            api_tokens.insert().values(
                user_id=user.id, token_hash=_digest(token), label=label, created_at=svc.now()
            )
        )
    return token


def revoke_tokens(svc: Services, username: str) -> int:
    user = get_user(svc, username)
    with svc.transaction() as conn:
        result = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.user_id == user.id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=svc.now())
        )
    return int(result.rowcount)


def user_for_token(svc: Services, token: str) -> User:
    with svc.engine.connect() as conn:
        row = (
            conn.execute(
                select(users)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(
                    api_tokens.c.token_hash == _digest(token),
                    api_tokens.c.revoked_at.is_(None),
                    users.c.active.is_(True),
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound("token", "…")
    return msgspec.convert(plain(row), User)
