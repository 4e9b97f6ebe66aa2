"""Endpoints that authenticate otherwise than with an API key (API-ADM-1, API-AUTH-1).

- `POST /admin/api_client`: a root bearer token (AUTH-11) creates an API client.
- `GET /auth/check`: the website's NextAuth session cookie names the logged-in e-mail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_protocol.errors import ErrorCode
from shared_protocol.schema import error_responses
from shared_protocol.serializers.requests import CreateApiClientRequestSerializer
from shared_protocol.views import ProtocolApiView
from users.nextauth import SESSION_COOKIE_NAMES, session_email, session_token_from_cookies
from users.root_tokens import root_token_check
from users.services.api_clients import api_client_create

if TYPE_CHECKING:
    from rest_framework.request import Request


class RootTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <root token>` or 403 / 3 (AUTH-11); no user, no client."""

    def authenticate(self, request: Request) -> tuple[None, None]:
        root_token_check(authorization=request.headers.get("Authorization"))
        return None, None

    def authenticate_header(self, request: Request) -> str | None:
        return None  # 403, not 401: the protocol has no challenge


class RootTokenScheme(OpenApiAuthenticationExtension):
    target_class = RootTokenAuthentication
    name = "RootToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}


class ApiClientCreateApi(ProtocolApiView):
    """API-ADM-1: create an API client; the answer is its key, shown only this once."""

    authentication_classes = [RootTokenAuthentication]
    permission_classes = []

    @extend_schema(
        operation_id="admin_api_client_create",
        summary="Create an API client (root token)",
        request=CreateApiClientRequestSerializer,
        responses={
            200: OpenApiResponse(
                {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                description="The new client's API key, shown only this once.",
            ),
            **error_responses(ErrorCode.ROOT_TOKEN_NOT_AUTHORIZED, api_key=False),
        },
        tags=["admin"],
    )
    def post(self, request: Request) -> Response:
        payload = self.parse_body(CreateApiClientRequestSerializer, request)
        _, key = api_client_create(**payload)
        return Response(key)


class AuthCheckApi(APIView):
    """API-AUTH-1: the e-mail of the website session in the NextAuth cookie, or null."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="auth_check",
        summary="E-mail of the NextAuth session cookie",
        parameters=[
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                OpenApiParameter.COOKIE,
                description="NextAuth session token (JWE); either name is accepted.",
            )
            for name in SESSION_COOKIE_NAMES
        ],
        responses={
            200: OpenApiResponse(
                {"type": "string", "nullable": True},
                description="The session's e-mail, or null when the session has none.",
            ),
            # 401: undecryptable or expired token, or AUTH_SECRET unset; 403: no cookie.
            **error_responses(
                ErrorCode.INVALID_AUTHENTICATION,
                (ErrorCode.INVALID_AUTHENTICATION, 403),
                validation=False,
                api_key=False,
            ),
        },
        auth=[],
        tags=["auth"],
    )
    def get(self, request: Request) -> JsonResponse:
        email = session_email(token=session_token_from_cookies(request.COOKIES))
        # DRF renders a `None` body as nothing; the protocol wants the JSON literal `null`.
        return JsonResponse(email, safe=False)
