"""Refuse to run a non-debug server with missing or weak secrets (GEN-12, IMP-36)."""

from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_LENGTH = 32
WEAK_VALUES = frozenset({"1234", "changeme", "secret", "password", "admin"})


def is_weak_secret(value: str) -> bool:
    """Too short, a well-known value, or too few distinct characters to be random."""
    lowered = value.strip().lower()
    return len(value) < MIN_SECRET_LENGTH or lowered in WEAK_VALUES or len(set(value)) < 8


def validate_secrets(
    *, debug: bool, secret_key: str | None, named_secrets: Iterable[tuple[str, str | None]]
) -> None:
    """Raise ImproperlyConfigured when a non-debug process would run with unsafe secrets.

    `named_secrets` are optional secrets (tokens, keys): unset is fine, set but weak is not.
    """
    if debug:
        return
    problems: list[str] = []
    if not secret_key:
        problems.append("SECRET_KEY is not set")
    elif is_weak_secret(secret_key):
        problems.append(f"SECRET_KEY is weak (use at least {MIN_SECRET_LENGTH} random characters)")
    for name, value in named_secrets:
        if value and is_weak_secret(value):
            problems.append(f"{name} is weak (use at least {MIN_SECRET_LENGTH} random characters)")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG=false: " + "; ".join(problems) + ". See README.md."
        )
