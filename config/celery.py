"""The one scheduler and task queue: Celery (TREE-70 … TREE-74, IMP-33).

Periodic jobs are sent by Celery beat and run by Celery workers, never by web processes.
Each job is a thin wrapper around a management command, which holds a database-level lock
while it runs (TREE-72), so a second beat or a manual run can never overlap it.

Broker: Redis when `REDIS_URL` is set (production, scales out to many workers); otherwise
kombu's filesystem transport under `var/celery/`, so the embedded default (`make run`)
needs no extra server.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("canopy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@app.on_after_configure.connect
def _create_filesystem_queue(sender: Celery, **kwargs: object) -> None:
    """The filesystem broker of the embedded default needs its folders to exist."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
