"""The shape of the seeded collection, shared by the seeder and the load driver.

Numbers are for scale 1 (the final state of the oasst2 collection); the seeder multiplies
every count by `--scale`.
"""

from __future__ import annotations

import hashlib

# Final oasst2 tree-state mix (70,642 trees).
TREE_STATES: dict[str, int] = {
    "ready_for_export": 13_854,
    "prompt_lottery_waiting": 44_550,
    "initial_prompt_review": 4_319,
    "growing": 3_102,
    "halted_by_moderator": 3_089,
    "aborted_low_grade": 1_708,
    "ranking": 20,
}
VOLUNTEERS = 13_500

# About 40 languages, led by en and es (relative weights, normalised by the users).
LANGUAGES: dict[str, float] = {
    "en": 42.0,
    "es": 20.0,
    "ru": 7.0,
    "zh": 4.5,
    "de": 4.0,
    "fr": 3.5,
    "pt-BR": 3.0,
    "th": 2.0,
    "ca": 1.5,
    "it": 1.3,
    "uk-UA": 1.2,
    "ja": 1.1,
    "pl": 0.9,
    "eu": 0.8,
    "vi": 0.7,
    "hu": 0.6,
    "ar": 0.55,
    "ko": 0.5,
    "tr": 0.45,
    "da": 0.4,
    "fi": 0.35,
    "id": 0.35,
    "cs": 0.3,
    "sv": 0.3,
    "nl": 0.3,
    "el": 0.25,
    "he": 0.2,
    "nb-NO": 0.2,
    "fa": 0.2,
    "ro": 0.2,
    "bn": 0.15,
    "gl": 0.15,
    "sk": 0.12,
    "bg": 0.12,
    "lt": 0.1,
    "sr": 0.1,
    "eo": 0.1,
    "hr": 0.08,
    "et": 0.08,
    "lv": 0.08,
}


def bench_web_key() -> str:
    """The plaintext key of the seeded web client (64 lower-case hex characters).

    Derived, not random, so that `bench.load` can use the database `bench.seed` made. It
    opens a benchmark database on loopback and nothing else.
    """
    return hashlib.sha256(b"canopy-bench/web-client").hexdigest()


def bench_secret_key() -> str:
    """SECRET_KEY of the benchmark server (production settings refuse to start without)."""
    return hashlib.sha256(b"canopy-bench/secret-key").hexdigest()


def database_name(scale: float) -> str:
    """Default database of a scale: canopy_bench1, canopy_bench10, canopy_bench0_1, …"""
    text = f"{scale:g}".replace(".", "_")
    return f"canopy_bench{text}"
