"""Create an API client and print its key once, alone on the last line (AUTH-4)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from users.errors import InvalidApiKey
from users.services.api_clients import api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client for a frontend. The key is printed once, alone on the last "
        "line; only its SHA-256 hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--description", required=True, help="Who uses this client.")
        parser.add_argument(
            "--trusted",
            action="store_true",
            help="Allow moderation and admin endpoints (AUTH-3).",
        )
        parser.add_argument(
            "--frontend-type", default=None, help="Informational, e.g. web, discord, import."
        )
        parser.add_argument("--admin-email", default=None, help="Contact of the client's owner.")
        parser.add_argument(
            "--key",
            default=None,
            help="Use this key instead of a random one (at least 32 characters).",
        )

    def handle(
        self,
        *args: Any,
        description: str,
        trusted: bool,
        frontend_type: str | None,
        admin_email: str | None,
        key: str | None,
        **options: Any,
    ) -> None:
        if not description.strip():
            raise CommandError("--description must not be empty")
        if len(description) > 256:
            raise CommandError("--description must be at most 256 characters")
        try:
            client, plaintext = api_client_create(
                description=description.strip(),
                trusted=trusted,
                frontend_type=frontend_type,
                admin_email=admin_email,
                key=key,
            )
        except InvalidApiKey as exc:
            raise CommandError(str(exc)) from exc
        kind = "trusted" if client.trusted else "untrusted"
        self.stdout.write(f"Created {kind} API client {client.id} ({client.description}).")
        self.stdout.write("Its key follows; it is shown only this once:")
        self.stdout.write(plaintext)
