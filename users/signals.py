"""Domain signals the users app sends (STYLE practice 5); the journal listens.

api_client_changed: kwargs `client` (the ApiClient), `action` ("created", "updated",
"key_rotated"), `before` and `after` (dicts of the changed fields; never a key or hash),
`account_id` (the staff login, or None for commands).
"""

from django.dispatch import Signal

api_client_changed = Signal()

# user_created: kwargs `user` (the new User), `api_client_id`.
user_created = Signal()

# user_updated: kwargs `user`, `before`, `after` (dicts of changed fields), `actor_user_id`,
# `api_client_id` (the trusted client or None), `account_id` (admin login or None).
user_updated = Signal()
