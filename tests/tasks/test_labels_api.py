"""Label descriptions for frontends (API-LBL-2, API-LBL-3, API-OBJ-11, API-OBJ-15)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from tests.factories import ApiClientFactory, MessageFactory
from trees.services.settings import tree_manager_settings_update

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

VALID = "/api/v1/text_labels/valid_labels"
REPORT = "/api/v1/text_labels/report_labels"


@pytest.fixture
def key() -> str:
    return ApiClientFactory.create_with_key()[1]


def _names(response_json: dict[str, list[dict[str, object]]]) -> list[object]:
    return [label["name"] for label in response_json["valid_labels"]]


def test_without_message_every_label_but_fails_task_in_spec_order(client: Client, key: str) -> None:
    response = client.get(VALID, HTTP_X_API_KEY=key)

    assert response.status_code == 200
    assert _names(response.json()) == [
        "spam",
        "lang_mismatch",
        "pii",
        "not_appropriate",
        "hate_speech",
        "sexual_content",
        "moral_judgement",
        "political_content",
        "quality",
        "toxicity",
        "humor",
        "helpfulness",
        "creativity",
        "violence",
    ]
    first = response.json()["valid_labels"][0]
    assert set(first) == {"name", "widget", "display_text", "help_text"}
    assert first["widget"] == "yes_no"
    assert first["display_text"]


def test_labels_for_a_message_follow_its_kind_and_the_configuration(
    client: Client, key: str
) -> None:
    root = MessageFactory.create()
    assistant = MessageFactory.reply(root)
    prompter = MessageFactory.reply(assistant)
    tree_manager_settings_update(overrides={"labels_prompter_reply": "spam, humor"})

    def names(message_id: uuid.UUID) -> list[object]:
        return _names(client.get(VALID, {"message_id": str(message_id)}, HTTP_X_API_KEY=key).json())

    assert "fails_task" not in names(root.pk)
    assert names(assistant.pk)[:3] == ["spam", "lang_mismatch", "fails_task"]
    assert names(prompter.pk) == ["spam", "humor"]


def test_unknown_message_is_404_2001(client: Client, key: str) -> None:
    response = client.get(VALID, {"message_id": str(uuid.uuid4())}, HTTP_X_API_KEY=key)
    assert response.status_code == 404
    assert response.json()["error_code"] == 2001


def test_malformed_message_id_is_422(client: Client, key: str) -> None:
    response = client.get(VALID, {"message_id": "nope"}, HTTP_X_API_KEY=key)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "message_id"]


def test_report_labels_in_spec_order(client: Client, key: str) -> None:
    response = client.get(REPORT, HTTP_X_API_KEY=key)
    assert response.status_code == 200
    assert _names(response.json()) == [
        "spam",
        "not_appropriate",
        "pii",
        "hate_speech",
        "sexual_content",
        "moral_judgement",
        "political_content",
        "toxicity",
        "violence",
        "quality",
    ]


@pytest.mark.parametrize("path", [VALID, REPORT])
def test_label_endpoints_need_an_api_key(client: Client, path: str) -> None:
    """AUTH-1, IMP-7."""
    response = client.get(path)
    assert response.status_code == 403
    assert response.json() == {"message": "Could not validate the API key", "error_code": 2}
