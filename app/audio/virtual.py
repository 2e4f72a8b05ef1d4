"""A private PulseAudio daemon with virtual devices, for tests and benchmarks
on machines without a sound card (or with one we must not disturb).

It runs as a child process with its own runtime directory and socket (so
parallel runs never meet), anonymous auth (no cookie in $HOME), no default
script; PortAudio reaches it through ALSA's pulse plugin, pointed at it by
``env()``: PULSE_SERVER, and ALSA_CONFIG_PATH adding named ALSA devices that
map onto chosen PulseAudio sinks and sources (what a USB headset looks like
to PortAudio).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

ALSA_BASE = "/usr/share/alsa/alsa.conf"


class PulseUnavailable(RuntimeError):
    pass


class VirtualPulse:
    def __init__(
        self, root: Path, script: list[str], alsa_devices: Mapping[str, str] | None = None
    ) -> None:
        """``script``: PulseAudio commands run at start (load-module ...);
        ``alsa_devices``: ALSA device name -> PulseAudio sink/source name."""
        for tool in ("pulseaudio", "pactl"):
            if shutil.which(tool) is None:
                raise PulseUnavailable(f"{tool} not found: install pulseaudio pulseaudio-utils")
        self.root = root
        self.socket = root / "native"
        runtime = root / "runtime"
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        unix = f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}"
        (root / "default.pa").write_text("\n".join([f"load-module {unix}", *script]) + "\n")
        alsa = root / "asound.conf"
        alsa.write_text(
            "".join(
                f'pcm.{name} {{ type pulse; device "{pa}"; '
                f'hint {{ show on; description "{name}" }} }}\n'
                for name, pa in (alsa_devices or {}).items()
            )
        )
        self._env = {
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_RUNTIME_PATH": str(runtime),
            "ALSA_CONFIG_PATH": f"{ALSA_BASE}:{alsa}",
            "JACK_NO_START_SERVER": "1",  # PortAudio also probes JACK: don't let it spawn one
        }
        daemon_env = {**os.environ, **self._env, "XDG_RUNTIME_DIR": str(runtime)}
        daemon_env.pop("PULSE_SERVER")
        self.log = root / "pulseaudio.log"
        with self.log.open("w") as log:
            # Root needs no --system: it only warns. -n: no default.pa from /etc.
            self._proc = subprocess.Popen(
                [
                    "pulseaudio",
                    "-n",
                    "-F",
                    str(root / "default.pa"),
                    "--daemonize=no",
                    "--exit-idle-time=-1",
                    "--use-pid-file=no",
                    "--disallow-exit=no",
                    "--log-target=stderr",
                ],
                env=daemon_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()

    def env(self) -> dict[str, str]:
        """What a process needs in its environment to use these devices."""
        return dict(self._env)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PulseUnavailable(f"pulseaudio exited: {self.log.read_text()[-2000:]}")
            if self.socket.exists() and self.pactl("info", check=False).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise PulseUnavailable(f"pulseaudio did not start: {self.log.read_text()[-2000:]}")

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args],
            env={**os.environ, **self._env},
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        )

    def load(self, module: str, *args: str) -> int:
        """Load a module; returns its index (for ``unload``)."""
        return int(self.pactl("load-module", module, *args).stdout.strip())

    def unload(self, index: int) -> None:
        self.pactl("unload-module", str(index))

    def names(self, kind: str) -> list[str]:
        """Names of the ``sinks`` or ``sources`` there are now."""
        out = self.pactl("list", "short", kind).stdout
        return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
