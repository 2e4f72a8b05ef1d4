"""Log records as JSON lines, for scripts and end-to-end tests to wait on.

`JsonFormatter` writes one object per record: when, level, logger and
message, plus whatever the call passed in `extra` (`event`, `server`, …), so
that a reader matches fields rather than parsing sentences. `EVENTS` is the
logger for the lines a script waits on (the app is ready, and where): it
logs at INFO whatever the app's log level, to stdout, always as JSON.
"""

import json
import logging
import sys
from typing import Any

# The attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}

EVENTS = "app.events"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: int, json_lines: bool) -> None:
    """The app's logging: text (or JSON lines) on stderr, and the events on stdout."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    events = logging.getLogger(EVENTS)
    events.setLevel(logging.INFO)
    events.propagate = False  # stdout only: the stderr log is not a script's to parse
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(JsonFormatter())
    events.handlers = [out]
