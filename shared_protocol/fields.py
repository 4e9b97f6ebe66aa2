"""Custom DRF fields for the wire contract: timestamps, ids, lenient scalars.

- `ProtocolDateTimeField`: GEN-4 timestamps. Output is the `isoformat()` of the value in UTC
  (`2023-02-05T14:23:50.983374+00:00`, no fraction when the microseconds are zero, always
  `+00:00`, never `Z`: DRF's own DateTimeField writes `Z`). Input is any ISO 8601 date-time
  with or without offset; a value without offset is UTC (API-GEN-7). The result is an aware
  UTC datetime whatever the Django time zone.
- `ProtocolUUIDField`: GEN-3 ids, written in canonical lower-case 8-4-4-4-12 form also when
  the value is a string read from a stored JSON payload.
- `LenientCharField`: API-GEN-3, a JSON number where a string is expected becomes its decimal
  string; booleans, objects and arrays are not strings. Whitespace is kept unless asked.
- `FrontendMessageIdField` / `FrontendUserIdField`: GEN-3 frontend ids, compared exactly (no
  trimming), at most 200 / 128 characters (longer is a validation error, 422). The empty
  string passes: an empty id is a *domain* error (2000, 2012) raised by the services.
- `LenientBooleanField`: API-GEN-3 booleans, for bodies and query strings: JSON `true`/`false`,
  the numbers 1/0, and the strings `true/false`, `t/f`, `1/0`, `yes/no`, `y/n`, `on/off` in
  any case. Unlike DRF's BooleanField, a parameter missing from a query string stays
  *absent* (its `default`, or not in `validated_data`) instead of silently becoming false.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.fields import empty

FRONTEND_MESSAGE_ID_MAX_LENGTH = 200  # GEN-3
FRONTEND_USER_ID_MAX_LENGTH = 128  # GEN-3
# Longer than any ISO 8601 date-time; guards the parser against huge inputs.
_DATETIME_MAX_LENGTH = 64

TRUE_STRINGS = frozenset({"true", "t", "1", "yes", "y", "on"})
FALSE_STRINGS = frozenset({"false", "f", "0", "no", "n", "off"})


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime; a naive value is taken as UTC (GEN-4)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_protocol_datetime(value: datetime) -> str:
    """The wire form of a timestamp (GEN-4): `2023-02-05T14:23:50.983374+00:00`."""
    return as_utc(value).isoformat()


def parse_protocol_datetime(value: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text, with or without offset (GEN-4, API-GEN-7).

    Raises ValueError when the text is not an ISO 8601 date or date-time.
    """
    text = value.strip()
    if not text or len(text) > _DATETIME_MAX_LENGTH:
        raise ValueError("not an ISO 8601 date-time")
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        # Django's parser also takes forms such as a "+0100" offset without colon.
        parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError("not an ISO 8601 date-time")
    return as_utc(parsed)


def parse_bool(value: Any) -> bool:
    """A boolean per API-GEN-3; raises ValueError for anything else."""
    if value is True or value is False:
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in TRUE_STRINGS:
            return True
        if lowered in FALSE_STRINGS:
            return False
    raise ValueError("not a boolean")


class ProtocolDateTimeField(serializers.DateTimeField):
    """A GEN-4 timestamp: `+00:00` output, ISO 8601 input, naive = UTC."""

    default_error_messages = {
        "invalid": "Datetime has wrong format. Use ISO 8601, e.g. 2023-02-05T14:23:50+00:00.",
        "date": "Expected a datetime but got a date.",
        "make_aware": "Invalid datetime for the timezone.",
        "overflow": "Datetime value out of the range that can be represented.",
    }

    def to_internal_value(self, value: datetime | str) -> datetime:
        if isinstance(value, datetime):
            return as_utc(value)
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return parse_protocol_datetime(value)
        except (ValueError, OverflowError):
            self.fail("invalid")

    def to_representation(self, value: datetime | str) -> str:
        # Values read from stored JSON payloads are already strings; normalise them too.
        if isinstance(value, str):
            value = parse_protocol_datetime(value)
        return format_protocol_datetime(value)


class ProtocolUUIDField(serializers.UUIDField):
    """A GEN-3 id: canonical lower-case output; input is a UUID string (not a number)."""

    def to_internal_value(self, data: uuid.UUID | str | int) -> uuid.UUID:
        if isinstance(data, uuid.UUID):
            return data
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)

    def to_representation(self, value: uuid.UUID | str) -> str:
        if isinstance(value, uuid.UUID):
            return str(value)
        return str(uuid.UUID(str(value)))


class LenientCharField(serializers.CharField):
    """A string; a JSON number is accepted as its decimal string (API-GEN-3).

    `true`/`false`, objects and arrays are rejected. Surrounding white space is kept unless
    `trim_whitespace=True` is passed (frontend ids and display names are stored as given).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return super().to_internal_value(str(data))


class FrontendMessageIdField(LenientCharField):
    """A client-chosen frontend message id: 0 to 200 characters, kept exactly (GEN-3)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", FRONTEND_MESSAGE_ID_MAX_LENGTH)
        kwargs.setdefault("allow_blank", True)  # empty → 2000 from the service
        super().__init__(**kwargs)


class FrontendUserIdField(LenientCharField):
    """A frontend user id (`User.id`, the backend username): 0 to 128 characters (GEN-3)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", FRONTEND_USER_ID_MAX_LENGTH)
        kwargs.setdefault("allow_blank", True)  # empty → 2012 from the service (AUTH-5)
        super().__init__(**kwargs)


class LenientBooleanField(serializers.BooleanField):
    """A boolean per API-GEN-3, usable in body and query-parameter serializers."""

    default_error_messages = {"invalid": "Must be a valid boolean."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # DRF's BooleanField turns a key missing from a QueryDict into False (HTML forms
        # cannot send false); for query strings a missing parameter must stay absent.
        self.default_empty_html = empty if self.default is empty else self.default

    def to_internal_value(self, data: Any) -> bool:
        try:
            return parse_bool(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> bool:
        return bool(value)
