"""Interactions (client → server): shapes, validation rules and discrimination (api.md §8)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework import serializers

from shared_protocol.serializers import (
    InteractionSerializer,
    TextLabelsSerializer,
    parse_interaction,
)

USER = {"id": "alice", "display_name": "Alice", "auth_method": "local"}
MESSAGE_UUID = "7007e000-0000-4000-8000-000000000003"
TASK_UUID = "7a5c0000-0000-4000-8000-00000000000a"

# As the website sends them: extra task_id / user_message_id / lang keys (API-GEN-2).
TEXT_REPLY = {
    "type": "text_reply_to_message",
    "user": USER,
    "task_id": TASK_UUID,
    "message_id": "fm-task",
    "user_message_id": "fm-new",
    "text": "  A reply.\n",
    "lang": "en",
}
RATING = {"type": "message_rating", "user": USER, "message_id": "fm-task", "rating": 4}
RANKING = {
    "type": "message_ranking",
    "user": USER,
    "message_id": "fm-task",
    "ranking": [1, 0, 2],
    "not_rankable": False,
    "user_message_id": "fm-x",
    "lang": "en",
}
LABELS = {
    "type": "text_labels",
    "user": USER,
    "message_id": MESSAGE_UUID,
    "task_id": TASK_UUID,
    "text": "",
    "labels": {"spam": 0, "lang_mismatch": 1, "quality": 0.75},
    "is_report": False,
}


def _without_type(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "type"}


def _error(body: Any) -> Any:
    with pytest.raises(serializers.ValidationError) as exc:
        parse_interaction(body)
    return exc.value.detail


# --- shapes (API-IA-1 … API-IA-4) ----------------------------------------------------------------


def test_text_reply_is_parsed_with_its_text_trimmed() -> None:
    """API-IA-1: `{type, user, message_id, user_message_id, text, lang}`; text trimmed."""
    assert parse_interaction(TEXT_REPLY) == (
        "text_reply_to_message",
        {
            "type": "text_reply_to_message",
            "user": {"id": "alice", "display_name": "Alice", "auth_method": "local"},
            "message_id": "fm-task",
            "user_message_id": "fm-new",
            "text": "A reply.",
            "lang": "en",
        },
    )


def test_text_reply_without_lang_has_lang_null() -> None:
    """API-IA-1: `lang: str|null`, null when omitted."""
    body = {key: value for key, value in TEXT_REPLY.items() if key != "lang"}
    assert parse_interaction(body)[1]["lang"] is None


def test_message_rating_is_parsed() -> None:
    """API-IA-4: `{type, user, message_id, rating}`."""
    assert parse_interaction(RATING) == (
        "message_rating",
        {"type": "message_rating", "user": USER, "message_id": "fm-task", "rating": 4},
    )


def test_message_ranking_is_parsed() -> None:
    """API-IA-2: `{type, user, message_id, ranking, not_rankable}`; extra keys dropped."""
    assert parse_interaction(RANKING) == (
        "message_ranking",
        {
            "type": "message_ranking",
            "user": USER,
            "message_id": "fm-task",
            "ranking": [1, 0, 2],
            "not_rankable": False,
        },
    )


def test_message_ranking_without_not_rankable_has_it_null() -> None:
    """API-IA-2: `not_rankable: bool|null`."""
    body = {key: value for key, value in RANKING.items() if key != "not_rankable"}
    assert parse_interaction(body)[1]["not_rankable"] is None


def test_text_labels_are_parsed_with_uuids_and_float_values() -> None:
    """API-IA-3: `{type, user, text, labels, message_id, task_id, is_report}`."""
    assert parse_interaction(LABELS) == (
        "text_labels",
        {
            "type": "text_labels",
            "user": USER,
            "text": "",
            "labels": {"spam": 0.0, "lang_mismatch": 1.0, "quality": 0.75},
            "message_id": uuid.UUID(MESSAGE_UUID),
            "task_id": uuid.UUID(TASK_UUID),
            "is_report": False,
        },
    )


def test_text_labels_may_be_a_list_of_name_value_pairs() -> None:
    """API-IA-3: `labels` as a JSON array of [name, value] pairs."""
    body = {**LABELS, "labels": [["spam", 1], ["quality", 0.5]]}
    assert parse_interaction(body)[1]["labels"] == {"spam": 1.0, "quality": 0.5}


def test_website_report_with_an_empty_label_list_means_no_labels() -> None:
    """API-IA-3, §10: the website's report `{…, labels: [], text, is_report: true, user}`."""
    body = {
        "type": "text_labels",
        "message_id": MESSAGE_UUID,
        "labels": [],
        "text": "Please look at this.",
        "is_report": True,
        "user": USER,
    }
    assert TextLabelsSerializer(data=body).is_valid()
    assert parse_interaction(body)[1] == {
        "type": "text_labels",
        "user": USER,
        "text": "Please look at this.",
        "labels": {},
        "message_id": uuid.UUID(MESSAGE_UUID),
        "task_id": None,
        "is_report": True,
    }


