"""Settings shared by every environment.

Everything that differs between deployments comes from the environment (README.md,
"Configuration"); `local`, `test` and `production` only choose defaults and harden.
"""

from pathlib import Path
from typing import Any

import django_stubs_ext

from config.env import BASE_DIR, env
from trees.parameters import tree_manager_env_defaults

django_stubs_ext.monkeypatch()

# --- Core -------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY: str | None = env.str("SECRET_KEY", default=None)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True  # GEN-4: every timestamp is aware and stored in UTC.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.discord",
    "shared_protocol",
    "users",
    "trees",
    "tasks",
    "journal",
    "stats",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database (GEN-8, GEN-9) ----------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL is production. Transactions are explicit in
# services (ATOMIC_REQUESTS stays False, STYLE practice 4).
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue
        # instead of failing on a lock upgrade; WAL lets readers run beside the writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that does not query an idle connection.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
# The hot statements (config/prepared.py, tasks/compiled.py) are prepared by PostgreSQL
# once per connection and reused. Turn it off behind a pooler that cannot keep prepared
# statements (PgBouncer before 1.21 in transaction mode). Other queries are never
# prepared: psycopg's automatic preparation stays off (an unreachable threshold).
# Prepared statements run their generic plan (plan_cache_mode): left to choose, PostgreSQL
# re-planned every candidate check for each execution, and planning cost it 1-1.5 ms
# against 0.1-0.7 ms for running the generic plan. Unprepared queries are planned per
# execution whatever this says.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "config.postgresql":
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("prepare_threshold", 2**31 - 1 if DATABASE_PREPARED_STATEMENTS else None)
    if DATABASE_PREPARED_STATEMENTS:
        _pg_options["options"] = " ".join(
            filter(None, [_pg_options.get("options"), "-c plan_cache_mode=force_generic_plan"])
        )

# --- Cache ---------------------------------------------------------------------------------
REDIS_URL: str | None = env.str("REDIS_URL", default=None)
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every worker process without extra servers; its table is created by the
    # tasks app's migrations (no createcachetable step).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "canopy_cache",
            # Rate-limit counters must not be culled at Django's default of 300 entries.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

# --- Authentication (AUTH-9) -------------------------------------------------------------------
AUTH_USER_MODEL = "users.Account"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/admin/"
# Admin messages can carry a new API key (shown once): keep them server-side, not in a
# signed-but-readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
SOCIALACCOUNT_PROVIDERS = {
    "discord": {
        "APPS": (
            [
                {
                    "client_id": env.str("DISCORD_CLIENT_ID"),
                    "secret": env.str("DISCORD_CLIENT_SECRET"),
                    "key": "",
                }
            ]
            if env.str("DISCORD_CLIENT_ID", default="")
            else []
        ),
        "SCOPE": ["identify", "email"],
    }
}

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")

