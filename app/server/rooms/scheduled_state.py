"""A room planned for later, as the scheduling core and the store hold it.

Frozen: every decision (`scheduling`) returns a new value, which the shell
stores with a check on `version`, so that two nodes (or two requests) acting
on the same plan at once cannot both win.
"""

from dataclasses import dataclass

from app.protocol.model import Role, ScheduleStatus


@dataclass(frozen=True, slots=True)
class Invitee:
    """Someone invited ahead onto the stage (a co-host or a speaker)."""

    user_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Plan:
    """What the host chose; validated by `scheduling.check_plan`."""

    title: str
    topic: str
    starts_at: float
    invite_only: bool
    invitees: tuple[Invitee, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduledRoomState:
    schedule_id: str
    host_id: int
    host_name: str
    plan: Plan
    status: ScheduleStatus
    created_at: float
    # Bumped by every change; a store write names the version it replaces.
    version: int = 0
    # The live room, once started.
    room_id: str | None = None
    # When the "starting" reminders were queued (at most once).
    reminded_at: float | None = None

    def role_of(self, user_id: int) -> Role | None:
        """The role this user has in the plan: host, invited ahead, or none."""
        if user_id == self.host_id:
            return Role.HOST
        for invitee in self.plan.invitees:
            if invitee.user_id == user_id:
                return invitee.role
        return None

    def names(self, role: Role) -> list[str]:
        return [i.name for i in self.plan.invitees if i.role is role]
