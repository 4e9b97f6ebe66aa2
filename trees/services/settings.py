"""Runtime tree-manager overrides (DATA-16, GEN-10, TREE-81, MOD-20)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from trees.config import clear_config_cache, env_defaults, global_config
from trees.models import LanguageSettings, TreeManagerSettings
from trees.parameters import (
    GLOBAL_PARAMETERS,
    LANGUAGE_OVERRIDE_PARAMETERS,
    InvalidParameter,
    build_config,
    coerce_parameter,
)
from trees.signals import tree_settings_changed

if TYPE_CHECKING:
    from collections.abc import Mapping
    from uuid import UUID

_GLOBAL_NAMES = frozenset(f.name for f in GLOBAL_PARAMETERS)
_LANGUAGE_NAMES = frozenset(f.name for f in LANGUAGE_OVERRIDE_PARAMETERS)


def _clean(overrides: Mapping[str, Any], allowed: frozenset[str], scope: str) -> dict[str, Any]:
    """Coerce every override to its parameter's type, as JSON (tuples become lists)."""
    cleaned: dict[str, Any] = {}
    for name, raw in overrides.items():
        if name not in allowed:
            raise InvalidParameter(name, f"cannot be overridden {scope}")
        value = coerce_parameter(name, raw)
        cleaned[name] = list(value) if isinstance(value, tuple) else value
    return cleaned


def global_overrides_clean(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Validated global overrides as stored (TREE-81); raises InvalidParameter."""
    cleaned = _clean(overrides, _GLOBAL_NAMES, "globally")
    config = build_config(cleaned, base=env_defaults())  # the combination must be valid too
    # A global change must not make an existing language's combination invalid.
    for row in LanguageSettings.objects.only("lang", "overrides"):
        try:
            build_config(row.overrides, base=config)
        except InvalidParameter as exc:
            raise InvalidParameter(
                exc.name, f"{exc.message} (with the overrides of language {row.lang!r})"
            ) from exc
    return cleaned


def language_overrides_clean(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Validated per-language overrides, on top of the global ones (TREE-81)."""
    cleaned = _clean(overrides, _LANGUAGE_NAMES, "per language")
    build_config(cleaned, base=global_config())
    return cleaned


def tree_manager_settings_update(
    *, overrides: Mapping[str, Any], account_id: UUID | None = None
) -> TreeManagerSettings:
    """Replace the global overrides, validated against the environment defaults (TREE-81).

    Raises InvalidParameter and stores nothing when a value or the combination is invalid.
    """
    cleaned = global_overrides_clean(overrides)
    with transaction.atomic():
        row, _ = TreeManagerSettings.objects.select_for_update().get_or_create(singleton=True)
        before = dict(row.overrides)
        row.overrides = cleaned
        row.updated_by_id = account_id
        row.save(update_fields=["overrides", "updated_by", "updated_date"])
        if before != cleaned:
            tree_settings_changed.send(
                sender=TreeManagerSettings,
                scope="global",
                before=before,
                after=cleaned,
                account_id=account_id,
            )
        transaction.on_commit(clear_config_cache)
    return row


def language_settings_update(
    *,
    lang: str,
    accept_initial_prompts: bool,
    overrides: Mapping[str, Any],
    account_id: UUID | None = None,
) -> LanguageSettings:
    """Create or replace one language's overrides and prompt-intake switch (MOD-20, IMP-29).

    Validated on top of the environment defaults and the global overrides (TREE-81).
    """
    lang = lang.strip()
    if not lang or len(lang) > 32:
        raise InvalidParameter("lang", "must be 1 to 32 characters (GEN-5)")
    cleaned = language_overrides_clean(overrides)
    with transaction.atomic():
        row, _ = LanguageSettings.objects.select_for_update().get_or_create(lang=lang)
        before = {"accept_initial_prompts": row.accept_initial_prompts, **row.overrides}
        row.accept_initial_prompts = accept_initial_prompts
        row.overrides = cleaned
        row.updated_by_id = account_id
        row.save()
        after = {"accept_initial_prompts": accept_initial_prompts, **cleaned}
        if before != after:
            tree_settings_changed.send(
                sender=LanguageSettings,
                scope=lang,
                before=before,
                after=after,
                account_id=account_id,
            )
        transaction.on_commit(clear_config_cache)
    return row