# --- REST framework and the schema ---------------------------------------------------------
API_V1_STR = "/api/v1"  # GEN-1: fixed.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["shared_protocol.parsers.ProtocolJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "shared_protocol.parsers.LenientContentNegotiation",
    # Every endpoint needs an API key unless its view opts out (AUTH-1).
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "shared_protocol.exception_handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Canopy API",
    "DESCRIPTION": (
        "The Open-Assistant v1 protocol, served by Canopy. Every endpoint but "
        "`POST /api/v1/admin/api_client` and `GET /api/v1/auth/check` needs an `X-API-Key` "
        "header. Errors answer `{message, error_code}`; validation errors answer 422."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Canopy: protocol and behaviour (spec/README.md §5) ------------------------------------
PROJECT_NAME = env.str("PROJECT_NAME", default="open-assistant backend")
ADMIN_BASE_URL: str | None = env.str("ADMIN_BASE_URL", default=None)
MESSAGE_SIZE_LIMIT = env.int("MESSAGE_SIZE_LIMIT", default=2000)
TASK_VALIDITY_MINUTES = env.int("TASK_VALIDITY_MINUTES", default=2880)
# Next-task selection keeps each kind's user-independent candidate superset per process for
# this many seconds (0 = read it on every request). New work waits at most this long to be
# offered; work that is gone is never offered (the full predicate is always checked).
TASK_CANDIDATE_CACHE_SECONDS = env.float("TASK_CANDIDATE_CACHE_SECONDS", default=5.0)
# API clients are kept in the Django cache under their key's hash for this many seconds
# (0 = read the client row on every request). Every change replaces the entry with a
# tombstone, so a disabled client or a rotated key stops working at once. Off by default
# without Redis: the database cache would cost a query as well.
API_CLIENT_CACHE_SECONDS = env.float(
    "API_CLIENT_CACHE_SECONDS", default=300.0 if REDIS_URL else 0.0
)
TASK_RETENTION_DAYS: int | None = env.int("TASK_RETENTION_DAYS", default=None)
DUPLICATE_MESSAGE_FILTER_WINDOW_MINUTES = env.int(
    "DUPLICATE_MESSAGE_FILTER_WINDOW_MINUTES", default=120
)

RATE_LIMIT = env.bool("RATE_LIMIT", default=True)
RATE_LIMIT_TASK_USER_TIMES = env.int("RATE_LIMIT_TASK_USER_TIMES", default=30)
RATE_LIMIT_TASK_USER_MINUTES = env.int("RATE_LIMIT_TASK_USER_MINUTES", default=4)
RATE_LIMIT_TASK_API_TIMES = env.int("RATE_LIMIT_TASK_API_TIMES", default=10000)
RATE_LIMIT_TASK_API_MINUTES = env.int("RATE_LIMIT_TASK_API_MINUTES", default=1)
RATE_LIMIT_ASSISTANT_USER_TIMES = env.int("RATE_LIMIT_ASSISTANT_USER_TIMES", default=4)
RATE_LIMIT_ASSISTANT_USER_MINUTES = env.int("RATE_LIMIT_ASSISTANT_USER_MINUTES", default=2)
RATE_LIMIT_PROMPTER_USER_TIMES = env.int("RATE_LIMIT_PROMPTER_USER_TIMES", default=8)
RATE_LIMIT_PROMPTER_USER_MINUTES = env.int("RATE_LIMIT_PROMPTER_USER_MINUTES", default=2)

USER_STATS_INTERVAL_DAY = env.int("USER_STATS_INTERVAL_DAY", default=5)
USER_STATS_INTERVAL_WEEK = env.int("USER_STATS_INTERVAL_WEEK", default=15)
USER_STATS_INTERVAL_MONTH = env.int("USER_STATS_INTERVAL_MONTH", default=60)
USER_STATS_INTERVAL_TOTAL = env.int("USER_STATS_INTERVAL_TOTAL", default=240)
USER_STATS_INCREMENTAL_INTERVAL_SECONDS = env.int(
    "USER_STATS_INCREMENTAL_INTERVAL_SECONDS", default=60
)
USER_STREAK_UPDATE_INTERVAL = env.int("USER_STREAK_UPDATE_INTERVAL", default=4)
USER_STREAK_MAX_GAP_HOURS = env.int("USER_STREAK_MAX_GAP_HOURS", default=36)
CACHED_STATS_UPDATE_INTERVAL = env.int("CACHED_STATS_UPDATE_INTERVAL", default=60)
TREE_PUMP_INTERVAL_SECONDS = env.int("TREE_PUMP_INTERVAL_SECONDS", default=15)
TREE_RECONCILE_INTERVAL_MINUTES = env.int("TREE_RECONCILE_INTERVAL_MINUTES", default=10)

DEBUG_ALLOW_SELF_LABELING = env.bool("DEBUG_ALLOW_SELF_LABELING", default=False)
DEBUG_ALLOW_SELF_RANKING = env.bool("DEBUG_ALLOW_SELF_RANKING", default=False)
DEBUG_ALLOW_DUPLICATE_TASKS = env.bool("DEBUG_ALLOW_DUPLICATE_TASKS", default=False)
DEBUG_IGNORE_TOS_ACCEPTANCE = env.bool("DEBUG_IGNORE_TOS_ACCEPTANCE", default=True)
DEBUG_SKIP_EMBEDDING_COMPUTATION = env.bool("DEBUG_SKIP_EMBEDDING_COMPUTATION", default=True)
DEBUG_SKIP_TOXICITY_CALCULATION = env.bool("DEBUG_SKIP_TOXICITY_CALCULATION", default=True)
DEBUG_USE_SEED_DATA = env.bool("DEBUG_USE_SEED_DATA", default=False)
DEBUG_DATABASE_ECHO = env.bool("DEBUG_DATABASE_ECHO", default=False)

# Secrets: no defaults in code (GEN-12); validated by each settings module's last line.
OFFICIAL_WEB_API_KEY: str | None = env.str("OFFICIAL_WEB_API_KEY", default=None)
ROOT_TOKENS: list[str] = env.list("ROOT_TOKENS", default=[])
AUTH_SECRET: str | None = env.str("AUTH_SECRET", default=None)
HUGGING_FACE_API_KEY: str | None = env.str("HUGGING_FACE_API_KEY", default=None)
DISCORD_API_KEY: str | None = env.str("DISCORD_API_KEY", default=None)
DISCORD_CHANNEL_ID: str | None = env.str("DISCORD_CHANNEL_ID", default=None)

# External calls (TREE-74, MOD-16, API-HF-1): where they go. Tests point them at a local
# fake server. Embeddings are asked from `<URL>/<model>/pipeline/feature-extraction`, the
# toxicity classifier from `<URL>/<model>`.
HUGGING_FACE_API_URL = env.str(
    "HUGGING_FACE_API_URL", default="https://router.huggingface.co/hf-inference/models"
)
HF_TOXICITY_MODEL = env.str("HF_TOXICITY_MODEL", default="martin-ha/toxic-comment-model")
HF_EMBEDDING_MODEL = env.str("HF_EMBEDDING_MODEL", default="sentence-transformers/all-MiniLM-L6-v2")
DISCORD_API_URL = env.str("DISCORD_API_URL", default="https://discord.com/api/v10")
EXTERNAL_HTTP_TIMEOUT_SECONDS = env.float("EXTERNAL_HTTP_TIMEOUT_SECONDS", default=10.0)

ACCEPT_API_KEY_QUERY_PARAM = env.bool("ACCEPT_API_KEY_QUERY_PARAM", default=False)
BACKEND_CORS_ORIGINS: list[str] = env.list("BACKEND_CORS_ORIGINS", default=[])
ENABLE_PROM_METRICS = env.bool("ENABLE_PROM_METRICS", default=True)

# --- Background jobs (TREE-70 … TREE-74): Celery beat + workers, never web processes -------
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / "celery")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"  # TREE-74: JSON-primitive arguments only
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "tree-pump": {
        "task": "trees.jobs.run_tree_pump",
        "schedule": float(TREE_PUMP_INTERVAL_SECONDS),
        "options": {"expires": float(TREE_PUMP_INTERVAL_SECONDS)},
    },
    "reconcile-trees": {
        "task": "trees.jobs.reconcile_trees",
        "schedule": TREE_RECONCILE_INTERVAL_MINUTES * 60.0,
        "options": {"expires": TREE_RECONCILE_INTERVAL_MINUTES * 60.0},
    },
    "delete-expired-tasks": {
        "task": "tasks.jobs.delete_expired_tasks",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600.0},
    },
}

