"""Users, sessions, and the durable state of rooms.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Frozen: later schema changes go in new revisions, never here.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("username_key", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username_key", name="uq_users_username_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "rooms",
        sa.Column("room_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("invite_only", sa.Boolean, nullable=False),
        sa.Column("stage_capacity", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("hands_enabled", sa.Boolean, nullable=False),
        sa.Column("pinned_link", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("host_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("ended_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("room_id", name="pk_rooms"),
        sa.CheckConstraint("status IN ('live', 'ended')", name="ck_rooms_status"),
    )
    op.create_index("ix_rooms_status", "rooms", ["status"])
    op.create_table(
        "room_members",
        sa.Column("room_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("joined_at", sa.Double, nullable=False),
        sa.Column("role_since", sa.Double, nullable=False),
        sa.Column("mod_muted", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_room_members"),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.room_id"],
            name="fk_room_members_room_id_rooms",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("role IN ('host', 'cohost', 'speaker')", name="ck_room_members_role"),
    )
    op.create_table(
        "room_bans",
        sa.Column("room_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_room_bans"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.room_id"], name="fk_room_bans_room_id_rooms", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "room_invites",
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("room_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_room_invites"),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.room_id"],
            name="fk_room_invites_room_id_rooms",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_room_invites_room_id", "room_invites", ["room_id"])


def downgrade() -> None:
    op.drop_table("room_invites")
    op.drop_table("room_bans")
    op.drop_table("room_members")
    op.drop_table("rooms")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("users")
