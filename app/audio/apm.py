"""The speaker's capture path: WebRTC's audio processing module (livekit's build).

AEC3 echo cancellation, noise suppression, automatic gain control and a
high-pass filter, from libwebrtc through the ``livekit`` wheel's
``AudioProcessingModule`` (the only module that imports livekit). Plain
arrays in and out, so tests drive it without sound devices:

    processor = VoiceProcessor(ProcessingSettings())
    processor.render(played)          # what the speakers play (after volume)
    clean = processor.capture(mic)    # what the microphone heard, processed

Both take 48 kHz mono int16 of any length; the module works in 10 ms chunks,
so ``capture`` returns what is complete (a 10 ms device period passes
through at once; other lengths wait for the rest of a chunk). ``render`` and
``capture`` may run on different threads (the speakers' and the
microphone's callbacks).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from livekit import rtc
from livekit.rtc._ffi_client import INVALID_HANDLE, FfiClient
from livekit.rtc._proto import ffi_pb2
from numpy.typing import NDArray

from app.audio.processing import ProcessingSettings
from app.dsp import SAMPLE_RATE

CHUNK = SAMPLE_RATE // 100  # the module's 10 ms


class _Chunker:
    """Samples of any length in, whole 10 ms chunks out, through one buffer."""

    def __init__(self) -> None:
        self.buf = bytearray(CHUNK * 2)
        self.frame = rtc.AudioFrame(self.buf, SAMPLE_RATE, 1, CHUNK)  # shares buf
        self.view = np.frombuffer(self.buf, dtype=np.int16)
        self.filled = 0

    def take(self, pcm: NDArray[np.int16], at: int) -> int:
        """Copy from ``pcm[at:]`` into the chunk; the new position in ``pcm``."""
        n = min(CHUNK - self.filled, len(pcm) - at)
        self.view[self.filled : self.filled + n] = pcm[at : at + n]
        self.filled += n
        return at + n


class _PreparedCall:
    """One of the module's per-10 ms calls (process a chunk, or the reverse
    stream), serialised once: the chunk's buffer never moves, so the request
    bytes are the same every time. livekit's own method builds, serialises
    and parses a protobuf message per call (about half the cost of the
    reverse stream, measured); this sends the prepared bytes to the same FFI
    entry point and parses the answer only when it is not the usual "ok"."""

    def __init__(self, request: ffi_pb2.FfiRequest, field: str) -> None:
        client = FfiClient.instance
        self._request = client._ffi_lib.livekit_ffi_request
        self._drop = client._ffi_lib.livekit_ffi_drop_handle
        raw = request.SerializeToString()
        self._data = (ctypes.c_ubyte * len(raw)).from_buffer_copy(raw)
        self._size = len(raw)
        self._field = field
        self._answer = ctypes.POINTER(ctypes.c_ubyte)()
        self._answer_size = ctypes.c_size_t()
        self._ok: bytes | None = None  # the answer that means success, once seen

    def __call__(self) -> None:
        handle = self._request(
            self._data, self._size, ctypes.byref(self._answer), ctypes.byref(self._answer_size)
        )
        answer = ctypes.string_at(self._answer, self._answer_size.value)
        if handle != INVALID_HANDLE:
            self._drop(ctypes.c_uint64(handle))
        if answer == self._ok:
            return
        response = ffi_pb2.FfiResponse()
        response.ParseFromString(answer)
        error = getattr(response, self._field).error
        if error:
            raise RuntimeError(error)
        self._ok = answer


def _prepared(apm: rtc.AudioProcessingModule, chunk: _Chunker, field: str) -> Callable[[], None]:
    """``apm``'s call ``field`` on ``chunk``'s buffer, prepared; livekit's own
    method if its internals are not what this was written against."""
    try:
        request = ffi_pb2.FfiRequest()
        call: Any = getattr(request, field)
        call.apm_handle = apm._ffi_handle.handle
        call.data_ptr = ctypes.addressof(ctypes.c_char.from_buffer(chunk.buf))
        call.size = len(chunk.buf)
        call.sample_rate = SAMPLE_RATE
        call.num_channels = 1
        return _PreparedCall(request, field)
    except (AttributeError, TypeError, ValueError):
        method = apm.process_stream if field == "apm_process_stream" else apm.process_reverse_stream
        frame = chunk.frame
        return lambda: method(frame)


class VoiceProcessor:
    def __init__(self, settings: ProcessingSettings | None = None, delay_ms: float = 40.0) -> None:
        self._lock = threading.Lock()
        self._settings = settings if settings is not None else ProcessingSettings()
        self._delay_ms = round(delay_ms)
        self._told: int | None = None  # the delay the module was last given
        self._near = _Chunker()
        self._far = _Chunker()
        self._apm, self._process_near, self._process_far = self._make(self._settings)
        self.captured_chunks = 0
        self.rendered_chunks = 0

    def _make(
        self, settings: ProcessingSettings
    ) -> tuple[rtc.AudioProcessingModule, Callable[[], None], Callable[[], None]]:
        """The module and its two per-10 ms calls on our chunks' buffers."""
        # The high-pass filter (DC, handling rumble below ~80 Hz) is always on:
        # AEC3 and the noise suppressor expect it.
        apm = rtc.AudioProcessingModule(
            echo_cancellation=settings.echo_cancellation,
            noise_suppression=settings.noise_suppression,
            high_pass_filter=True,
            auto_gain_control=settings.auto_gain,
        )
        near = _prepared(apm, self._near, "apm_process_stream")
        far = _prepared(apm, self._far, "apm_process_reverse_stream")
        return apm, near, far

    @property
    def settings(self) -> ProcessingSettings:
        return self._settings

    def configure(self, settings: ProcessingSettings) -> None:
        """Switch features; a fresh module (the echo canceller re-converges)."""
        if settings == self._settings:
            return
        made = self._make(settings)
        with self._lock:
            self._apm, self._process_near, self._process_far = made
            self._settings, self._told = settings, None

    @property
    def delay_ms(self) -> int:
        return self._delay_ms

    def set_delay(self, ms: float) -> None:
        """Render-to-capture delay: from handing a sample to the speakers'
        buffer until its echo reaches ``capture`` (both devices' latency plus
        any buffering of ours). A hint: AEC3 finds the exact delay itself."""
        self._delay_ms = max(0, round(ms))

    def render(self, pcm: NDArray[np.int16]) -> None:
        """What the speakers play now, as the echo canceller's reference."""
        if not self._settings.echo_cancellation:
            return
        far, at = self._far, 0
        while at < len(pcm):
            at = far.take(pcm, at)
            if far.filled == CHUNK:
                far.filled = 0
                with self._lock:
                    self._process_far()
                self.rendered_chunks += 1

    def capture(self, pcm: NDArray[np.int16]) -> NDArray[np.int16]:
        """The microphone's samples processed: every complete 10 ms chunk so far."""
        near, at = self._near, 0
        if near.filled == 0 and len(pcm) == CHUNK:  # a 10 ms period: one call, one copy
            near.view[:] = pcm
            return self._process()
        out: list[NDArray[np.int16]] = []
        while at < len(pcm):
            at = near.take(pcm, at)
            if near.filled == CHUNK:
                near.filled = 0
                out.append(self._process())
        if not out:
            return np.zeros(0, dtype=np.int16)
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _process(self) -> NDArray[np.int16]:
        with self._lock:
            # The module keeps the last delay it was given; telling it again
            # every 10 ms would cost a call into the library for nothing.
            if self._settings.echo_cancellation and self._told != self._delay_ms:
                self._apm.set_stream_delay_ms(self._delay_ms)
                self._told = self._delay_ms
            self._process_near()
        self.captured_chunks += 1
        return self._near.view.copy()


def run_through(
    processor: VoiceProcessor, mic: NDArray[np.int16], played: NDArray[np.int16] | None = None
) -> NDArray[np.int16]:
    """Process a recording as the devices would: 10 ms of ``played`` to
    ``render``, then the same 10 ms of ``mic`` to ``capture`` (tests, benchmarks)."""
    out: list[NDArray[np.int16]] = []
    for i in range(0, len(mic) - CHUNK + 1, CHUNK):
        if played is not None:
            processor.render(played[i : i + CHUNK])
        out.append(processor.capture(mic[i : i + CHUNK]))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
