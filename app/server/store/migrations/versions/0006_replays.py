"""Replays: who may play a finished recording, and who was in its room.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table): SQLite keeps the
    # table's AUTOINCREMENT, so a deleted replay's id is never handed out again.
    op.add_column(
        "recordings", sa.Column("visibility", sa.Text, nullable=False, server_default="private")
    )
    op.add_column(
        "recordings",
        sa.Column("invite_only", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "replay_viewers",
        sa.Column("recording_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("moderator", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("recording_id", "user_id", name="pk_replay_viewers"),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_replay_viewers_recording_id_recordings",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_replay_viewers_user_id", "replay_viewers", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_replay_viewers_user_id", table_name="replay_viewers")
    op.drop_table("replay_viewers")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("invite_only")
        batch.drop_column("visibility")
