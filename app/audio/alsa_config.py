"""Let go of ALSA's configuration and plugins once PortAudio has listed the devices.

PortAudio's ALSA host API lists devices by opening every PCM the ALSA
configuration names, which loads each plugin library installed on the
machine (a52, jack, oss, speex, upmix, usb_stream, vdownmix ...), the a52 one
with the system's whole FFmpeg behind it. alsa-lib keeps them loaded, and
its parsed configuration, until the global configuration is freed, which
PortAudio does only when it terminates. In the listening app that was about
11 MB of resident memory and 74 libraries for devices nobody opened
(issue 18 point 11).

``snd_config_update_free_global`` is alsa-lib's public call for this: it
takes alsa-lib's configuration lock, and unloads only plugins that no open
PCM holds (their cache is reference-counted), so a stream already playing
keeps its plugin. The next open re-reads the configuration and loads what
that device needs (for PulseAudio users, the pulse plugin). Where there is
no ALSA (macOS, Windows, a Linux without libasound) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)


LIBRARY = "libasound.so.2"  # the one PortAudio's ALSA host API is linked with


@cache
def _free_global() -> Callable[[], int] | None:
    try:
        function = ctypes.CDLL(LIBRARY).snd_config_update_free_global
    except (OSError, AttributeError):  # no ALSA on this system
        return None
    function.argtypes = []
    function.restype = ctypes.c_int
    return function


def release_alsa_config() -> bool:
    """Free ALSA's global configuration and the plugins no open PCM uses;
    False where there is no ALSA to release (or it refused)."""
    function = _free_global()
    if function is None:
        return False
    status = int(function())
    if status < 0:
        log.warning("ALSA kept its configuration (snd_config_update_free_global: %d)", status)
        return False
    return True
