"""Chromium for the tests: see app/bench/chromium.py."""

from app.bench.chromium import ENUMERATE, FLAGS, BrowserUnavailable, launch

__all__ = ["ENUMERATE", "FLAGS", "BrowserUnavailable", "launch"]
