"""Effective tree-manager configuration (GEN-10, TREE-82).

The effective value of a parameter for a language is the per-language override if set,
else the global override if set, else the environment default. Resolved values are
immutable and cached per process for `TREE_MANAGER_CONFIG_TTL_SECONDS` (5 s by default),
so an admin change reaches every worker within 10 seconds without a restart.

The cache holds one snapshot of every stored override, the global row and all language
rows, read with two queries whenever it expires; each language's configuration is then
built from the snapshot once. Volunteers of forty languages used to cost two queries per
language and worker every few seconds.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any

from django.conf import settings

from trees.models import LanguageSettings, TreeManagerSettings
from trees.parameters import (
    GLOBAL_PARAMETERS,
    LANGUAGE_PARAMETERS,
    InvalidParameter,
    TreeManagerConfig,
    build_config,
)

logger = logging.getLogger(__name__)

DEFAULT_LANG = "en"  # GEN-5

_GLOBAL_NAMES = frozenset(f.name for f in GLOBAL_PARAMETERS)
_LANGUAGE_NAMES = frozenset(f.name for f in LANGUAGE_PARAMETERS)

_lock = threading.Lock()


def env_defaults() -> TreeManagerConfig:
    """The environment defaults, before any database override."""
    defaults: TreeManagerConfig = settings.TREE_MANAGER_DEFAULTS
    return defaults


def global_overrides() -> dict[str, Any]:
    """The stored global overrides (parameters that may be set globally only)."""
    row = TreeManagerSettings.objects.only("overrides").first()
    if row is None:
        return {}
    return {k: v for k, v in row.overrides.items() if k in _GLOBAL_NAMES}


def _language_values(row: LanguageSettings) -> dict[str, Any]:
    values = {k: v for k, v in row.overrides.items() if k in _LANGUAGE_NAMES}
    values["accept_initial_prompts"] = row.accept_initial_prompts
    return values


def language_overrides(lang: str) -> dict[str, Any]:
    """The stored overrides of one language, including its prompt-intake switch."""
    row = LanguageSettings.objects.filter(lang=lang).first()
    return {} if row is None else _language_values(row)


def _global_config(overrides: dict[str, Any]) -> TreeManagerConfig:
    base = env_defaults()
    try:
        return build_config(overrides, base=base)
    except InvalidParameter as exc:
        # Overrides are validated when saved; a row edited behind our back must not take
        # the service down. Fall back to the defaults and say so.
        logger.error("ignoring invalid global tree-manager overrides: %s", exc)
        return base


def _language_config(
    lang: str, overrides: dict[str, Any], base: TreeManagerConfig
) -> TreeManagerConfig:
    try:
        return build_config(overrides, base=base)
    except InvalidParameter as exc:
        logger.error("ignoring invalid tree-manager overrides for lang=%s: %s", lang, exc)
        return base


def global_config() -> TreeManagerConfig:
    """Environment defaults under the global overrides: what every language inherits."""
    return _global_config(global_overrides())


def resolve_config(lang: str | None) -> TreeManagerConfig:
    """Resolve from the database now, bypassing the cache."""
    lang = lang or DEFAULT_LANG
    return _language_config(lang, language_overrides(lang), global_config())


@dataclasses.dataclass
class _Snapshot:
    """Every stored override as read at `read_at`, and the configurations built from it."""

    read_at: float
    base: TreeManagerConfig
    languages: dict[str, dict[str, Any]]
    built: dict[str, TreeManagerConfig] = dataclasses.field(default_factory=dict)

    def config(self, lang: str) -> TreeManagerConfig:
        config = self.built.get(lang)
        if config is None:
            overrides = self.languages.get(lang)
            config = (
                self.base if overrides is None else _language_config(lang, overrides, self.base)
            )
            self.built[lang] = config
        return config


_snapshot: _Snapshot | None = None


def _read_snapshot(now: float) -> _Snapshot:
    languages = {row.lang: _language_values(row) for row in LanguageSettings.objects.all()}
    return _Snapshot(read_at=now, base=global_config(), languages=languages)


def effective_config(lang: str | None = None) -> TreeManagerConfig:
    """The configuration in force for `lang` (None means `en`), cached briefly per process."""
    global _snapshot
    lang = lang or DEFAULT_LANG
    ttl: float = settings.TREE_MANAGER_CONFIG_TTL_SECONDS
    now = time.monotonic()
    with _lock:
        snapshot = _snapshot
        if snapshot is not None and now - snapshot.read_at < ttl:
            return snapshot.config(lang)
    snapshot = _read_snapshot(now)
    with _lock:
        _snapshot = snapshot
        return snapshot.config(lang)


def clear_config_cache() -> None:
    """Forget cached configurations in this process (after an override is saved)."""
    global _snapshot
    with _lock:
        _snapshot = None


def config_diff(old: TreeManagerConfig, new: TreeManagerConfig) -> dict[str, tuple[Any, Any]]:
    """Parameters whose values differ, as `{name: (old, new)}`."""
    return {
        f.name: (getattr(old, f.name), getattr(new, f.name))
        for f in dataclasses.fields(TreeManagerConfig)
        if getattr(old, f.name) != getattr(new, f.name)
    }
