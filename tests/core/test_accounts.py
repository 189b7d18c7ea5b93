"""Accounts (issue 10 items 4 and 5): throttling that cannot be turned against a user,
passwords, sessions that end on the server, tokens that expire and are revoked by id.
Storage matters here: these run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from jiuzhu.core.base import Invalid, NotFound, Refused
from jiuzhu.core.services import Services
from jiuzhu.core.services import users as accounts
from jiuzhu.core.services.audit import audit
from jiuzhu.core.services.users import (
    add_user,
    authenticate,
    check_password,
    create_token,
    end_sessions,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    session_user,
    set_active,
    set_password,
    start_session,
    user_for_token,
)
from jiuzhu.core.storage.tables import audit_log, login_attempts

from ..conftest import Clock, actor_for

PW = "correct-horse-9"
DAY = timedelta(hours=12)
IDLE = timedelta(hours=8)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def officer(svc: Services) -> Any:
    return add_user(svc, "ordos-officer", PW, "officer", "ordos", "150602")


def refused(rule: str, call: Any, *args: Any) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args)
    assert caught.value.rule == rule, caught.value
    return caught.value


def test_a_stranger_cannot_lock_a_user_out(svc: Services, officer: Any, clock: Clock) -> None:
    for _ in range(3):
        refused("login.failed", authenticate, svc, "ordos-officer", "wrong", "203.0.113.9")
    why = refused("login.throttled", authenticate, svc, "ordos-officer", PW, "203.0.113.9")
    retry_after = why.facts["retry_after"]
    assert isinstance(retry_after, int) and retry_after >= 1
    # the owner, from their own address, signs in at once
    assert authenticate(svc, "ordos-officer", PW, "10.1.2.3").username == "ordos-officer"
    # the stranger's delays grow: 1 s, 2 s, 4 s …
    waits = []
    for _ in range(4):
        clock.advance(seconds=3600)
        refused("login.failed", authenticate, svc, "ordos-officer", "wrong", "203.0.113.9")
        waits.append(
            refused("login.throttled", authenticate, svc, "ordos-officer", "x", "203.0.113.9")
        )
    assert [w.facts["retry_after"] for w in waits] == [2, 4, 8, 16]


def test_one_address_trying_many_names_is_slowed(svc: Services, officer: Any) -> None:
    for i in range(accounts.IP_FREE):
        refused("login.failed", authenticate, svc, f"user-{i}", "guess", "198.51.100.7")
    refused("login.throttled", authenticate, svc, "ordos-officer", PW, "198.51.100.7")
    assert authenticate(svc, "ordos-officer", PW, "10.9.9.9").username == "ordos-officer"


def test_attempts_keep_the_client_address_and_throttled_ones_are_marked(
    svc: Services, officer: Any
) -> None:
    for _ in range(4):
        with pytest.raises(Refused):
            authenticate(svc, "ordos-officer", "wrong", "192.0.2.1")
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(login_attempts.c.client_ip, login_attempts.c.throttled).order_by(
                login_attempts.c.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [("192.0.2.1", False)] * 3 + [("192.0.2.1", True)]


def test_unknown_names_cost_an_argon2_check_too(
    svc: Services, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts._hasher

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            checked.append(hashed)
            return real.verify(hashed, password)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    refused("login.failed", authenticate, svc, "nobody-here", PW, "192.0.2.2")
    refused("login.failed", authenticate, svc, "ordos-officer", "wrong", "192.0.2.3")
    assert len(checked) == 2 and all(h.startswith("$argon2") for h in checked)
    set_active(svc, "ordos-officer", False)  # inactive: same answer, same cost
    refused("login.failed", authenticate, svc, "ordos-officer", PW, "192.0.2.4")
    assert len(checked) == 3


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pw-1", "至少12位"),
        ("password1234", "常见"),
        ("qwertyuiop123", "常见"),
        ("123456789012", "常见"),
        ("ordos-officer1", "常见"),  # the username itself
        ("x" * 129, "不超过"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_password(password, "ordos-officer")
    assert caught.value.field == "password" and why in caught.value.detail


def test_generated_and_fixture_passwords_pass() -> None:
    for pw in (PW, "correct-horse-battery", "a-long-password", accounts.generate_password()):
        check_password(pw)


def test_add_user_refuses_unknown_departments_foreign_workers_and_silent_regions(
    svc: Services,
) -> None:
    from jiuzhu.core.services.providers import create_provider, create_worker

    admin = actor_for(svc.regions, "ordos")
    a = create_provider(svc, admin, "ordos", "甲", "150602").id
    b = create_provider(svc, admin, "ordos", "乙", "150602").id
    wb = create_worker(svc, admin, b, "乙社工").id

    def invalid(field: str, *args: Any, **kw: Any) -> str:
        with pytest.raises(Invalid) as caught:
            add_user(svc, *args, **kw)
        assert caught.value.field == field, caught.value
        return caught.value.detail

    assert "--area" in invalid("area_code", "c1", PW, "clerk", "ordos")
    assert "mz" in invalid("department", "ap", PW, "approver", "ordos", "150600", department="x")
    invalid("worker_id", "w", PW, "worker", "ordos", "150602", provider_id=a, worker_id=wb)
    invalid("provider_id", "w2", PW, "worker", "ordos", "150602", provider_id=99, worker_id=wb)
    assert add_user(svc, "ev", PW, "evaluator", "ordos").area_code == "150600"  # region-wide
    assert add_user(svc, "c2", PW, "clerk", "ordos", "150600").area_code == "150600"


def test_sessions_end_on_logout_password_change_and_deactivation(
    svc: Services, officer: Any, clock: Clock
) -> None:
    phone = start_session(svc, officer, DAY)
    desk = start_session(svc, officer, DAY)
    assert session_user(svc, phone, IDLE) is not None
    assert end_sessions(svc, officer.id) == 2  # signing out ends it on every device
    assert session_user(svc, phone, IDLE) is None and session_user(svc, desk, IDLE) is None
    # a new password ends every session and every token
    key = start_session(svc, officer, DAY)
    token = create_token(svc, "ordos-officer")
    assert set_password(svc, "ordos-officer", "another-horse-77") == 2
    assert session_user(svc, key, IDLE) is None
    with pytest.raises(NotFound):
        user_for_token(svc, token)
    # deactivation too; activating again revives nothing
    key = start_session(svc, officer, DAY)
    token = create_token(svc, "ordos-officer")
    set_active(svc, "ordos-officer", False)
    set_active(svc, "ordos-officer", True)
    assert session_user(svc, key, IDLE) is None
    with pytest.raises(NotFound):
        user_for_token(svc, token)
    info = next(i for i in list_users(svc) if i.user.username == "ordos-officer")
    assert info.sessions == 0 and info.tokens == 0 and info.user.active


def test_session_lifetime_and_idle_window(svc: Services, officer: Any, clock: Clock) -> None:
    key = start_session(svc, officer, DAY)
    clock.advance(hours=7, minutes=59)
    assert session_user(svc, key, IDLE) is not None
    clock.advance(hours=4, minutes=2)  # active, but past 12 h after sign-in
    assert session_user(svc, key, IDLE) is None
    key = start_session(svc, officer, DAY)
    clock.advance(hours=8, minutes=2)
    assert session_user(svc, key, IDLE) is None
    assert session_user(svc, "not-a-key", IDLE) is None and session_user(svc, "", IDLE) is None


def test_tokens_expire_and_are_revoked_one_by_one(
    svc: Services, officer: Any, clock: Clock
) -> None:
    short, short_token = issue_token(svc, "ordos-officer", "script", timedelta(days=90))
    long, long_token = issue_token(svc, "ordos-officer", "other")
    assert short.expires_at == clock.now + timedelta(days=90) and long.expires_at is None
    assert revoke_token(svc, long.id).revoked_at is not None
    with pytest.raises(NotFound):
        user_for_token(svc, long_token)
    assert user_for_token(svc, short_token).username == "ordos-officer"  # still live
    clock.advance(days=90, seconds=1)
    with pytest.raises(NotFound):
        user_for_token(svc, short_token)
    assert [t.state(clock.now) for t in list_tokens(svc, "ordos-officer")] == [
        "expired",
        "revoked",
    ]
    with pytest.raises(NotFound):
        revoke_token(svc, 424242)


def test_the_audit_log_is_append_only(svc: Services) -> None:
    audit(svc, actor_for(svc.regions, "ordos"), "case.view", "/cases/1", client_ip="192.0.2.5")
    with svc.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.client_ip)).scalar_one() == "192.0.2.5"
    for statement in (
        update(audit_log).values(username="someone-else"),
        audit_log.delete(),
        text("DELETE FROM audit_log WHERE id > 0"),
    ):
        with pytest.raises(DBAPIError) as caught, svc.engine.begin() as conn:
            conn.execute(statement)
        assert "append-only" in str(caught.value)
    with svc.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.username)).scalar_one() == "admin-ordos"
