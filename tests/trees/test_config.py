"""Tree-manager configuration: defaults, overrides and validation (GEN-10, TREE-80 … TREE-82)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import environ
import pytest

from journal.models import Journal
from trees.config import effective_config, resolve_config
from trees.models import LanguageSettings, TreeManagerSettings
from trees.parameters import (
    InvalidParameter,
    TreeManagerConfig,
    coerce_parameter,
    tree_manager_env_defaults,
)
from trees.services.settings import language_settings_update, tree_manager_settings_update

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def test_defaults_match_the_spec_table() -> None:
    """TREE-80: a few representative defaults, straight from trees.md §13."""
    config = TreeManagerConfig()
    assert config.max_active_trees == 10
    assert config.goal_tree_size == 12
    assert config.acceptance_threshold_reply == 0.6
    assert config.p_full_labeling_review_reply_prompter == 0.1
    assert config.recent_tasks_span_sec == 300
    assert config.task_weight_prompt == 0.01
    assert config.mandatory_labels_assistant_reply == ("spam",)
    assert "fails_task" in config.labels_assistant_reply
    assert "fails_task" not in config.labels_initial_prompt
    assert config.accept_initial_prompts is True


def test_environment_variables_set_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """TREE-80: `TREE_MANAGER__<NAME>` variables, label lists comma-separated."""
    monkeypatch.setenv("TREE_MANAGER__GOAL_TREE_SIZE", "20")
    monkeypatch.setenv("TREE_MANAGER__RANK_PROMPTER_REPLIES", "true")
    monkeypatch.setenv("TREE_MANAGER__INIT_PROMPT_DISABLED_LANGS", "de, fr")
    monkeypatch.setenv("TREE_MANAGER__LABELS_INITIAL_PROMPT", "spam,quality")

    config = tree_manager_env_defaults(environ.Env())

    assert config.goal_tree_size == 20
    assert config.rank_prompter_replies is True
    assert config.init_prompt_disabled_langs == ("de", "fr")
    assert config.labels_initial_prompt == ("spam", "quality")


def test_invalid_environment_value_refuses_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREE_MANAGER__P_LONELY_CHILD_EXTENSION", "1.5")
    with pytest.raises(InvalidParameter, match="p_lonely_child_extension"):
        tree_manager_env_defaults(environ.Env())


def test_without_overrides_the_environment_defaults_apply(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(TreeManagerConfig(), max_active_trees=7)
    assert effective_config("en").max_active_trees == 7
    assert effective_config(None) == effective_config("en")  # GEN-5: no language means en


def test_language_override_beats_global_override_beats_environment(
    settings: SettingsWrapper,
) -> None:
    """TREE-82: per-language, else global, else environment default."""
    # given
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), max_active_trees=7, goal_tree_size=9
    )
    tree_manager_settings_update(overrides={"max_active_trees": 20, "num_reviews_reply": 5})
    language_settings_update(
        lang="es", accept_initial_prompts=False, overrides={"max_active_trees": 30}
    )

    # when
    es, de = resolve_config("es"), resolve_config("de")

    # then
    assert es.max_active_trees == 30  # language override
    assert de.max_active_trees == 20  # global override
    assert es.num_reviews_reply == 5
    assert de.num_reviews_reply == 5
    assert es.goal_tree_size == 9
    assert de.goal_tree_size == 9
    assert es.accept_initial_prompts is False
    assert de.accept_initial_prompts is True


@pytest.mark.parametrize(
    ("overrides", "offending"),
    [
        ({"p_lonely_child_extension": 1.01}, "p_lonely_child_extension"),
        ({"p_activate_backlog_tree": -0.1}, "p_activate_backlog_tree"),
        ({"max_active_trees": -1}, "max_active_trees"),
        ({"num_reviews_reply": 0}, "num_reviews_reply"),
        ({"num_required_rankings": 0}, "num_required_rankings"),
        ({"max_children_count": 0}, "max_children_count"),
        ({"recent_tasks_span_sec": 0}, "recent_tasks_span_sec"),
        ({"acceptance_threshold_reply": 1.5}, "acceptance_threshold_reply"),
        ({"acceptance_threshold_initial_prompt": -1.5}, "acceptance_threshold_initial_prompt"),
        ({"labels_initial_prompt": ["spam", "no_such_label"]}, "labels_initial_prompt"),
        ({"labels_assistant_reply": ["quality", "humor"]}, "labels_assistant_reply"),
        ({"min_goal_tree_size": 13}, "min_goal_tree_size"),
        ({"goal_tree_size": 2.5}, "goal_tree_size"),
        ({"auto_mod_enabled": "maybe"}, "auto_mod_enabled"),
        ({"accept_initial_prompts": False}, "accept_initial_prompts"),
        ({"no_such_parameter": 1}, "no_such_parameter"),
    ],
)
def test_invalid_global_override_is_rejected_and_not_stored(
    overrides: dict[str, Any], offending: str
) -> None:
    """TREE-81: an invalid value is rejected with a message, never stored."""
    with pytest.raises(InvalidParameter) as excinfo:
        tree_manager_settings_update(overrides=overrides)
    assert excinfo.value.name == offending
    assert not TreeManagerSettings.objects.exists()
    assert not Journal.objects.exists()


def test_global_only_parameter_cannot_be_overridden_per_language() -> None:
    with pytest.raises(InvalidParameter, match="num_reviews_reply"):
        language_settings_update(
            lang="en", accept_initial_prompts=True, overrides={"num_reviews_reply": 2}
        )
    assert not LanguageSettings.objects.exists()


def test_language_override_is_validated_against_the_global_overrides() -> None:
    """min_goal_tree_size ≤ goal_tree_size must hold for the combination in force."""
    tree_manager_settings_update(overrides={"goal_tree_size": 6})
    with pytest.raises(InvalidParameter, match="min_goal_tree_size"):
        language_settings_update(
            lang="en", accept_initial_prompts=True, overrides={"min_goal_tree_size": 7}
        )


def test_global_change_that_breaks_a_language_is_rejected() -> None:
    language_settings_update(
        lang="fr", accept_initial_prompts=True, overrides={"min_goal_tree_size": 8}
    )
    with pytest.raises(InvalidParameter, match="'fr'"):
        tree_manager_settings_update(overrides={"goal_tree_size": 7})
    assert TreeManagerSettings.objects.filter(overrides__has_key="goal_tree_size").count() == 0


def test_values_are_stored_with_their_types() -> None:
    row = tree_manager_settings_update(
        overrides={"goal_tree_size": "15", "rank_prompter_replies": "yes", "task_weight_reply": 3}
    )
    row.refresh_from_db()
    assert row.overrides == {
        "goal_tree_size": 15,
        "rank_prompter_replies": True,
        "task_weight_reply": 3.0,
    }


def test_changes_are_journaled_with_old_and_new_values() -> None:
    """MOD-20, MOD-21: each change writes a `moderation` event; a no-op writes none."""
    tree_manager_settings_update(overrides={"max_active_trees": 4})
    tree_manager_settings_update(overrides={"max_active_trees": 5})
    tree_manager_settings_update(overrides={"max_active_trees": 5})  # unchanged

    events = [entry.fields for entry in Journal.objects.order_by("id")]
    assert [e["before"] for e in events] == [{}, {"max_active_trees": 4}]
    assert [e["after"] for e in events] == [{"max_active_trees": 4}, {"max_active_trees": 5}]
    assert {e["action"] for e in events} == {"settings_changed"}
    assert {entry.event_type for entry in Journal.objects.all()} == {"moderation"}


def test_language_switch_change_is_journaled() -> None:
    language_settings_update(lang="de", accept_initial_prompts=False, overrides={})
    (entry,) = Journal.objects.all()
    assert entry.fields["target_kind"] == "language_settings"
    assert entry.fields["target_id"] == "de"
    assert entry.fields["before"] == {"accept_initial_prompts": True}
    assert entry.fields["after"] == {"accept_initial_prompts": False}


def test_saved_change_is_served_at_once_in_this_process(
    settings: SettingsWrapper, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """GEN-10: the saving process drops its cached configuration when the change commits."""
    settings.TREE_MANAGER_CONFIG_TTL_SECONDS = 3600.0
    assert effective_config("en").max_active_trees == 10  # now cached for an hour

    with django_capture_on_commit_callbacks(execute=True):
        tree_manager_settings_update(overrides={"max_active_trees": 3})

    assert effective_config("en").max_active_trees == 3


def test_other_processes_see_a_change_once_the_cache_ages_out(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GEN-10: another worker, whose cache was not cleared, serves it within the TTL."""
    clock = [1000.0]
    monkeypatch.setattr("trees.config.time.monotonic", lambda: clock[0])
    settings.TREE_MANAGER_CONFIG_TTL_SECONDS = 5.0
    assert effective_config("en").max_active_trees == 10
    # A change written by another process: nothing clears this process's cache.
    TreeManagerSettings.objects.create(overrides={"max_active_trees": 4})

    clock[0] += 4.9
    assert effective_config("en").max_active_trees == 10
    clock[0] += 0.2
    assert effective_config("en").max_active_trees == 4


