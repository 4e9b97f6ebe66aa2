"""Protocol fields: timestamps, ids, lenient strings and booleans (GEN-3, GEN-4, API-GEN-3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers

from shared_protocol.fields import (
    FrontendMessageIdField,
    FrontendUserIdField,
    LenientBooleanField,
    LenientCharField,
    ProtocolDateTimeField,
    ProtocolUUIDField,
    format_protocol_datetime,
    parse_bool,
    parse_protocol_datetime,
)

T_MICRO = datetime(2023, 2, 5, 14, 23, 50, 983374, tzinfo=UTC)
T_WHOLE = datetime(2023, 2, 5, 14, 23, 50, tzinfo=UTC)


def _first_code(detail: Any) -> str:
    """The error code of a field's first error."""
    return str(detail[0].code)


# --- timestamps (GEN-4, API-GEN-7) -------------------------------------------------------------


def test_datetime_output_uses_plus_zero_offset_with_microseconds() -> None:
    """GEN-4: the reference form, `+00:00` and never `Z`."""
    assert ProtocolDateTimeField().to_representation(T_MICRO) == "2023-02-05T14:23:50.983374+00:00"


def test_datetime_output_omits_the_fraction_when_microseconds_are_zero() -> None:
    """GEN-4: microseconds omitted when zero."""
    assert ProtocolDateTimeField().to_representation(T_WHOLE) == "2023-02-05T14:23:50+00:00"


def test_datetime_output_converts_other_offsets_and_naive_values_to_utc() -> None:
    """GEN-4: output is in UTC; a naive value is taken as UTC."""
    plus_two = datetime(2023, 2, 5, 16, 23, 50, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2023, 2, 5, 14, 23, 50)  # noqa: DTZ001 - the point of the test
    field = ProtocolDateTimeField()
    assert field.to_representation(plus_two) == "2023-02-05T14:23:50+00:00"
    assert field.to_representation(naive) == "2023-02-05T14:23:50+00:00"
    assert format_protocol_datetime(plus_two) == "2023-02-05T14:23:50+00:00"


def test_datetime_output_normalises_a_stored_string() -> None:
    """GEN-4: a timestamp read back from a JSON payload is written in the same form."""
    field = ProtocolDateTimeField()
    assert field.to_representation("2023-02-05T14:23:50.983374Z") == (
        "2023-02-05T14:23:50.983374+00:00"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-02-05T14:23:50.983374+00:00", T_MICRO),
        ("2023-02-05T14:23:50.983374Z", T_MICRO),
        ("2023-02-05T16:23:50.983374+02:00", T_MICRO),
        ("2023-02-05T14:23:50.983374", T_MICRO),
        ("2023-02-05 14:23:50", T_WHOLE),
        ("2023-02-05T15:23:50+0100", T_WHOLE),
    ],
)
def test_datetime_input_accepts_iso_8601_with_or_without_offset_as_aware_utc(
    text: str, expected: datetime
) -> None:
    """GEN-4, API-GEN-7: ISO 8601 with or without offset; naive means UTC."""
    parsed = ProtocolDateTimeField().run_validation(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)
    assert parse_protocol_datetime(text) == expected


@pytest.mark.parametrize("value", ["yesterday", "2023-13-05T00:00:00", "", 1675606230, True, None])
def test_datetime_input_rejects_what_is_not_iso_8601(value: Any) -> None:
    """API-GEN-5: a malformed datetime is a validation error."""
    with pytest.raises(serializers.ValidationError):
        ProtocolDateTimeField().run_validation(value)


# --- ids (GEN-3) ---------------------------------------------------------------------------------


def test_uuid_output_is_canonical_lower_case_also_for_stored_strings() -> None:
    """GEN-3: UUIDs in canonical lower-case 8-4-4-4-12 form."""
    field = ProtocolUUIDField()
    value = uuid.UUID("0b6c5a0e-8a43-4b7e-9a51-3f1c2d4e5f60")
    assert field.to_representation(value) == "0b6c5a0e-8a43-4b7e-9a51-3f1c2d4e5f60"
    assert field.to_representation("0B6C5A0E8A434B7E9A513F1C2D4E5F60") == (
        "0b6c5a0e-8a43-4b7e-9a51-3f1c2d4e5f60"
    )


@pytest.mark.parametrize("value", ["not-a-uuid", "", 12345, None])
def test_uuid_input_rejects_malformed_values(value: Any) -> None:
    """API-GEN-5: a malformed UUID is a validation error."""
    with pytest.raises(serializers.ValidationError):
        ProtocolUUIDField().run_validation(value)


