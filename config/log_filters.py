"""Logging filters (GEN-11, AUTH-2)."""

from __future__ import annotations

import logging
import re

_API_KEY_IN_URL = re.compile(r"(?i)(api_key=)[^&\s\"']+")


def redact(text: str) -> str:
    """`text` with the value of every `api_key=` query parameter replaced."""
    return _API_KEY_IN_URL.sub(r"\1[redacted]", text)


class RedactApiKeys(logging.Filter):
    """Keys sent as `?api_key=` (compatibility switch, AUTH-2) never reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