def test_text_labels_serializer_works_standalone_without_type() -> None:
    """API-IA-3, API-LBL-1: `type` may be omitted on POST /text_labels/."""
    serializer = TextLabelsSerializer(data=_without_type(LABELS))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["type"] == "text_labels"
    assert serializer.validated_data["labels"] == {
        "spam": 0.0,
        "lang_mismatch": 1.0,
        "quality": 0.75,
    }


def test_text_labels_serializer_standalone_refuses_another_type() -> None:
    """API-IA-3: a given `type` must be text_labels."""
    serializer = TextLabelsSerializer(data={**LABELS, "type": "message_rating"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"type"}


def test_numeric_frontend_ids_become_decimal_strings() -> None:
    """API-GEN-3: a numeric message_id is accepted as "123"."""
    body = {**TEXT_REPLY, "message_id": 123, "user_message_id": 124, "user": {**USER, "id": 42}}
    _, data = parse_interaction(body)
    assert (data["message_id"], data["user_message_id"], data["user"]["id"]) == ("123", "124", "42")


def test_boolean_frontend_id_is_not_a_string() -> None:
    """API-GEN-3: booleans are not strings."""
    detail = _error({**RATING, "message_id": True})
    assert detail["message_id"][0].code == "invalid"


def test_polymorphic_serializer_puts_the_type_into_validated_data() -> None:
    """API-IA-5: InteractionSerializer for views."""
    serializer = InteractionSerializer(data=RATING)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["type"] == "message_rating"


# --- user (API-OBJ-1, AUTH-5) --------------------------------------------------------------------


def test_empty_user_id_is_left_for_the_service() -> None:
    """AUTH-5: an empty `id` is 400 / 2012 from the service, not a 422."""
    assert parse_interaction({**RATING, "user": {**USER, "id": ""}})[1]["user"]["id"] == ""


@pytest.mark.parametrize("auth_method", ["", "facebook", None, 1])
def test_empty_or_unknown_auth_method_is_a_validation_error(auth_method: Any) -> None:
    """AUTH-5, API-GEN-5: auth_method must be one of the four literals (422)."""
    detail = _error({**RATING, "user": {**USER, "auth_method": auth_method}})
    assert list(detail) == ["user"]
    assert list(detail["user"]) == ["auth_method"]


def test_missing_or_null_user_is_a_validation_error() -> None:
    """§8: every interaction has `user` (required)."""
    without_user = {key: value for key, value in RATING.items() if key != "user"}
    assert list(_error(without_user)) == ["user"]
    assert list(_error({**RATING, "user": None})) == ["user"]


def test_over_long_user_id_is_a_validation_error() -> None:
    """GEN-3: frontend user ids have at most 128 characters."""
    detail = _error({**RATING, "user": {**USER, "id": "u" * 129}})
    assert detail["user"]["id"][0].code == "max_length"


# --- per-type rules (API-IA-1 … API-IA-4) --------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_text_reply_with_blank_text_is_a_validation_error(text: str) -> None:
    """API-IA-1: text must be non-empty after trimming (422)."""
    detail = _error({**TEXT_REPLY, "text": text})
    assert list(detail) == ["text"]
    assert detail["text"][0].code == "blank"


def test_text_reply_with_an_over_long_frontend_id_is_a_validation_error() -> None:
    """GEN-3: frontend message ids have at most 200 characters (422)."""
    detail = _error({**TEXT_REPLY, "user_message_id": "m" * 201})
    assert list(detail) == ["user_message_id"]


def test_text_reply_with_an_over_long_lang_is_a_validation_error() -> None:
    """GEN-5: a language has at most 32 characters."""
    assert list(_error({**TEXT_REPLY, "lang": "x" * 33})) == ["lang"]


@pytest.mark.parametrize("rating", [0, -1, "zero", True, 1.5])
def test_rating_must_be_a_positive_int(rating: Any) -> None:
    """API-IA-4: `rating: int (> 0)`."""
    assert list(_error({**RATING, "rating": rating})) == ["rating"]


def test_empty_ranking_is_a_validation_error() -> None:
    """API-IA-2: ranking has at least one item."""
    detail = _error({**RANKING, "ranking": []})
    assert list(detail) == ["ranking"]


def test_ranking_items_must_be_ints_and_the_error_names_the_index() -> None:
    """API-IA-2: `ranking: [int]`."""
    detail = _error({**RANKING, "ranking": [0, "first"]})
    assert list(detail) == ["ranking"]
    assert list(detail["ranking"]) == [1]


def test_label_that_is_not_a_text_label_is_a_validation_error() -> None:
    """API-IA-3: every key must be a TextLabel value (422)."""
    detail = _error({**LABELS, "labels": {"spam": 0.5, "bogus": 0.5}})
    assert list(detail) == ["labels"]
    assert list(detail["labels"]) == ["bogus"]
    assert detail["labels"]["bogus"][0].code == "invalid_label"


@pytest.mark.parametrize("value", [1.01, -0.01, 2, "high", None])
def test_label_value_outside_zero_to_one_is_a_validation_error(value: Any) -> None:
    """API-IA-3: every value within 0..1 inclusive (422 otherwise)."""
    detail = _error({**LABELS, "labels": {"quality": 0.5, "spam": value}})
    assert list(detail) == ["labels"]
    assert list(detail["labels"]) == ["spam"]


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0])
def test_label_values_zero_and_one_are_inside_the_range(value: float) -> None:
    """API-IA-3: the bounds are inclusive."""
    assert parse_interaction({**LABELS, "labels": {"spam": value}})[1]["labels"] == {
        "spam": float(value)
    }


