"""How the bot prints a recording (listing and fetching are app/client/recordings.py)."""

from app.protocol.model import RecordingInfo


def describe(info: RecordingInfo) -> str:
    state = "recording" if info.ended_at is None else f"{info.duration:.1f} s"
    title = repr(info.room_title)
    return f"{info.recording_id}  {title}  room {info.room_id}  {state}  {info.bytes} bytes"
