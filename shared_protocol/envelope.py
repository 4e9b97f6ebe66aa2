"""The JSON payload envelope of GEN-6: `{"payload_type": "<TypeName>", "payload": {...}}`.

Stored rows keep the original's envelope so that raw data, dumps and exports stay
interchangeable with it; code reads and writes payloads only through these helpers.
"""

from typing import Any, TypedDict


class Envelope(TypedDict):
    payload_type: str
    payload: dict[str, Any]


class EnvelopeError(ValueError):
    """A stored value is not an envelope of the expected type."""


def wrap(payload_type: str, payload: dict[str, Any]) -> Envelope:
    """Put `payload` in its envelope."""
    if not payload_type:
        raise EnvelopeError("payload_type must not be empty")
    return {"payload_type": payload_type, "payload": dict(payload)}


def unwrap(value: Any, *expected_types: str) -> dict[str, Any]:
    """The payload inside `value`, checking the envelope shape and, if given, its type."""
    if not isinstance(value, dict) or not isinstance(value.get("payload"), dict):
        raise EnvelopeError("not a payload envelope")
    payload_type = value.get("payload_type")
    if not isinstance(payload_type, str):
        raise EnvelopeError("envelope without payload_type")
    if expected_types and payload_type not in expected_types:
        raise EnvelopeError(f"expected {' or '.join(expected_types)}, got {payload_type}")
    payload: dict[str, Any] = value["payload"]
    return payload


def payload_type_of(value: Any) -> str:
    """The `payload_type` recorded inside an envelope."""
    unwrap(value)
    payload_type: str = value["payload_type"]
    return payload_type
