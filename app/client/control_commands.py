"""What the control socket's commands do to the desktop session (Qt-free).

Commands: {"cmd": "status"}, {"cmd": "ptt", "action": "press|release|toggle"},
{"cmd": "join", "link": "..."} (a link or a room id), {"cmd": "show"},
{"cmd": "quit"}, {"cmd": "health"} (adds "health": the process's own figures).
Every reply carries "ok" and the session's status.

A link that arrives before sign-in (the OS started the app for it) is
handed to `join_later`, when there is one, instead of failing: the window
keeps it and joins once signed in, as it does for macOS's link events.
"""

from collections.abc import Callable

from app.client.app_state import Phase
from app.client.desktop_session import Change, DesktopSession, Notice
from app.client.health import process_health
from app.client.ptt import PttSource

NOT_YET_SIGNED_IN = (Phase.SIGNED_OUT, Phase.SIGNING_IN)


async def join_by_text(session: DesktopSession, text: str) -> bool:
    """Join what someone gave: an invite link (panggung:// or http(s)) or a room id."""
    if "/" in text:
        return await session.join_link(text)
    return await session.join(text)


class ControlCommands:
    def __init__(
        self,
        session: DesktopSession,
        show: Callable[[], None] = lambda: None,
        quit: Callable[[], None] = lambda: None,
        join_later: Callable[[str], None] | None = None,
    ) -> None:
        self._session = session
        self._show = show
        self._quit = quit
        self._join_later = join_later

    async def __call__(self, command: dict[str, object]) -> dict[str, object]:
        session = self._session
        errors: list[str] = []

        def collect(change: Change, notice: Notice | None) -> None:
            if change is Change.ERROR and notice is not None:
                errors.append(notice.text)

        session.listeners.append(collect)
        try:
            ok = await self._run(command)
        except RuntimeError as exc:  # e.g. joining before signing in
            errors.append(str(exc))
            ok = False
        finally:
            session.listeners.remove(collect)
        reply: dict[str, object] = {"ok": ok and not errors, "status": session.status()}
        if command.get("cmd") == "health":
            reply["health"] = process_health()
        if errors:
            reply["error"] = " ".join(errors)
        return reply

    async def _run(self, command: dict[str, object]) -> bool:
        session = self._session
        match command.get("cmd"):
            case "status" | "health":
                return True
            case "ptt":
                action = command.get("action")
                if action == "press":
                    session.ptt_press(PttSource.CONTROL)
                elif action == "release":
                    session.ptt_release(PttSource.CONTROL)
                elif action == "toggle":
                    session.ptt_toggle()
                else:
                    raise ValueError(f"unknown ptt action {action!r}")
                await session.ptt_settled()
                return True
            case "join":
                link = str(command.get("link", ""))
                if self._join_later is not None and session.phase in NOT_YET_SIGNED_IN:
                    self._join_later(link)
                    return True
                return await join_by_text(session, link)
            case "show":
                self._show()
                return True
            case "quit":
                self._quit()
                return True
            case other:
                raise ValueError(f"unknown command {other!r}")
