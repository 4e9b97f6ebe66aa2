"""Label descriptions for frontends (api.md §9.2: API-LBL-2, API-LBL-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from shared_protocol.errors import ErrorCode
from shared_protocol.fields import ProtocolUUIDField
from shared_protocol.labels import default_valid_labels, describe, report_labels
from shared_protocol.schema import error_responses
from shared_protocol.serializers.objects import ValidLabelsResponseSerializer
from shared_protocol.views import ProtocolApiView
from tasks.selectors import label_names_for_message

if TYPE_CHECKING:
    from rest_framework.request import Request


class ValidLabelsQuery(serializers.Serializer[Any]):
    message_id = ProtocolUUIDField(required=False, default=None)


class ValidLabelsApi(ProtocolApiView):
    """`GET /text_labels/valid_labels?message_id=` (API-LBL-2)."""

    @extend_schema(
        operation_id="text_labels_valid_labels",
        parameters=[ValidLabelsQuery],
        responses={
            200: ValidLabelsResponseSerializer,
            **error_responses(ErrorCode.MESSAGE_NOT_FOUND),
        },
        description=(
            "With `message_id`: the configured full label list for that kind of message; "
            "without: every label except `fails_task`."
        ),
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(ValidLabelsQuery, request)
        if query["message_id"] is None:
            labels = default_valid_labels()
        else:
            labels = describe(label_names_for_message(message_id=query["message_id"]))
        return Response(ValidLabelsResponseSerializer({"valid_labels": labels}).data)


class ReportLabelsApi(ProtocolApiView):
    """`GET /text_labels/report_labels` (API-LBL-3); needs an API key (IMP-7)."""

    @extend_schema(
        operation_id="text_labels_report_labels",
        responses={200: ValidLabelsResponseSerializer, **error_responses(validation=False)},
    )
    def get(self, request: Request) -> Response:
        return Response(ValidLabelsResponseSerializer({"valid_labels": report_labels()}).data)