def test_label_value_range_applies_to_the_pair_form_too() -> None:
    """API-IA-3: the same rules for [name, value] pairs."""
    detail = _error({**LABELS, "labels": [["spam", 3]]})
    assert list(detail["labels"]) == ["spam"]


@pytest.mark.parametrize("labels", ["spam", 1, [["spam"]], [["spam", 0.5, 1]], None])
def test_labels_of_the_wrong_shape_are_a_validation_error(labels: Any) -> None:
    """API-IA-3: an object or a list of [name, value] pairs."""
    assert list(_error({**LABELS, "labels": labels})) == ["labels"]


@pytest.mark.parametrize("field", ["message_id", "task_id"])
def test_text_labels_ids_must_be_uuids(field: str) -> None:
    """API-IA-3, API-GEN-5: `message_id: uuid`, `task_id: uuid|null`."""
    assert list(_error({**LABELS, field: "fm-task"})) == [field]


def test_text_labels_without_task_id_has_it_null() -> None:
    """API-IA-3: free labels and reports have no task_id."""
    body = {key: value for key, value in LABELS.items() if key != "task_id"}
    assert parse_interaction(body)[1]["task_id"] is None


# --- discrimination (API-IA-5) -------------------------------------------------------------------


def test_unknown_type_is_a_validation_error_on_type() -> None:
    """API-IA-5: an unknown `type` is a 422."""
    detail = _error({**RATING, "type": "message_emoji"})
    assert list(detail) == ["type"]
    assert detail["type"][0].code == "invalid_choice"


def test_null_type_is_a_validation_error_on_type() -> None:
    """API-IA-5: `type` is a string when given."""
    assert list(_error({**RATING, "type": None})) == ["type"]


def test_type_selects_the_interaction_even_when_another_would_fit() -> None:
    """API-IA-5: with `type`, that interaction is validated and nothing else."""
    body = {**RATING, "type": "message_ranking"}
    assert list(_error(body)) == ["ranking"]


@pytest.mark.parametrize(
    ("body", "expected_type"),
    [
        (TEXT_REPLY, "text_reply_to_message"),
        (RATING, "message_rating"),
        (RANKING, "message_ranking"),
        (LABELS, "text_labels"),
    ],
)
def test_body_without_type_is_taken_as_the_interaction_whose_fields_fit(
    body: dict[str, Any], expected_type: str
) -> None:
    """API-IA-5: a body without type is the first interaction whose fields all validate."""
    interaction_type, data = parse_interaction(_without_type(body))
    assert interaction_type == expected_type
    assert data["type"] == expected_type


def test_body_without_type_fitting_several_is_the_first_in_order() -> None:
    """API-IA-5: order text_reply_to_message, message_rating, message_ranking, text_labels."""
    rating_and_ranking = _without_type({**RANKING, "rating": 2})
    assert parse_interaction(rating_and_ranking)[0] == "message_rating"
    reply_and_rating = _without_type({**TEXT_REPLY, "rating": 2})
    assert parse_interaction(reply_and_rating)[0] == "text_reply_to_message"


def test_body_without_type_skips_an_interaction_whose_fields_are_invalid() -> None:
    """API-IA-5: present *and valid*; a rating of 0 does not make it a rating."""
    body = _without_type({**RANKING, "rating": 0})
    assert parse_interaction(body)[0] == "message_ranking"


def test_body_without_type_that_fits_nothing_is_a_validation_error() -> None:
    """API-IA-5: 422 if none fits; the closest candidate's errors are reported."""
    detail = _error(_without_type({**TEXT_REPLY, "text": "   "}))
    assert list(detail) == ["text"]


def test_body_that_is_not_an_object_is_a_validation_error() -> None:
    """API-GEN-5: an interaction is a JSON object."""
    assert list(_error([RATING])) == ["non_field_errors"]
