"""The JSON log lines: every record one object, `extra` fields included, events on stdout."""

import json
import logging
import subprocess
import sys

from app.json_log import JsonFormatter


def test_a_record_is_one_json_object_with_its_extra_fields() -> None:
    record = logging.LogRecord("app.x", logging.INFO, __file__, 1, "joined %s", ("r1",), None)
    record.__dict__.update(event="joined", room="r1")
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "joined r1" and line["level"] == "INFO" and line["logger"] == "app.x"
    assert (line["event"], line["room"]) == ("joined", "r1")
    assert "args" not in line and "msg" not in line  # LogRecord's own attributes stay out


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("a", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record))["exception"]


def test_events_reach_stdout_as_json_whatever_the_level_and_the_rest_stays_on_stderr() -> None:
    code = (
        "import logging; from app import json_log\n"
        "json_log.configure(logging.WARNING, json_lines=True)\n"
        "logging.getLogger('app.x').info('hidden')\n"
        "logging.getLogger('app.x').warning('careful')\n"
        "events = logging.getLogger(json_log.EVENTS)\n"
        "events.info('ready', extra={'event': 'ready', 'server': 'u'})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [event] = [json.loads(line) for line in done.stdout.splitlines()]
    assert (event["event"], event["server"]) == ("ready", "u")
    [warning] = [json.loads(line) for line in done.stderr.splitlines()]
    assert (warning["message"], warning["level"]) == ("careful", "WARNING")
