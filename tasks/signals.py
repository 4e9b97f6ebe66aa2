"""Domain signals of task work (STYLE practice 5); the journal records them (STAT-19).

Every signal is sent by a service inside its transaction, with keyword arguments:

- text_reply_stored: `message` (the new Message), `task` (Task), `user_id`, `api_client_id`.
- ranking_stored: `reaction` (MessageReaction), `task`, `ranking` (the submitted index
  list), `user_id`, `api_client_id`. The reaction's `message_id` is the ranking parent.
- rating_stored: `reaction`, `task`, `rating`, `user_id`, `api_client_id`.
- labels_stored: `labels` (TextLabels row), `task` (Task or None for free labels and
  reports), `is_report` (bool), `user_id`, `api_client_id`.
- task_skipped: `task`, `reason` (str or None), `user_id`, `api_client_id`.
"""

from django.dispatch import Signal

text_reply_stored = Signal()
ranking_stored = Signal()
rating_stored = Signal()
labels_stored = Signal()
task_skipped = Signal()