def test_frontend_message_id_of_200_characters_passes_and_201_fails() -> None:
    """GEN-3: frontend message ids have 1-200 characters; longer is a 422."""
    field = FrontendMessageIdField()
    assert field.run_validation("m" * 200) == "m" * 200
    with pytest.raises(serializers.ValidationError) as exc:
        field.run_validation("m" * 201)
    assert _first_code(exc.value.detail) == "max_length"


def test_frontend_user_id_of_128_characters_passes_and_129_fails() -> None:
    """GEN-3: frontend user ids have 1-128 characters; longer is a 422."""
    field = FrontendUserIdField()
    assert field.run_validation("u" * 128) == "u" * 128
    with pytest.raises(serializers.ValidationError):
        field.run_validation("u" * 129)


def test_empty_frontend_ids_pass_validation_for_the_services_to_answer() -> None:
    """API-TASK-3, AUTH-5: empty ids are domain errors (2000, 2012), not 422."""
    assert FrontendMessageIdField().run_validation("") == ""
    assert FrontendUserIdField().run_validation("") == ""


def test_frontend_ids_are_kept_exactly_without_trimming() -> None:
    """GEN-3: frontend ids are opaque strings compared exactly."""
    assert FrontendMessageIdField().run_validation(" id ") == " id "


# --- lenient strings (API-GEN-3) -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(123, "123"), (-7, "-7"), (1.5, "1.5")])
def test_number_given_for_a_string_becomes_its_decimal_string(value: Any, expected: str) -> None:
    """API-GEN-3: a JSON number where a string is expected is converted."""
    assert LenientCharField().run_validation(value) == expected


@pytest.mark.parametrize("value", [True, False, {"a": 1}, ["a"]])
def test_booleans_objects_and_arrays_are_not_strings(value: Any) -> None:
    """API-GEN-3: only numbers are coerced; booleans are not strings."""
    with pytest.raises(serializers.ValidationError) as exc:
        LenientCharField().run_validation(value)
    assert _first_code(exc.value.detail) == "invalid"


# --- booleans (API-GEN-3) ------------------------------------------------------------------------

TRUE_SPELLINGS = ["true", "TRUE", "True", "t", "T", "1", "yes", "YES", "y", "Y", "on", "On"]
FALSE_SPELLINGS = ["false", "FALSE", "f", "F", "0", "no", "No", "n", "N", "off", "OFF"]


@pytest.mark.parametrize("text", TRUE_SPELLINGS)
def test_query_boolean_true_spellings_are_case_insensitive(text: str) -> None:
    """API-GEN-3: true/t/1/yes/y/on in any case."""
    assert parse_bool(text) is True
    assert LenientBooleanField().run_validation(text) is True


@pytest.mark.parametrize("text", FALSE_SPELLINGS)
def test_query_boolean_false_spellings_are_case_insensitive(text: str) -> None:
    """API-GEN-3: false/f/0/no/n/off in any case."""
    assert parse_bool(text) is False
    assert LenientBooleanField().run_validation(text) is False


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), (1, True), (0, False)]
)
def test_json_booleans_and_one_or_zero_are_booleans(value: Any, expected: bool) -> None:
    """API-GEN-3: JSON booleans pass unchanged."""
    assert LenientBooleanField().run_validation(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "tru", "yes please", 2, [], {}])
def test_other_values_are_not_booleans(value: Any) -> None:
    """API-GEN-5: anything else is a validation error."""
    with pytest.raises(serializers.ValidationError):
        LenientBooleanField().run_validation(value)


class _QueryParameters(serializers.Serializer[Any]):
    desc = LenientBooleanField(default=True)
    processed = LenientBooleanField(required=False)


def test_query_serializer_parses_boolean_parameters() -> None:
    """API-GEN-3: boolean query parameters through a query-parameter serializer."""
    serializer = _QueryParameters(data=QueryDict("desc=No&processed=ON"))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"desc": False, "processed": True}


def test_missing_boolean_query_parameter_is_absent_not_false() -> None:
    """API-ADM-6: an optional boolean filter that is not given filters nothing."""
    serializer = _QueryParameters(data=QueryDict(""))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"desc": True}


def test_malformed_boolean_query_parameter_names_the_parameter() -> None:
    """API-GEN-5: a parameter that is not a boolean is a 422 naming it."""
    serializer = _QueryParameters(data=QueryDict("desc=sometimes"))
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"desc"}