# Tree-manager parameters (trees.md §13): environment defaults `TREE_MANAGER__<NAME>`;
# runtime overrides live in the database (trees.config.effective_config).
TREE_MANAGER_DEFAULTS = tree_manager_env_defaults(env)
# How long a process may serve a resolved configuration before re-reading overrides
# (GEN-10 requires changes to take effect within 10 seconds).
TREE_MANAGER_CONFIG_TTL_SECONDS = env.float("TREE_MANAGER_CONFIG_TTL_SECONDS", default=5.0)


def secrets_to_validate() -> list[tuple[str, str | None]]:
    """The optional secrets that GEN-12 forbids to be weak when set."""
    return [
        ("OFFICIAL_WEB_API_KEY", OFFICIAL_WEB_API_KEY),
        ("AUTH_SECRET", AUTH_SECRET),
        ("HUGGING_FACE_API_KEY", HUGGING_FACE_API_KEY),
        ("DISCORD_API_KEY", DISCORD_API_KEY),
        ("DISCORD_CLIENT_SECRET", env.str("DISCORD_CLIENT_SECRET", default=None)),
        *((f"ROOT_TOKENS[{i}]", token) for i, token in enumerate(ROOT_TOKENS)),
    ]


# --- Logging (GEN-11: ids only, never user text or keys) ---------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_api_keys": {"()": "config.log_filters.RedactApiKeys"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_api_keys"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "DEBUG" if DEBUG_DATABASE_ECHO else "INFO"},
        # runserver's request lines carry query strings: send them through the filter too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
