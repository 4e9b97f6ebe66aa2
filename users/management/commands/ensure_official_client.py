"""Deploy step: make sure OFFICIAL_WEB_API_KEY belongs to a trusted web client (AUTH-4 c)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.errors import InvalidApiKey
from users.keys import api_key_hash
from users.models import ApiClient
from users.services.api_clients import api_client_create


class Command(BaseCommand):
    help = (
        "Create a trusted API client with frontend_type 'web' for OFFICIAL_WEB_API_KEY, "
        "unless a client already has that key. Does nothing when the variable is unset."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key: str | None = settings.OFFICIAL_WEB_API_KEY
        if not key:
            self.stdout.write("OFFICIAL_WEB_API_KEY is not set; nothing to do.")
            return
        existing = ApiClient.objects.filter(key_hash=api_key_hash(key)).first()
        if existing is not None:
            self.stdout.write(f"The official web client exists: {existing.id}.")
            return
        try:
            client, _ = api_client_create(
                description="Official web frontend", trusted=True, frontend_type="web", key=key
            )
        except InvalidApiKey as exc:
            raise CommandError(f"OFFICIAL_WEB_API_KEY: {exc}") from exc
        self.stdout.write(f"Created the official web client {client.id}.")
