"""The tables, defined once; queries use these, and a test checks the migrations match them.

Times are float epoch seconds in double-precision columns, so a value read back
equals the value written on both SQLite and PostgreSQL.
"""

import sqlalchemy as sa

# Stable constraint names, so later migrations can refer to them on both
# databases (SQLite batch migrations need names to drop or alter constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

users = sa.Table(
    "users",
    metadata,
    # AUTOINCREMENT on SQLite: an id is never reused, so nothing that still
    # names a deleted user can point at a new one.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.Text, nullable=False),
    # str.casefold() of username, computed in Python so both databases agree.
    sa.Column("username_key", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sqlite_autoincrement=True,
)

sessions = sa.Table(
    "sessions",
    metadata,
    # sha256 hex of the opaque token; the token itself is never stored.
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double, nullable=True),
)

# Room tables carry no foreign keys to users: they are a snapshot of the room
# core, which owns their invariants, and a save must not fail mid-room over an
# id the core accepted.
rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("room_id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("invite_only", sa.Boolean, nullable=False),
    sa.Column("stage_capacity", sa.Integer, nullable=False),
    sa.Column("locked", sa.Boolean, nullable=False),
    sa.Column("hands_enabled", sa.Boolean, nullable=False),
    sa.Column("pinned_link", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False, index=True),
    sa.Column("host_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("ended_at", sa.Double, nullable=True),
    # The lease epoch of the cluster origin that saved the room last (0: a
    # single process); a save from an older epoch is refused (fencing).
    sa.Column("epoch", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("status IN ('live', 'ended')", name="status"),
)

room_members = sa.Table(
    "room_members",
    metadata,
    sa.Column(
        "room_id",
        sa.Text,
        sa.ForeignKey("rooms.room_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Integer, primary_key=True),
    # Index in DurableRoom.members, so a load gives back the tuple as saved.
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("joined_at", sa.Double, nullable=False),
    sa.Column("role_since", sa.Double, nullable=False),
    sa.Column("mod_muted", sa.Boolean, nullable=False),
    # Set for a listener whose hand is up (the queue's order); listeners
    # without one are not stored.
    sa.Column("hand_raised_at", sa.Double, nullable=True),
    sa.CheckConstraint("role IN ('host', 'cohost', 'speaker', 'listener')", name="role"),
)

room_bans = sa.Table(
    "room_bans",
    metadata,
    sa.Column(
        "room_id",
        sa.Text,
        sa.ForeignKey("rooms.room_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Integer, primary_key=True),
)

room_invites = sa.Table(
    "room_invites",
    metadata,
    # Globally unique: an invite link resolves to exactly one room.
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column(
        "room_id",
        sa.Text,
        sa.ForeignKey("rooms.room_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

# One row per recording of a room's audience mix. The file itself lives under
# the server's recordings directory as `file_name` (never a path from a URL).
# No foreign keys, like the room tables: a recording outlives its room's rows.
recordings = sa.Table(
    "recordings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Who started it; they (and host_id, the room's host then) may download it.
    sa.Column("owner_id", sa.Integer, nullable=False, index=True),
    sa.Column("host_id", sa.Integer, nullable=False, index=True),
    sa.Column("room_id", sa.Text, nullable=False),
    sa.Column("room_title", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    # NULL while recording (or when the server died mid-recording).
    sa.Column("ended_at", sa.Double, nullable=True),
    sa.Column("duration", sa.Double, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sqlite_autoincrement=True,
)

# Scheduled rooms (issue 16). `version` rises with every change, and every
# update names the version it replaces, so that two nodes of a cluster (or two
# requests) acting on one plan at once cannot both win: the start reminders,
# a cancel racing a start, the missed mark are each done once.
scheduled_rooms = sa.Table(
    "scheduled_rooms",
    metadata,
    sa.Column("schedule_id", sa.Text, primary_key=True),
    sa.Column("host_id", sa.Integer, nullable=False, index=True),
    sa.Column("host_name", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    # UTC epoch seconds; clients show them in the user's own time zone.
    sa.Column("starts_at", sa.Double, nullable=False),
    sa.Column("invite_only", sa.Boolean, nullable=False),
    sa.Column("status", sa.Text, nullable=False, index=True),
    sa.Column("room_id", sa.Text, nullable=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("reminded_at", sa.Double, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.CheckConstraint(
        "status IN ('scheduled', 'live', 'cancelled', 'missed')", name="schedule_status"
    ),
)

scheduled_invitees = sa.Table(
    "scheduled_invitees",
    metadata,
    sa.Column(
        "schedule_id",
        sa.Text,
        sa.ForeignKey("scheduled_rooms.schedule_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.CheckConstraint("role IN ('cohost', 'speaker')", name="invitee_role"),
)

schedule_reminders = sa.Table(
    "schedule_reminders",
    metadata,
    sa.Column(
        "schedule_id",
        sa.Text,
        sa.ForeignKey("scheduled_rooms.schedule_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Integer, primary_key=True, index=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

# What each person who asked for a reminder is to be told, once: queued in the
# transaction that made it due, claimed (delivered_at set, RETURNING) by the
# node the person is connected to when it delivers.
schedule_notices = sa.Table(
    "schedule_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "schedule_id",
        sa.Text,
        sa.ForeignKey("scheduled_rooms.schedule_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("delivered_at", sa.Double, nullable=True),
    sa.Index("ix_schedule_notices_pending", "delivered_at", "user_id"),
    sqlite_autoincrement=True,
)
