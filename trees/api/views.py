"""Endpoints of the trees app: the Hugging Face toxicity proxy (api.md §9.9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from shared_protocol.errors import ErrorCode
from shared_protocol.schema import error_responses
from shared_protocol.views import ProtocolApiView
from trees.services.analysis import hf_toxicity_proxy
from users.authentication import IsTrustedClient

if TYPE_CHECKING:
    from rest_framework.request import Request

# The text-classification pipeline's answer, passed through unchanged.
TOXICITY_ANSWER_SCHEMA = {
    "type": "array",
    "items": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
        },
    },
}


class TextToxicityQuery(serializers.Serializer[Any]):
    msg = serializers.CharField(allow_blank=True, trim_whitespace=False)


class TextToxicityApi(ProtocolApiView):
    """`GET /hf/text_toxicity?msg=` (API-HF-1): the toxicity model's raw answer; trusted."""

    permission_classes = [IsTrustedClient]

    @extend_schema(
        operation_id="hf_text_toxicity",
        parameters=[TextToxicityQuery],
        responses={
            200: OpenApiResponse(
                response=TOXICITY_ANSWER_SCHEMA,
                description="The toxicity model's raw answer: lists of `{label, score}`.",
            ),
            **error_responses(ErrorCode.HUGGINGFACE_API_ERROR),
        },
        description=(
            "Forwards `msg` to the configured Hugging Face toxicity model; trusted clients "
            "only. Without a Hugging Face key, or when the call fails: 400 / 3001."
        ),
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(TextToxicityQuery, request)
        return Response(hf_toxicity_proxy(text=query["msg"]))
