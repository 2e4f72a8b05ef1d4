"""What the control socket's commands do to the desktop session (Qt-free).

Commands: {"cmd": "status"}, {"cmd": "ptt", "action": "press|release|toggle"},
{"cmd": "join", "link": "..."} (a link or a room id), {"cmd": "show"},
{"cmd": "quit"}. Every reply carries "ok" and the session's status.
"""

from collections.abc import Callable

from app.client.desktop_session import Change, DesktopSession, Notice


class ControlCommands:
    def __init__(
        self,
        session: DesktopSession,
        show: Callable[[], None] = lambda: None,
        quit: Callable[[], None] = lambda: None,
    ) -> None:
        self._session = session
        self._show = show
        self._quit = quit

    async def __call__(self, command: dict[str, object]) -> dict[str, object]:
        session = self._session
        errors: list[str] = []

        def collect(change: Change, notice: Notice | None) -> None:
            if change is Change.ERROR and notice is not None:
                errors.append(notice.text)

        session.listeners.append(collect)
        try:
            ok = await self._run(command)
        finally:
            session.listeners.remove(collect)
        reply: dict[str, object] = {"ok": ok and not errors, "status": session.status()}
        if errors:
            reply["error"] = " ".join(errors)
        return reply

    async def _run(self, command: dict[str, object]) -> bool:
        session = self._session
        match command.get("cmd"):
            case "status":
                return True
            case "ptt":
                action = command.get("action")
                if action == "press":
                    session.ptt_press()
                elif action == "release":
                    session.ptt_release()
                elif action == "toggle":
                    session.ptt_toggle()
                else:
                    raise ValueError(f"unknown ptt action {action!r}")
                await session.ptt_settled()
                return True
            case "join":
                link = str(command.get("link", ""))
                if "/" in link:
                    return await session.join_link(link)
                return await session.join(link)
            case "show":
                self._show()
                return True
            case "quit":
                self._quit()
                return True
            case other:
                raise ValueError(f"unknown command {other!r}")
