"""privacy: server-side sessions, token expiry, client IPs, append-only audit log

Revision ID: 0002_privacy
Revises: 0001
Create Date: 2026-12-01 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "0002_privacy"
down_revision = "0001"
branch_labels = None
depends_on = None

# The audit log is append-only at the database level: an UPDATE or DELETE is refused
# whoever runs it (the application, a script, an SQL console), not only by the code.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION jiuzhu_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION jiuzhu_audit_log_append_only()
"""
SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op_name} refused'); END
"""
    for op_name in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), server_default="", nullable=False),
        sa.Column("client_ip", sa.String(length=45), server_default="", nullable=False),
        sa.Column("user_agent", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", jiuzhu.core.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_ip", sa.String(length=45), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("throttled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_login_attempts_client_ip"), ["client_ip"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_ip", sa.String(length=45), server_default="", nullable=False))
    # after the column is added: SQLite's batch mode rebuilds the table (and would drop triggers)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    elif op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS jiuzhu_audit_log_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("client_ip")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_client_ip"))
        batch_op.drop_column("throttled")
        batch_op.drop_column("client_ip")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
