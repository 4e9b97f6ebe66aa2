"""Development and the embedded first run (`make run`): SQLite, DEBUG on by default."""

import secrets

from config.env import BASE_DIR, env
from config.secrets import validate_secrets
from config.settings.base import *  # noqa: F403
from config.settings.base import secrets_to_validate

DEBUG = env.bool("DEBUG", default=True)


def _local_secret_key() -> str:
    """A random key kept in var/ so that sessions survive restarts; never used in production."""
    path = BASE_DIR / "var" / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default=None) or _local_secret_key()
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

validate_secrets(debug=DEBUG, secret_key=SECRET_KEY, named_secrets=secrets_to_validate())
