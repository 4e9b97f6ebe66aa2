"""Domain signals the trees app sends (STYLE practice 5); the journal listens.

tree_state_changed: kwargs `tree_id`, `source`, `target` (TreeState), `cause` (a short
reason such as "moderator_halt" or "author_disabled"), `user_id` and `api_client_id` (the
actor, None for background jobs). Sent inside the transition's transaction (TREE-2).

emoji_changed: kwargs `message_id`, `user_id`, `emoji` (code), `op` ("add" or "remove"),
sent for every emoji row added or removed (MOD-17, skip emojis of nacks included).

tree_settings_changed: kwargs `scope` ("global" or a language), `before` and `after`
(JSON dicts of the stored overrides), `account_id` (the staff login, or None).
"""

from django.dispatch import Signal

tree_settings_changed = Signal()
tree_state_changed = Signal()
emoji_changed = Signal()
