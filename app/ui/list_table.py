"""The table every list in the app is (live rooms, upcoming rooms, replays,
recordings): whole rows selected one at a time, read-only, no row numbers,
no wrapping, and Tab leaving it (arrows move in it), so the buttons beside
it stay reachable from the keyboard."""

from collections.abc import Collection, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget


def list_table(
    context: str, columns: Sequence[str], stretch: Collection[int], accessible_name: str
) -> QTableWidget:
    """A table of `columns` (marked with QT_TRANSLATE_NOOP in `context`, shown
    translated), the `stretch` columns sharing the width and the others as
    wide as their contents; `accessible_name` is already translated."""
    table = QTableWidget(0, len(columns))
    table.setAccessibleName(accessible_name)
    table.setHorizontalHeaderLabels([QCoreApplication.translate(context, c) for c in columns])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setTabKeyNavigation(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    for column in range(len(columns)):
        header.setSectionResizeMode(
            column,
            QHeaderView.ResizeMode.Stretch
            if column in stretch
            else QHeaderView.ResizeMode.ResizeToContents,
        )
    return table
