"""Panggung: live audio rooms on the desktop."""

__version__ = "0.1.0"
