"""Effective tree-manager configuration (GEN-10, TREE-82).

The effective value of a parameter for a language is the per-language override if set,
else the global override if set, else the environment default. Resolved values are
immutable and cached per process for `TREE_MANAGER_CONFIG_TTL_SECONDS` (5 s by default),
so an admin change reaches every worker within 10 seconds without a restart.
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
_cache: dict[str, tuple[float, TreeManagerConfig]] = {}


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


def language_overrides(lang: str) -> dict[str, Any]:
    """The stored overrides of one language, including its prompt-intake switch."""
    row = LanguageSettings.objects.filter(lang=lang).first()
    if row is None:
        return {}
    values = {k: v for k, v in row.overrides.items() if k in _LANGUAGE_NAMES}
    values["accept_initial_prompts"] = row.accept_initial_prompts
    return values


def global_config() -> TreeManagerConfig:
    """Environment defaults under the global overrides: what every language inherits."""
    base = env_defaults()
    try:
        return build_config(global_overrides(), base=base)
    except InvalidParameter as exc:
        # Overrides are validated when saved; a row edited behind our back must not take
        # the service down. Fall back to the defaults and say so.
        logger.error("ignoring invalid global tree-manager overrides: %s", exc)
        return base


def resolve_config(lang: str | None) -> TreeManagerConfig:
    """Resolve from the database now, bypassing the cache."""
    lang = lang or DEFAULT_LANG
    config = global_config()
    try:
        return build_config(language_overrides(lang), base=config)
    except InvalidParameter as exc:
        logger.error("ignoring invalid tree-manager overrides for lang=%s: %s", lang, exc)
        return config


def effective_config(lang: str | None = None) -> TreeManagerConfig:
    """The configuration in force for `lang` (None means `en`), cached briefly per process."""
    lang = lang or DEFAULT_LANG
    ttl: float = settings.TREE_MANAGER_CONFIG_TTL_SECONDS
    now = time.monotonic()
    with _lock:
        hit = _cache.get(lang)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    config = resolve_config(lang)
    with _lock:
        _cache[lang] = (now, config)
    return config


def clear_config_cache() -> None:
    """Forget cached configurations in this process (after an override is saved)."""
    with _lock:
        _cache.clear()


def config_diff(old: TreeManagerConfig, new: TreeManagerConfig) -> dict[str, tuple[Any, Any]]:
    """Parameters whose values differ, as `{name: (old, new)}`."""
    return {
        f.name: (getattr(old, f.name), getattr(new, f.name))
        for f in dataclasses.fields(TreeManagerConfig)
        if getattr(old, f.name) != getattr(new, f.name)
    }
