"""Rooms carry the lease epoch of the cluster origin that saved them (fencing).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("epoch", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("epoch")
