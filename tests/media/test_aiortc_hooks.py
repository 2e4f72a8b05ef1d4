"""The aiortc/aioice hooks: every name is checked, and a missing one stops the start."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import aioice
import pytest
from aiortc import RTCDtlsTransport, RTCRtpSender

from app.hookcheck import UnsupportedLibrary
from app.media import aiortc_hooks
from app.selftest import check_hooks
from app.server.main import main as server_main

AIORTC = version("aiortc")
AIOICE = version("aioice")


def test_check_passes_on_the_locked_versions() -> None:
    summary = aiortc_hooks.check()
    assert summary.startswith(f"aiortc {AIORTC}: ") and f"; aioice {AIOICE}: " in summary
    assert "untested" not in summary


def test_every_declared_name_is_checked() -> None:
    pc, transceiver = aiortc_hooks.throwaway()
    connection = aiortc_hooks.ice_connection(transceiver.sender.transport)
    checked = (
        aiortc_hooks.aiortc_hooks(pc, transceiver)
        + aiortc_hooks.aioice_hooks(connection)
        + aiortc_hooks.pylibsrtp_hooks()
    )
    assert {h.attribute for h in checked} == aiortc_hooks.TOUCHED


def test_a_missing_class_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RTCRtpSender, "_run_rtcp")
    with pytest.raises(UnsupportedLibrary) as failure:
        aiortc_hooks.check()
    assert str(failure.value).startswith(
        f"aiortc {AIORTC} is not supported: missing RTCRtpSender._run_rtcp"
    )


def test_a_missing_instance_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # `_tx_srtp` is set in __init__: only an instance can show it is gone.
    init = RTCDtlsTransport.__init__

    def init_without_srtp(self: RTCDtlsTransport, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        del self._tx_srtp

    monkeypatch.setattr(RTCDtlsTransport, "__init__", init_without_srtp)
    with pytest.raises(UnsupportedLibrary, match=r"missing RTCDtlsTransport\._tx_srtp \("):
        aiortc_hooks.check()


def test_a_missing_aioice_hook_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aioice.Connection, "get_component_candidates")
    with pytest.raises(UnsupportedLibrary) as failure:
        aiortc_hooks.check()
    assert str(failure.value) == (
        f"aioice {AIOICE} is not supported: missing Connection.get_component_candidates "
        "(Panggung's hooks are written for aioice 0.13.x)"
    )


def test_the_self_test_reports_aiortc() -> None:
    assert f"aiortc {AIORTC}: " in check_hooks()


def test_the_server_refuses_to_start_without_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delattr(RTCRtpSender, "_run_rtcp")
    assert server_main(["--port", "0"]) == 1
    err = capsys.readouterr().err
    missing = f"aiortc {AIORTC} is not supported: missing RTCRtpSender._run_rtcp"
    assert f"panggung-server: {missing}" in err