def test_one_read_of_the_overrides_serves_every_language(
    settings: SettingsWrapper, django_assert_num_queries: Any
) -> None:
    """The cache reads the global row and all language rows once per TTL (two queries),
    not two queries per language."""
    settings.TREE_MANAGER_CONFIG_TTL_SECONDS = 3600.0
    LanguageSettings.objects.create(lang="de", overrides={"max_active_trees": 7})
    LanguageSettings.objects.create(lang="fr", accept_initial_prompts=False)
    TreeManagerSettings.objects.create(overrides={"max_active_trees": 4})
    with django_assert_num_queries(2):
        configs = {lang: effective_config(lang) for lang in ("en", "de", "fr", "xx", "es")}
    assert {lang: c.max_active_trees for lang, c in configs.items()} == {
        "en": 4,
        "de": 7,
        "fr": 4,
        "xx": 4,
        "es": 4,
    }
    assert [lang for lang, c in configs.items() if not c.accept_initial_prompts] == ["fr"]
    for lang, config in configs.items():
        assert config == resolve_config(lang)  # what an uncached read gives


def test_invalid_row_written_behind_our_back_falls_back_to_defaults() -> None:
    TreeManagerSettings.objects.create(overrides={"max_active_trees": -5})
    assert resolve_config("en").max_active_trees == 10


def test_label_lists_drop_repeats_and_keep_order() -> None:
    assert coerce_parameter("labels_prompter_reply", "spam, quality, spam") == ("spam", "quality")
