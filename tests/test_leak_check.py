"""The suite-wide leak check must see what a log record carries, tracebacks included."""

from __future__ import annotations

import logging

from tests.conftest import KeptRecords


def test_the_leak_check_sees_a_secret_inside_a_logged_traceback():
    records = KeptRecords()
    logger = logging.getLogger("hostup_mcp.leak_check_probe")
    logger.addHandler(records)
    try:
        raise ValueError("key hu_secret_in_traceback")
    except ValueError:
        logger.exception("something failed")  # the message itself is clean
    finally:
        logger.removeHandler(records)

    (line,) = records.lines
    assert "hu_secret_in_traceback" in line
