"""Voice-activity mode: push-to-talk pressed and released by a speech detector.

While the setting is on and the member is on the stage, every microphone
frame goes through the speech gate (app/dsp/voice_activity.py); speech
presses push-to-talk as the `VOICE` source, the end of it releases. The
server's rules are the same as for a finger on the key (floor control's
queue, mutes), since to the server it is push-to-talk. The server is told
the mode (`set_talk_mode`) so that the stage shows a badge on this speaker.
"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from app.client.ptt import PttSource
from app.dsp.voice_activity import SpeechGate
from app.protocol.requests import SetTalkMode

if TYPE_CHECKING:
    from app.client.desktop_session import Change, DesktopSession, Notice

Frame = NDArray[np.int16]
AddListener = Callable[[Callable[[Frame], None]], Callable[[], None]]


class VoiceTalker:
    def __init__(
        self, session: "DesktopSession", add_listener: AddListener, gate: SpeechGate | None = None
    ) -> None:
        self._session = session
        self._gate = gate or SpeechGate()
        # The mode last asked of the server, per room, so that it is asked once.
        self._asked: tuple[str, bool] | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._unlisten = add_listener(self._heard)
        session.listeners.append(self._changed)
        self._changed(None, None)

    @property
    def active(self) -> bool:
        session = self._session
        return session.settings.voice_activity and session.on_stage

    def _heard(self, frame: Frame) -> None:
        """A microphone frame (on the event loop)."""
        if not self.active:
            self._stop()
            return
        change = self._gate.feed(frame)
        if change is True:
            self._session.ptt_press(PttSource.VOICE)
        elif change is False:
            self._session.ptt_release(PttSource.VOICE)

    def _changed(self, _change: "Change | None", _notice: "Notice | None") -> None:
        if not self.active:
            self._stop()
        session = self._session
        me, model = session.me(), session.model
        if me is None or model is None or not session.on_stage:
            return
        wish = session.settings.voice_activity
        if me.voice_activity == wish:
            self._asked = None
            return
        if self._asked == (model.room_id, wish):
            return  # asked already; the server's member_updated will say
        self._asked = (model.room_id, wish)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # shutting down
        task = loop.create_task(session.act(SetTalkMode(voice_activity=wish)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop(self) -> None:
        if self._gate.open:
            self._gate.reset()
            self._session.ptt_release(PttSource.VOICE)

    async def settled(self) -> None:
        """Wait for the mode's request to the server (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        self._unlisten()
        if self._changed in self._session.listeners:
            self._session.listeners.remove(self._changed)
