"""Runtime settings in the admin: validated, journaled, typed (MOD-20, TREE-81, DATA-16)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from journal.models import Journal
from trees.config import resolve_config
from trees.models import LanguageSettings, TreeManagerSettings

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db

GLOBAL_ADD = "/admin/trees/treemanagersettings/add/"
LANGUAGE_ADD = "/admin/trees/languagesettings/add/"


def test_global_form_offers_every_global_parameter_with_its_inherited_default(
    admin_client: Client,
) -> None:
    response = admin_client.get(GLOBAL_ADD)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "max_active_trees" in form.fields
    assert "num_reviews_reply" in form.fields
    assert "accept_initial_prompts" not in form.fields  # per-language row only
    assert "Blank inherits 10." in form.fields["max_active_trees"].help_text


def test_saving_global_overrides_stores_typed_values_and_journals(admin_client: Client) -> None:
    response = admin_client.post(
        GLOBAL_ADD,
        {"max_active_trees": "25", "rank_prompter_replies": "true", "labels_prompter_reply": ""},
    )

    assert response.status_code == 302, response.content
    row = TreeManagerSettings.objects.get()
    assert row.overrides == {"max_active_trees": 25, "rank_prompter_replies": True}
    assert row.updated_by is not None
    assert row.updated_by.is_superuser
    (entry,) = Journal.objects.all()
    assert entry.fields["after"] == row.overrides
    assert entry.fields["details"]["account_id"] == str(row.updated_by.pk)
    assert resolve_config("en").max_active_trees == 25


def test_invalid_global_override_shows_an_error_and_stores_nothing(admin_client: Client) -> None:
    response = admin_client.post(GLOBAL_ADD, {"min_goal_tree_size": "40"})

    assert response.status_code == 200
    assert "min_goal_tree_size" in response.context["adminform"].form.errors
    assert not TreeManagerSettings.objects.exists()
    assert not Journal.objects.exists()


def test_unknown_label_is_rejected(admin_client: Client) -> None:
    response = admin_client.post(GLOBAL_ADD, {"labels_initial_prompt": "spam, sarcasm"})

    errors = response.context["adminform"].form.errors
    assert "unknown labels: sarcasm" in str(errors["labels_initial_prompt"])
    assert not TreeManagerSettings.objects.exists()


def test_only_one_global_row_can_exist(admin_client: Client) -> None:
    admin_client.post(GLOBAL_ADD, {"max_active_trees": "5"})
    assert admin_client.get(GLOBAL_ADD).status_code == 403


def test_language_row_switches_prompt_intake_and_overrides(admin_client: Client) -> None:
    response = admin_client.post(
        LANGUAGE_ADD, {"lang": "pt-BR", "max_active_trees": "3", "goal_tree_size": "8"}
    )  # an unchecked checkbox posts nothing: accept_initial_prompts = False

    assert response.status_code == 302, response.content
    row = LanguageSettings.objects.get()
    assert (row.lang, row.accept_initial_prompts) == ("pt-BR", False)
    config = resolve_config("pt-BR")
    assert (config.max_active_trees, config.goal_tree_size) == (3, 8)
    assert config.accept_initial_prompts is False
    assert resolve_config("en").max_active_trees == 10


def test_language_form_has_no_global_only_parameters(admin_client: Client) -> None:
    form = admin_client.get(LANGUAGE_ADD).context["adminform"].form
    assert "max_active_trees" in form.fields
    assert "num_reviews_reply" not in form.fields


def test_settings_rows_cannot_be_deleted_from_the_admin(admin_client: Client) -> None:
    admin_client.post(LANGUAGE_ADD, {"lang": "de", "accept_initial_prompts": "on"})
    row = LanguageSettings.objects.get()

    response = admin_client.get(f"/admin/trees/languagesettings/{row.pk}/delete/")

    assert response.status_code == 403
    assert LanguageSettings.objects.exists()
