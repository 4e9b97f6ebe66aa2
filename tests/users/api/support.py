"""Helpers of the identity endpoint tests (api.md §9.5, §9.6): calls, error bodies, snapshots.

Helpers assert the protocol's error bodies (API-GEN-4, API-GEN-5) and take a snapshot of
the tables an error must not touch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from journal.models import Journal
from stats.models import UserStats
from trees.models import Message, MessageTreeState
from users.models import ApiClient, User, UserIdentity

if TYPE_CHECKING:
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

API = "/api/v1"

# API-OBJ-2: exactly these keys, no more.
FRONTEND_USER_KEYS = frozenset(
    {
        "id",
        "display_name",
        "auth_method",
        "user_id",
        "enabled",
        "deleted",
        "notes",
        "created_date",
        "show_on_leaderboard",
        "streak_days",
        "streak_last_day_date",
        "last_activity_date",
        "tos_acceptance_date",
    }
)

# API-OBJ-6 (ConversationMessage of API-OBJ-4 plus the Message fields).
MESSAGE_KEYS = frozenset(
    {
        "id",
        "user_id",
        "frontend_message_id",
        "text",
        "lang",
        "is_assistant",
        "emojis",
        "user_emojis",
        "user_is_author",
        "synthetic",
        "parent_id",
        "created_date",
        "review_result",
        "review_count",
        "deleted",
        "edited",
        "model_name",
        "message_tree_id",
        "ranking_count",
        "rank",
        "user",
    }
)

# API-PAGE-1.
PAGE_KEYS = frozenset({"prev", "next", "sort_key", "order", "items"})


def query_string(params: dict[str, Any] | None) -> str:
    """`?a=1&b=2` for the given parameters (None values left out), or "" for none."""
    if not params:
        return ""
    given = {name: value for name, value in params.items() if value is not None}
    return f"?{urlencode(given)}" if given else ""


@dataclass
class Caller:
    """A frontend calling the API with its key in the `X-API-Key` header (AUTH-1)."""

    http: Client
    api_client: ApiClient
    key: str

    def _headers(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {"HTTP_X_API_KEY": self.key, **extra}

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> TestResponse:
        return self.http.get(f"{API}{path}{query_string(params)}", **self._headers(extra))

    def post(self, path: str, body: Any, **extra: Any) -> TestResponse:
        """POST `body` as JSON; a `str` body is sent as is (for malformed JSON)."""
        data = body if isinstance(body, str) else json.dumps(body)
        return self.http.post(
            f"{API}{path}", data=data, content_type="application/json", **self._headers(extra)
        )

    def put(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> TestResponse:
        """PUT with the parameters in the query string and no body (API-USR-5)."""
        return self.http.put(f"{API}{path}{query_string(params)}", **self._headers(extra))


# --- assertions -----------------------------------------------------------------------------


def assert_error(response: TestResponse, status: int, error_code: int) -> dict[str, Any]:
    """A domain error: `status` and exactly `{"message": str, "error_code": int}` (API-GEN-4)."""
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert set(body) == {"message", "error_code"}, body
    assert isinstance(body["message"], str)
    assert body["error_code"] == error_code, body
    return body


def assert_validation_error(
    response: TestResponse, location: str, field: str | None = None
) -> dict[str, Any]:
    """A 422 whose `detail` names `location` (and `field`, when given) (API-GEN-5)."""
    assert response.status_code == 422, response.content
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "message", "error_code"}, body
    assert body["error_code"] == 0
    assert isinstance(body["message"], str)
    assert isinstance(body["detail"], list)
    assert body["detail"], body
    for entry in body["detail"]:
        assert set(entry) == {"loc", "msg", "type"}, entry
        assert isinstance(entry["loc"], list)
        assert isinstance(entry["msg"], str)
        assert isinstance(entry["type"], str)
        assert entry["loc"][0] == location, entry
    if field is not None:
        assert any(field in entry["loc"][1:] for entry in body["detail"]), body["detail"]
    return body


def assert_no_redirect(response: TestResponse) -> None:
    assert not 300 <= response.status_code < 400, response.status_code


# --- database snapshots ---------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an identity request could write, for before/after checks.

    `api_client.last_used_date` is left out: authentication refreshes it (informational).
    """
    return {
        "user": sorted(map(tuple, User.objects.values_list()), key=str),
        "user_identity": sorted(map(tuple, UserIdentity.objects.values_list()), key=str),
        "journal": sorted(map(tuple, Journal.objects.values_list("id", "event_type")), key=str),
        "message": sorted(map(tuple, Message.objects.values_list("id", "deleted")), key=str),
        "message_tree_state": sorted(
            map(tuple, MessageTreeState.objects.values_list("message_tree_id", "state")), key=str
        ),
        "user_stats": sorted(map(tuple, UserStats.objects.values_list("id", "rank")), key=str),
        "api_client": sorted(
            map(tuple, ApiClient.objects.values_list("id", "enabled", "trusted")), key=str
        ),
    }
