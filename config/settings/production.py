"""Production: DEBUG off, secrets required, HTTPS hardening. Behaviour still comes from env."""

from config.env import env
from config.secrets import validate_secrets
from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG, SECRET_KEY, secrets_to_validate

# TLS is expected in front of Canopy. Behind a proxy that terminates TLS, set
# SECURE_PROXY_SSL_HEADER_ENABLED so that Django trusts X-Forwarded-Proto.
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

validate_secrets(debug=DEBUG, secret_key=SECRET_KEY, named_secrets=secrets_to_validate())
