"""Management commands of the users app: API clients (AUTH-4) and the demo set-up."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from typing import TYPE_CHECKING

import pytest
from django.core.management import CommandError, call_command

from users.keys import api_key_matches
from users.models import Account, ApiClient
from users.selectors import api_client_get_by_key

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def _call(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_create_api_client_prints_the_key_alone_on_the_last_line() -> None:
    """AUTH-1, AUTH-4: a 64-hex key, shown once; only its SHA-256 is stored."""
    lines = _call("create_api_client", "--description", "Discord bot", "--frontend-type", "discord")

    key = lines[-1]
    client = ApiClient.objects.get()
    assert len(key) == 64
    assert all(ch in "0123456789abcdef" for ch in key)
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_hash != key
    assert client.key_prefix == key[:8]
    assert api_key_matches(client.key_hash, key)
    assert (client.description, client.frontend_type) == ("Discord bot", "discord")
    assert client.trusted is False
    assert client.enabled is True
    assert api_client_get_by_key(key=key) == client


def test_create_api_client_with_given_key_and_trust() -> None:
    key = "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyz"
    lines = _call("create_api_client", "--description", "Web", "--trusted", "--key", key)

    assert lines[-1] == key
    client = ApiClient.objects.get()
    assert client.trusted is True
    assert api_client_get_by_key(key=key) == client
    assert api_client_get_by_key(key=client.key_hash) is None  # the hash is not a key
    assert api_client_get_by_key(key=key + "x") is None


@pytest.mark.parametrize(
    "key",
    ["short", "changeme", "a" * 64, "has white space in it 0123456789abcdef"],
)
def test_create_api_client_refuses_weak_keys_and_creates_nothing(key: str) -> None:
    with pytest.raises(CommandError):
        _call("create_api_client", "--description", "Web", "--key", key)
    assert not ApiClient.objects.exists()


def test_create_api_client_refuses_a_key_already_in_use() -> None:
    key = "0123456789abcdef0123456789abcdef-unique"
    _call("create_api_client", "--description", "first", "--key", key)
    with pytest.raises(CommandError, match="already"):
        _call("create_api_client", "--description", "second", "--key", key)
    assert ApiClient.objects.count() == 1


def test_create_api_client_requires_a_description() -> None:
    with pytest.raises(CommandError):
        _call("create_api_client", "--description", "   ")
    assert not ApiClient.objects.exists()


def test_ensure_official_client_creates_a_trusted_web_client_once(
    settings: SettingsWrapper,
) -> None:
    """AUTH-4 (c): the deploy step is idempotent."""
    settings.OFFICIAL_WEB_API_KEY = "official-0123456789abcdef0123456789abcdef"
    _call("ensure_official_client")
    _call("ensure_official_client")

    client = ApiClient.objects.get()
    assert (client.trusted, client.frontend_type) == (True, "web")
    assert api_client_get_by_key(key=settings.OFFICIAL_WEB_API_KEY) == client


def test_ensure_official_client_does_nothing_without_the_variable(
    settings: SettingsWrapper,
) -> None:
    settings.OFFICIAL_WEB_API_KEY = None
    _call("ensure_official_client")
    assert not ApiClient.objects.exists()


def test_setup_demo_refuses_to_run_without_debug(
    settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "users.management.commands.setup_demo.CREDENTIALS_FILE", tmp_path / "creds.json"
    )
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _call("setup_demo")
    assert not Account.objects.exists()


def test_setup_demo_is_idempotent_and_prints_working_credentials(
    settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    creds_file = tmp_path / "creds.json"
    monkeypatch.setattr("users.management.commands.setup_demo.CREDENTIALS_FILE", creds_file)
    monkeypatch.setattr("users.management.commands.setup_demo.BASE_DIR", tmp_path)
    settings.DEBUG = True

    # when
    first = "\n".join(_call("setup_demo"))
    second = "\n".join(_call("setup_demo"))

    # then
    creds = json.loads(creds_file.read_text())
    assert first == second
    assert creds["admin_password"] in first
    assert creds["api_key"] in first
    admin = Account.objects.get()
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(creds["admin_password"])
    client = ApiClient.objects.get()
    assert client.trusted
    assert api_client_get_by_key(key=creds["api_key"]) == client
