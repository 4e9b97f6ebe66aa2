"""Keys in URLs never reach the logs (AUTH-2, GEN-11, IMP-35)."""

from __future__ import annotations

import logging

import pytest

from config.log_filters import RedactApiKeys, redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"GET /api/v1/users/cursor?api_key=abc123 HTTP/1.1" 200',
            '"GET /api/v1/users/cursor?api_key=[redacted] HTTP/1.1" 200',
        ),
        ("/x?a=1&API_KEY=s3cr3t&b=2", "/x?a=1&API_KEY=[redacted]&b=2"),
        ("/x?b=2", "/x?b=2"),
    ],
)
def test_api_key_query_values_are_redacted(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /?api_key=k3y HTTP/1.1", 200),
        None,
    )
    assert RedactApiKeys().filter(record) is True
    assert record.getMessage() == '"GET /?api_key=[redacted] HTTP/1.1" 200'
