"""API-client changes are journaled and never record keys (MOD-21, MOD-22, IMP-35)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from journal.models import Journal
from users.models import ApiClient
from users.selectors import api_client_get_by_key
from users.services.api_clients import api_client_create, api_client_rotate_key, api_client_update

if TYPE_CHECKING:
    from django.test import Client

    from users.models import Account

pytestmark = pytest.mark.django_db


def _events() -> list[dict[str, object]]:
    return [entry.fields for entry in Journal.objects.order_by("id")]


def test_creating_a_client_is_journaled_without_its_key() -> None:
    client, key = api_client_create(description="bot", frontend_type="discord")

    (event,) = _events()
    assert event["action"] == "api_client_changed"
    assert event["target_id"] == str(client.pk)
    assert event["after"] == {
        "admin_email": None,
        "description": "bot",
        "enabled": True,
        "frontend_type": "discord",
        "trusted": False,
    }
    raw = json.dumps(list(Journal.objects.values_list("event_payload", flat=True)))
    assert key not in raw
    assert client.key_hash not in raw
    assert key[:8] not in raw


def test_update_writes_only_changed_fields_and_journals_them() -> None:
    # given
    client, _ = api_client_create(description="web")
    Journal.objects.all().delete()

    # when
    api_client_update(client=client, changes={"enabled": False, "trusted": False})

    # then
    client.refresh_from_db()
    assert client.enabled is False
    (event,) = _events()
    assert event["before"] == {"enabled": True}
    assert event["after"] == {"enabled": False}


def test_update_without_a_real_change_writes_no_event() -> None:
    client, _ = api_client_create(description="web")
    api_client_update(client=client, changes={"trusted": False})
    assert len(_events()) == 1  # only the creation


def test_update_refuses_fields_that_are_not_editable() -> None:
    client, _ = api_client_create(description="web")
    with pytest.raises(ValueError, match="key_hash"):
        api_client_update(client=client, changes={"key_hash": "0" * 64})
    client.refresh_from_db()
    assert client.key_hash != "0" * 64


def test_rotating_a_key_invalidates_the_old_one_and_is_journaled_without_keys() -> None:
    client, old_key = api_client_create(description="web")

    new_key = api_client_rotate_key(client=client)

    assert api_client_get_by_key(key=old_key) is None
    assert api_client_get_by_key(key=new_key) == client
    event = _events()[-1]
    assert event["details"] == {"change": "key_rotated", "account_id": None}
    assert new_key not in json.dumps(event)


def test_admin_action_journals_the_acting_account(
    admin_client: Client, admin_user: Account
) -> None:
    client, _ = api_client_create(description="web")

    admin_client.post(
        "/admin/users/apiclient/",
        {"action": "disable_clients", "_selected_action": [str(client.pk)]},
    )

    assert ApiClient.objects.get().enabled is False
    event = _events()[-1]
    assert event["after"] == {"enabled": False}
    assert event["details"] == {"change": "updated", "account_id": str(admin_user.pk)}
