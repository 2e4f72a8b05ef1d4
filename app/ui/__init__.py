"""The desktop window, tray and dialogs: the only package that imports PySide6.

Widgets bind to `SessionController` (controller.py), which adapts the
Qt-free `DesktopSession` to signals; the session outlives every window.
"""
