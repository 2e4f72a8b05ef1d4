"""Raised hands are durable: listeners with a hand up are stored with its time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Batch: SQLite rebuilds the table (it cannot alter a CHECK in place).
    with op.batch_alter_table("room_members") as batch:
        batch.add_column(sa.Column("hand_raised_at", sa.Double, nullable=True))
        batch.drop_constraint("ck_room_members_role", type_="check")
        batch.create_check_constraint(
            "ck_room_members_role", "role IN ('host', 'cohost', 'speaker', 'listener')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM room_members WHERE role = 'listener'")
    with op.batch_alter_table("room_members") as batch:
        batch.drop_constraint("ck_room_members_role", type_="check")
        batch.create_check_constraint(
            "ck_room_members_role", "role IN ('host', 'cohost', 'speaker')"
        )
        batch.drop_column("hand_raised_at")
