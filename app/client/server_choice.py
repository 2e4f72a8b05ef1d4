"""Which room server the desktop app uses: the one on the command line, else
the remembered first-run choice, else it asks (once) and remembers.

"Host on this computer" runs the embedded server (SQLite in the data dir);
"Connect to a server URL" uses someone else's.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.client.app_settings import ServerMode, Settings


@dataclass(frozen=True, slots=True)
class ServerChoice:
    mode: ServerMode
    url: str = ""


EMBEDDED = ServerChoice(ServerMode.EMBEDDED)
SCHEMES = ("ws", "wss")


def server_url_problem(text: str) -> str | None:
    """Why `text` is not a server URL (None: it is one). The reasons are codes
    the UI words: "empty", "scheme" (not ws:// or wss://), "host"."""
    text = text.strip()
    if not text:
        return "empty"
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        return "host"
    if parts.scheme not in SCHEMES:
        return "scheme"
    if not parts.hostname or " " in text or (port is not None and not 0 < port < 65536):
        return "host"
    return None


def saved_choice(settings: Settings) -> ServerChoice | None:
    if settings.server_mode == ServerMode.EMBEDDED:
        return EMBEDDED
    if settings.server_mode == ServerMode.URL and settings.server_url:
        return ServerChoice(ServerMode.URL, settings.server_url)
    return None


def remember(settings: Settings, choice: ServerChoice) -> None:
    settings.server_mode = choice.mode.value
    settings.server_url = choice.url if choice.mode is ServerMode.URL else settings.server_url


async def resolve_server(
    cli_url: str | None,
    settings: Settings,
    ask: Callable[[], Awaitable[ServerChoice | None]],
    save: Callable[[], None],
) -> ServerChoice | None:
    """The server to use now; None when the person closed the first-run question.

    A `--server` URL is for this run only and changes nothing saved."""
    if cli_url:
        return ServerChoice(ServerMode.URL, cli_url)
    saved = saved_choice(settings)
    if saved is not None:
        return saved
    choice = await ask()
    if choice is None:
        return None
    remember(settings, choice)
    save()
    return choice
