"""`GET /api/v1/hf/text_toxicity` (API-HF-1): the toxicity proxy, against a fake upstream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tests.factories import ApiClientFactory
from tests.trees.fake_upstream import closed_port_url
from tests.users.api.support import Caller, assert_error, assert_validation_error

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.trees.fake_upstream import FakeUpstream

pytestmark = pytest.mark.django_db

PROXY = "/hf/text_toxicity"
HF_KEY = "hf_test_0123456789abcdefghijklmnopqrstuv"
ANSWER = [[{"label": "toxic", "score": 0.91}, {"label": "non-toxic", "score": 0.09}]]


@pytest.fixture
def hugging_face(settings: SettingsWrapper, fake_upstream: FakeUpstream) -> FakeUpstream:
    settings.HUGGING_FACE_API_KEY = HF_KEY
    settings.HUGGING_FACE_API_URL = f"{fake_upstream.url}/models"
    settings.HF_TOXICITY_MODEL = "org/toxicity"
    return fake_upstream


@pytest.fixture
def trusted() -> Caller:
    return Caller(Client(), *ApiClientFactory.create_with_key(trusted=True))


@pytest.fixture
def untrusted() -> Caller:
    return Caller(Client(), *ApiClientFactory.create_with_key(trusted=False))


@pytest.mark.parametrize("path", [PROXY, f"{PROXY}/"])
def test_the_models_raw_answer_is_returned(
    hugging_face: FakeUpstream, trusted: Caller, path: str
) -> None:
    hugging_face.answer(200, ANSWER)

    response = trusted.get(path, {"msg": "  you are dumb  "})

    assert response.status_code == 200, response.content
    assert response.json() == ANSWER
    (request,) = hugging_face.requests
    assert request.path == "/models/org/toxicity"
    assert request.body == {"inputs": "  you are dumb  "}  # forwarded unchanged
    assert request.headers["authorization"] == f"Bearer {HF_KEY}"


def test_an_untrusted_client_is_403_2_and_nothing_is_forwarded(
    hugging_face: FakeUpstream, untrusted: Caller
) -> None:
    response = untrusted.get(PROXY, {"msg": "hello"})

    assert_error(response, 403, 2)
    assert hugging_face.requests == []


def test_without_an_api_key_header_it_is_403_2(hugging_face: FakeUpstream) -> None:
    response = Client().get(f"/api/v1{PROXY}?msg=hello")

    assert_error(response, 403, 2)


def test_without_a_hugging_face_key_it_is_400_3001(
    hugging_face: FakeUpstream, settings: SettingsWrapper, trusted: Caller
) -> None:
    settings.HUGGING_FACE_API_KEY = None

    response = trusted.get(PROXY, {"msg": "hello"})

    assert_error(response, 400, 3001)
    assert hugging_face.requests == []


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"error": "down"}), (503, {"error": "loading"}), (400, {"error": "bad"}), (401, {})],
)
def test_an_upstream_error_is_400_3001(
    hugging_face: FakeUpstream, trusted: Caller, status: int, body: Any
) -> None:
    hugging_face.answer(status, body)

    response = trusted.get(PROXY, {"msg": "hello"})

    assert_error(response, 400, 3001)
    assert len(hugging_face.requests) == 1  # no retry inside a request


def test_an_answer_that_is_not_json_is_400_3001(
    hugging_face: FakeUpstream, trusted: Caller
) -> None:
    hugging_face.answer(200, "<html>gateway</html>")

    assert_error(trusted.get(PROXY, {"msg": "hello"}), 400, 3001)


def test_an_unreachable_upstream_is_400_3001(
    hugging_face: FakeUpstream, settings: SettingsWrapper, trusted: Caller
) -> None:
    settings.HUGGING_FACE_API_URL = closed_port_url()

    assert_error(trusted.get(PROXY, {"msg": "hello"}), 400, 3001)


def test_a_missing_msg_is_422_in_the_query(hugging_face: FakeUpstream, trusted: Caller) -> None:
    assert_validation_error(trusted.get(PROXY), "query", "msg")
    assert hugging_face.requests == []
