"""Notices are codes and parameters (issue 18, point 7); the English is
made from the same table the UI translates."""

import re

import pytest

from app.client.connection import ConnectionLost, RequestFailed
from app.client.messages import SERVER_CODES, explain, explain_code
from app.client.notices import TEXTS, english, notice
from app.client.server_choice import server_url_problem


def test_every_code_formats_with_the_parameters_it_names() -> None:
    for code, text in TEXTS.items():
        names = set(re.findall(r"{(\w+)}", text))
        params = {name: f"<{name}>" for name in names}
        out = english(code, params)
        assert "{" not in out and all(f"<{n}>" in out for n in names - {"who"})


def test_every_server_code_has_its_sentence() -> None:
    assert set(TEXTS) >= SERVER_CODES


def test_nobody_named_is_a_moderator() -> None:
    assert notice("info", "muted", room="Balai", who="").text == "A moderator muted you in Balai."
    assert notice("info", "muted", room="Balai", who="ayu").text == "ayu muted you in Balai."


@pytest.mark.parametrize(
    ("exc", "code", "params"),
    [
        (RequestFailed("stage_full", "full"), "stage_full", {}),
        (RequestFailed("weird_new_code", "the server's words"), "server_said",
         {"detail": "the server's words"}),
        (RequestFailed("unsupported_version", "v9 only"), "unsupported_version",
         {"detail": "v9 only"}),
        (ConnectionLost("gone"), "connection_lost", {"server": "srv"}),
        (TimeoutError(), "timeout", {"server": "srv"}),
        (OSError("refused"), "unreachable", {"server": "srv"}),
        (ValueError("boom"), "unexpected", {"detail": "boom"}),
    ],
)  # fmt: skip
def test_failures_become_codes(exc: BaseException, code: str, params: dict[str, str]) -> None:
    assert explain_code(exc, "srv") == (code, params)
    assert explain(exc, "srv") == english(code, params)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ws://host:8765/ws", None),
        ("wss://rooms.example.org/ws", None),
        ("  ws://127.0.0.1:8765/ws  ", None),
        ("", "empty"),
        ("not a url", "scheme"),
        ("host:8765", "scheme"),
        ("http://host:8765/ws", "scheme"),
        ("ws://", "host"),
        ("ws://host:99999/ws", "host"),
        ("ws://host:port/ws", "host"),
        ("ws://a host/ws", "host"),
    ],
)
def test_server_urls(text: str, problem: str | None) -> None:
    assert server_url_problem(text) == problem
