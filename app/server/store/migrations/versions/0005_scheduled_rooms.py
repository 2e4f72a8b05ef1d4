"""Scheduled rooms, their invited co-hosts and speakers, reminders and notices.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_rooms",
        sa.Column("schedule_id", sa.Text, nullable=False),
        sa.Column("host_id", sa.Integer, nullable=False),
        sa.Column("host_name", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("starts_at", sa.Double, nullable=False),
        sa.Column("invite_only", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("room_id", sa.Text, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("reminded_at", sa.Double, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", name="pk_scheduled_rooms"),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'cancelled', 'missed')",
            name="ck_scheduled_rooms_schedule_status",
        ),
    )
    op.create_index("ix_scheduled_rooms_host_id", "scheduled_rooms", ["host_id"])
    op.create_index("ix_scheduled_rooms_status", "scheduled_rooms", ["status"])
    op.create_table(
        "scheduled_invitees",
        sa.Column("schedule_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", "user_id", name="pk_scheduled_invitees"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scheduled_rooms.schedule_id"],
            name="fk_scheduled_invitees_schedule_id_scheduled_rooms",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "role IN ('cohost', 'speaker')", name="ck_scheduled_invitees_invitee_role"
        ),
    )
    op.create_table(
        "schedule_reminders",
        sa.Column("schedule_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", "user_id", name="pk_schedule_reminders"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scheduled_rooms.schedule_id"],
            name="fk_schedule_reminders_schedule_id_scheduled_rooms",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_schedule_reminders_user_id", "schedule_reminders", ["user_id"])
    op.create_table(
        "schedule_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("delivered_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_notices"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scheduled_rooms.schedule_id"],
            name="fk_schedule_notices_schedule_id_scheduled_rooms",
            ondelete="CASCADE",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_schedule_notices_pending", "schedule_notices", ["delivered_at", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_notices_pending", table_name="schedule_notices")
    op.drop_table("schedule_notices")
    op.drop_index("ix_schedule_reminders_user_id", table_name="schedule_reminders")
    op.drop_table("schedule_reminders")
    op.drop_table("scheduled_invitees")
    op.drop_index("ix_scheduled_rooms_status", table_name="scheduled_rooms")
    op.drop_index("ix_scheduled_rooms_host_id", table_name="scheduled_rooms")
    op.drop_table("scheduled_rooms")
