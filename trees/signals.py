"""Domain signals the trees app sends (STYLE practice 5); the journal listens.

tree_settings_changed: kwargs `scope` ("global" or a language), `before` and `after`
(JSON dicts of the stored overrides), `account_id` (the staff login, or None).
"""

from django.dispatch import Signal

tree_settings_changed = Signal()
