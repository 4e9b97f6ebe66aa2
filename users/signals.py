"""Domain signals the users app sends (STYLE practice 5); the journal listens.

api_client_changed: kwargs `client` (the ApiClient), `action` ("created", "updated",
"key_rotated"), `before` and `after` (dicts of the changed fields; never a key or hash),
`account_id` (the staff login, or None for commands).
"""

from django.dispatch import Signal

api_client_changed = Signal()
