"""The session's notices (app/client/notices.py) in the person's language."""

from PySide6.QtCore import QCoreApplication

from app.client.notices import CONTEXT, TEXTS, Notice


def translate_code(code: str, params: dict[str, str]) -> str:
    values = dict(params)
    if not values.get("who"):
        values["who"] = QCoreApplication.translate(CONTEXT, TEXTS["someone"])
    return QCoreApplication.translate(CONTEXT, TEXTS[code]).format_map(values)


def notice_text(notice: Notice) -> str:
    """Translated when the code is known; else the English it came with."""
    if notice.code not in TEXTS:
        return notice.text
    try:
        return translate_code(notice.code, notice.params)
    except (KeyError, IndexError, ValueError):  # a translation naming a wrong parameter
        return notice.text
