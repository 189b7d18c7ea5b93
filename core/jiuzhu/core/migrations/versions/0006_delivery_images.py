"""delivery images: the handwritten signature (PNG) and optional before/after photos of a
visit, in the database so that the province's one backup holds them.

Revision ID: 0006_delivery_images
Revises: 0005_perf
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import jiuzhu.core.storage.types

revision = "0006_delivery_images"
down_revision = "0005_perf"
branch_labels = None
depends_on = None

UTC = jiuzhu.core.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery_images", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_images_delivery_id", ["delivery_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_images", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_images_delivery_id")
    op.drop_table("delivery_images")
