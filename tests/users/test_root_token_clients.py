"""`POST /api/v1/admin/api_client`: root tokens create API clients (API-ADM-1, AUTH-11)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any

import pytest

from users import root_tokens
from users.models import ApiClient
from users.selectors import api_client_get_by_key

if TYPE_CHECKING:
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/api_client"
ROOT_TOKEN = "root-token-one-for-tests-7d2e9c41b0a85f36"
OTHER_ROOT_TOKEN = "root-token-two-for-tests-1a6f03be94c27d58"
BODY = {"description": "Discord bot", "frontend_type": "discord"}


@pytest.fixture(autouse=True)
def _root_tokens(settings: SettingsWrapper) -> None:
    settings.ROOT_TOKENS = [ROOT_TOKEN, OTHER_ROOT_TOKEN]


def _create(client: Client, body: Any = BODY, *, authorization: str | None = None) -> TestResponse:
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.post(URL, body, content_type="application/json", headers=headers)


def _assert_refused(response: TestResponse) -> None:
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"message", "error_code"}
    assert body["error_code"] == 3
    assert not ApiClient.objects.exists()


def test_a_root_token_creates_a_client_and_answers_its_key(client: Client) -> None:
    response = _create(client, authorization=f"Bearer {OTHER_ROOT_TOKEN}")

    assert response.status_code == 200
    key = response.json()
    assert isinstance(key, str)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    created = ApiClient.objects.get()
    assert created.description == "Discord bot"
    assert created.frontend_type == "discord"
    assert created.trusted is False
    assert created.admin_email is None
    assert created.enabled is True


def test_the_key_authenticates_the_new_client_and_only_its_hash_is_stored(client: Client) -> None:
    key = _create(client, authorization=f"Bearer {ROOT_TOKEN}").json()

    created = ApiClient.objects.get()
    assert api_client_get_by_key(key=key) == created
    assert created.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert created.key_hash != key


def test_trusted_and_admin_email_are_taken_from_the_body(client: Client) -> None:
    body = {**BODY, "trusted": True, "admin_email": "ops@example.com", "unknown": "ignored"}

    response = _create(client, body, authorization=f"Bearer {ROOT_TOKEN}")

    assert response.status_code == 200
    created = ApiClient.objects.get()
    assert created.trusted is True
    assert created.admin_email == "ops@example.com"


def test_trusted_null_means_untrusted(client: Client) -> None:
    body = {**BODY, "trusted": None, "admin_email": None}

    assert _create(client, body, authorization=f"Bearer {ROOT_TOKEN}").status_code == 200
    assert ApiClient.objects.get().trusted is False


def test_the_bearer_scheme_is_case_insensitive(client: Client) -> None:
    assert _create(client, authorization=f"bearer {ROOT_TOKEN}").status_code == 200


def test_the_other_slash_form_is_served_without_redirect(client: Client) -> None:
    response = client.post(
        URL + "/",
        BODY,
        content_type="application/json",
        headers={"Authorization": f"Bearer {ROOT_TOKEN}"},
    )

    assert response.status_code == 200


def test_without_authorization_header_it_is_403_with_code_3(client: Client) -> None:
    _assert_refused(_create(client))


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer wrong-token-but-long-enough-0123456789", id="unknown-token"),
        pytest.param(f"Bearer {ROOT_TOKEN}x", id="token-prefix-of-presented"),
        pytest.param(f"Bearer {ROOT_TOKEN[:-1]}", id="presented-prefix-of-token"),
        pytest.param(ROOT_TOKEN, id="no-scheme"),
        pytest.param(f"Basic {ROOT_TOKEN}", id="other-scheme"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("Bearer", id="scheme-only"),
    ],
)
def test_anything_but_a_root_token_is_403_with_code_3(client: Client, authorization: str) -> None:
    _assert_refused(_create(client, authorization=authorization))


def test_an_api_key_is_not_a_root_token(client: Client) -> None:
    response = client.post(
        URL, BODY, content_type="application/json", headers={"X-API-Key": ROOT_TOKEN}
    )

    _assert_refused(response)


@pytest.mark.parametrize("authorization", [f"Bearer {ROOT_TOKEN}", "Bearer ", "Bearer x"])
def test_without_configured_root_tokens_every_request_is_403(
    client: Client, settings: SettingsWrapper, authorization: str
) -> None:
    settings.ROOT_TOKENS = []

    _assert_refused(_create(client, authorization=authorization))


def test_an_empty_configured_token_never_matches() -> None:
    assert root_tokens.root_token_matches("", [""]) is False


def test_every_configured_token_is_compared_even_after_a_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No early exit: the time taken does not tell which token (if any) matched."""
    calls: list[tuple[bytes, bytes]] = []
    compare_digest = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare_digest(a, b)

    monkeypatch.setattr(root_tokens.hmac, "compare_digest", spy)
    tokens = [ROOT_TOKEN, OTHER_ROOT_TOKEN, "third-root-token-for-tests-0123456789ab"]

    assert root_tokens.root_token_matches(ROOT_TOKEN, tokens) is True
    assert root_tokens.root_token_matches("short", tokens) is False

    assert len(calls) == 6
    # Digests of equal length are compared, so a token's length does not leak either.
    assert {len(side) for pair in calls for side in pair} == {32}


def test_a_bad_token_is_refused_before_the_body_is_validated(client: Client) -> None:
    _assert_refused(_create(client, ["not", "an", "object"], authorization="Bearer wrong"))


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"frontend_type": "web"}, ["body", "description"], id="no-description"),
        pytest.param({"description": "web"}, ["body", "frontend_type"], id="no-frontend-type"),
        pytest.param({**BODY, "trusted": "maybe"}, ["body", "trusted"], id="trusted-not-bool"),
        pytest.param({**BODY, "description": ["x"]}, ["body", "description"], id="list-as-str"),
        pytest.param(
            {**BODY, "admin_email": "a" * 257}, ["body", "admin_email"], id="admin-email-too-long"
        ),
        pytest.param(["not", "an", "object"], ["body", "__root__"], id="array-body"),
    ],
)
def test_an_invalid_body_is_422_and_creates_nothing(
    client: Client, body: Any, loc: list[str]
) -> None:
    response = _create(client, body, authorization=f"Bearer {ROOT_TOKEN}")

    assert response.status_code == 422
    payload = response.json()
    assert payload["error_code"] == 0
    assert isinstance(payload["message"], str)
    assert isinstance(payload["detail"], list)
    assert loc in [entry["loc"] for entry in payload["detail"]]
    assert not ApiClient.objects.exists()


def test_a_body_that_is_not_json_is_422(client: Client) -> None:
    response = client.post(
        URL,
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {ROOT_TOKEN}"},
    )

    assert response.status_code == 422
    assert response.json()["error_code"] == 0
    assert not ApiClient.objects.exists()


def test_numbers_are_accepted_as_strings(client: Client) -> None:
    """API-GEN-3: a JSON number where a string is expected becomes its decimal string."""
    body = {"description": 42, "frontend_type": "web"}

    assert _create(client, body, authorization=f"Bearer {ROOT_TOKEN}").status_code == 200
    assert ApiClient.objects.get().description == "42"
