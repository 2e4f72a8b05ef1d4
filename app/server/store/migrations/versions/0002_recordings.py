"""Recordings of rooms' audience mixes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("host_id", sa.Integer, nullable=False),
        sa.Column("room_id", sa.Text, nullable=False),
        sa.Column("room_title", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("started_at", sa.Double, nullable=False),
        sa.Column("ended_at", sa.Double, nullable=True),
        sa.Column("duration", sa.Double, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_recordings_owner_id", "recordings", ["owner_id"])
    op.create_index("ix_recordings_host_id", "recordings", ["host_id"])


def downgrade() -> None:
    op.drop_index("ix_recordings_host_id", table_name="recordings")
    op.drop_index("ix_recordings_owner_id", table_name="recordings")
    op.drop_table("recordings")
