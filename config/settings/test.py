"""The test suite: whichever database DATABASE_URL names (SQLite by default), fast hashing."""

from config.settings.base import *  # noqa: F403

DEBUG = False
# Not a secret: only the test suite uses this settings module.
SECRET_KEY = "test-only-key-3c5d0e1f9a7b4e2d8c6f1a0b9e8d7c6b5a4f3e2d1c0b"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TREE_MANAGER_CONFIG_TTL_SECONDS = 0.0
# Every test sees the candidates its own writes made (tests of the cache turn it back on).
TASK_CANDIDATE_CACHE_SECONDS = 0.0
API_CLIENT_CACHE_SECONDS = 0.0
