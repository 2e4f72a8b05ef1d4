"""The bot's recording chores: list what it may download, and fetch one over
HTTP (app/client/recordings.py, shared with the desktop app)."""

from app.client.recordings import RecordingError, download, download_url, list_recordings
from app.protocol.model import RecordingInfo

# The bot's name for any failed download (an HTTP answer, the network, the disk).
DownloadFailed = RecordingError

__all__ = ["DownloadFailed", "describe", "download", "download_url", "list_recordings"]


def describe(info: RecordingInfo) -> str:
    state = "recording" if info.ended_at is None else f"{info.duration:.1f} s"
    title = repr(info.room_title)
    return f"{info.recording_id}  {title}  room {info.room_id}  {state}  {info.bytes} bytes"
