"""Settings: no default secrets (GEN-12, IMP-36) and a clean deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)


def _run(settings_module: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ROOT_TOKENS", "AUTH_SECRET", "OFFICIAL_WEB_API_KEY"}
    }
    environ.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key() -> None:
    result = _run("config.settings.production", "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("weak", ["changeme", "secret", "1234", "short-but-not-32-chars", "a" * 40])
def test_production_refuses_to_start_with_a_weak_secret_key(weak: str) -> None:
    result = _run("config.settings.production", "check", SECRET_KEY=weak)
    assert result.returncode != 0
    assert "SECRET_KEY is weak" in result.stderr


@pytest.mark.parametrize("name", ["ROOT_TOKENS", "AUTH_SECRET", "OFFICIAL_WEB_API_KEY"])
def test_production_refuses_weak_optional_secrets(name: str) -> None:
    result = _run("config.settings.production", "check", SECRET_KEY=STRONG_KEY, **{name: "1234"})
    assert result.returncode != 0
    assert f"{name}" in result.stderr
    assert "weak" in result.stderr


def test_debug_mode_starts_without_a_secret_key_in_the_environment() -> None:
    """Local development generates its own key in var/ (GEN-12 allows a demo key)."""
    result = _run("config.settings.local", "check")
    assert result.returncode == 0, result.stderr


def test_deploy_check_reports_only_the_documented_preload_warning() -> None:
    """`check --deploy` is clean except W021, documented in README.md (HSTS preload is opt-in)."""
    result = _run(
        "config.settings.production",
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        SECRET_KEY=STRONG_KEY,
    )
    assert result.returncode == 0, result.stderr
    reported = [line for line in result.stderr.splitlines() if "(security." in line]
    assert [line.split(")")[0].split("(")[-1] for line in reported] == ["security.W021"]
    readme = (ROOT / "README.md").read_text()
    assert "security.W021" in readme


def test_deploy_check_is_fully_clean_when_preload_is_enabled() -> None:
    result = _run(
        "config.settings.production",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=STRONG_KEY,
        SECURE_HSTS_PRELOAD="true",
    )
    assert result.returncode == 0, result.stderr
