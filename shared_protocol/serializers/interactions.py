"""Input serializers for the interactions of api.md §8 (API-IA-1 … API-IA-5).

Each interaction serializer validates one type and puts `type` into its `validated_data`.
`parse_interaction(data)` (or `InteractionSerializer`) selects the type (API-IA-5): by the
`type` key when present (an unknown value is a validation error on `type`); without it, the
first of `text_reply_to_message`, `message_rating`, `message_ranking`, `text_labels` whose
fields all validate. When none fits, the errors of the candidate that came closest (fewest
errors; the earlier one on a tie) are raised.

Failures raise DRF's ValidationError with the usual nested detail naming the field path,
e.g. `{"user": {"auth_method": [...]}}` or `{"labels": {"spam": [...]}}`; the exception
handler turns it into the 422 body of API-GEN-5. Unknown keys are ignored (API-GEN-2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from shared_protocol.enums import TextLabel
from shared_protocol.fields import (
    FrontendMessageIdField,
    LenientBooleanField,
    LenientCharField,
    ProtocolUUIDField,
)
from shared_protocol.serializers.requests import UserInputSerializer, lang_field
from shared_protocol.serializers.shared import validated

# The text of a label row is bounded by a database check (DATA-8); longer is a 422, not a 500.
TEXT_LABELS_TEXT_MAX_LENGTH = 65536

TEXT_REPLY_TO_MESSAGE = "text_reply_to_message"
MESSAGE_RATING = "message_rating"
MESSAGE_RANKING = "message_ranking"
TEXT_LABELS = "text_labels"


def _type_field(interaction_type: str) -> serializers.ChoiceField:
    """`type`: optional, but if given it must name this interaction."""
    return serializers.ChoiceField(choices=[interaction_type], required=False)


class _InteractionSerializer(serializers.Serializer[Any]):
    """The fields of every interaction: `type` and `user` (required)."""

    interaction_type = ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["type"] = self.interaction_type
        return attrs


class TextReplyToMessageSerializer(_InteractionSerializer):
    """`text_reply_to_message` (API-IA-1); `text` is trimmed and must not be empty (422)."""

    interaction_type = TEXT_REPLY_TO_MESSAGE

    type = _type_field(TEXT_REPLY_TO_MESSAGE)
    user = UserInputSerializer()
    message_id = FrontendMessageIdField()
    user_message_id = FrontendMessageIdField()
    text = LenientCharField(trim_whitespace=True)
    lang = lang_field(required=False, default=None)


class MessageRatingSerializer(_InteractionSerializer):
    """`message_rating` (API-IA-4); `rating` > 0."""

    interaction_type = MESSAGE_RATING

    type = _type_field(MESSAGE_RATING)
    user = UserInputSerializer()
    message_id = FrontendMessageIdField()
    rating = serializers.IntegerField(min_value=1)


class MessageRankingSerializer(_InteractionSerializer):
    """`message_ranking` (API-IA-2); `ranking` has at least one int."""

    interaction_type = MESSAGE_RANKING

    type = _type_field(MESSAGE_RANKING)
    user = UserInputSerializer()
    message_id = FrontendMessageIdField()
    ranking = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    not_rankable = LenientBooleanField(required=False, allow_null=True, default=None)


# Built once: `TextLabel.values` makes a new list on every access, and a field builds its
# validators when constructed (every review has a dozen labels).
_LABEL_NAMES = frozenset(TextLabel.values)
_LABEL_VALUE = serializers.FloatField(min_value=0.0, max_value=1.0)


@extend_schema_field(OpenApiTypes.OBJECT)
class TextLabelsField(serializers.Field[dict[str, float], Any, dict[str, float], Any]):
    """`labels` of text_labels (API-IA-3): `{TextLabel: float}` with values in 0..1.

    Also accepts a JSON array of `[name, value]` pairs (the website sends `[]` with
    reports); an empty array is `{}`. Errors are keyed by label name (or by the index of a
    malformed pair).
    """

    default_error_messages = {
        "not_a_dict": "Expected an object of label values or a list of [name, value] pairs.",
        "not_a_pair": "Expected a [name, value] pair.",
        "invalid_label": '"{name}" is not a valid text label.',
    }

    def to_internal_value(self, data: Any) -> dict[str, float]:
        pairs: list[tuple[Any, Any]] = []
        # Keyed by label name, or by list index for a malformed pair (loc [..., "labels", 0]).
        errors: dict[Any, list[Any]] = {}
        if isinstance(data, Mapping):
            pairs = list(data.items())
        elif isinstance(data, list):
            for index, item in enumerate(data):
                if isinstance(item, list | tuple) and len(item) == 2:
                    pairs.append((item[0], item[1]))
                else:
                    errors[index] = [self._error("not_a_pair")]
        else:
            self.fail("not_a_dict")
        labels: dict[str, float] = {}
        for name, value in pairs:
            if not isinstance(name, str) or name not in _LABEL_NAMES:
                errors[str(name)] = [self._error("invalid_label", name=name)]
                continue
            try:
                labels[name] = _LABEL_VALUE.run_validation(value)
            except serializers.ValidationError as exc:
                errors[name] = list(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return labels

    def _error(self, key: str, **kwargs: Any) -> serializers.ErrorDetail:
        return serializers.ErrorDetail(str(self.error_messages[key]).format(**kwargs), code=key)

    def to_representation(self, value: dict[str, float]) -> dict[str, float]:
        return {str(name): float(number) for name, number in value.items()}


class TextLabelsSerializer(_InteractionSerializer):
    """`text_labels` (API-IA-3); also the body of `POST /text_labels/` (`type` optional)."""

    interaction_type = TEXT_LABELS

    type = _type_field(TEXT_LABELS)
    user = UserInputSerializer()
    text = LenientCharField(allow_blank=True, max_length=TEXT_LABELS_TEXT_MAX_LENGTH)
    labels = TextLabelsField()
    message_id = ProtocolUUIDField()
    task_id = ProtocolUUIDField(required=False, allow_null=True, default=None)
    is_report = LenientBooleanField(required=False, allow_null=True, default=None)


# API-IA-5: the order in which a body without `type` is tried.
INTERACTION_SERIALIZERS: dict[str, type[_InteractionSerializer]] = {
    TEXT_REPLY_TO_MESSAGE: TextReplyToMessageSerializer,
    MESSAGE_RATING: MessageRatingSerializer,
    MESSAGE_RANKING: MessageRankingSerializer,
    TEXT_LABELS: TextLabelsSerializer,
}


def _error_count(detail: Any) -> int:
    if isinstance(detail, Mapping):
        return sum(_error_count(value) for value in detail.values())
    if isinstance(detail, list):
        return sum(_error_count(value) for value in detail)
    return 1


def parse_interaction(data: Any) -> tuple[str, dict[str, Any]]:
    """The interaction type and validated data of a body (API-IA-5); `type` is included.

    Raises ValidationError (nested detail) when the body is not a valid interaction.
    """
    if not isinstance(data, Mapping):
        raise serializers.ValidationError(
            {
                api_settings.NON_FIELD_ERRORS_KEY: [
                    serializers.ErrorDetail(
                        f"Invalid data. Expected a dictionary, but got {type(data).__name__}.",
                        code="invalid",
                    )
                ]
            }
        )
    if "type" in data:
        chooser = serializers.ChoiceField(choices=list(INTERACTION_SERIALIZERS))
        try:
            interaction_type = chooser.run_validation(data["type"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"type": exc.detail}) from None
        return interaction_type, dict(validated(INTERACTION_SERIALIZERS[interaction_type], data))
    failures: list[dict[str, Any]] = []
    for interaction_type, serializer_class in INTERACTION_SERIALIZERS.items():
        serializer = serializer_class(data=data)
        if serializer.is_valid():
            return interaction_type, dict(serializer.validated_data)
        failures.append(dict(serializer.errors))
    raise serializers.ValidationError(min(failures, key=_error_count))


class InteractionSerializer(serializers.Serializer[Any]):
    """Any interaction (API-IA-5); `validated_data["type"]` names the one that was parsed."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        _, parsed = parse_interaction(data)
        return parsed


__all__ = [
    "INTERACTION_SERIALIZERS",
    "InteractionSerializer",
    "MessageRankingSerializer",
    "MessageRatingSerializer",
    "TextLabelsField",
    "TextLabelsSerializer",
    "TextReplyToMessageSerializer",
    "parse_interaction",
]
