"""Settings of the benchmark: production settings against a local PostgreSQL and Redis.

Only what a loopback benchmark needs differs from production: no HTTPS redirect (there is
no TLS proxy in front), rate limits off (the volunteers would hit the per-user limit of
API-RL-2 within seconds), a fixed secret, WARNING logs. Every value can still be
overridden from the environment.
"""

import os

from bench.shape import bench_secret_key

os.environ.setdefault("SECRET_KEY", bench_secret_key())
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/canopy_bench1")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("RATE_LIMIT", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings.production import *  # noqa: F403
from config.settings.production import CACHES

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The Redis server is shared: keep the benchmark's keys apart.
CACHES["default"].setdefault("KEY_PREFIX", "canopy-bench")
