"""Idempotently create the demo admin account and demo API client of `make run`."""

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from config.env import BASE_DIR
from users.keys import api_key_hash
from users.models import Account, ApiClient
from users.services.api_clients import api_client_create

CREDENTIALS_FILE = BASE_DIR / "var" / "demo-credentials.json"
DEMO_ADMIN = "admin"
DEMO_CLIENT_DESCRIPTION = "Demo client (make run)"


def _load_or_create_credentials(path: Path) -> dict[str, str]:
    """The demo credentials, generated once and kept in var/ (git-ignored, mode 0600)."""
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        if {"admin_password", "api_key"} <= data.keys():
            return data
    data = {"admin_password": secrets.token_urlsafe(12), "api_key": secrets.token_hex(32)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
    return data


class Command(BaseCommand):
    help = (
        "Development only: ensure a demo superuser 'admin' and a trusted demo API client "
        "exist, with credentials kept in var/demo-credentials.json, and print them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the server listens."
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("setup_demo creates known credentials; it runs only with DEBUG=true")
        creds = _load_or_create_credentials(CREDENTIALS_FILE)
        with transaction.atomic():
            admin = Account.objects.filter(username=DEMO_ADMIN).first()
            if admin is None:
                admin = Account(username=DEMO_ADMIN, email="admin@example.com")
            admin.is_staff = admin.is_superuser = admin.is_active = True
            admin.set_password(creds["admin_password"])
            admin.save()
            if not ApiClient.objects.filter(key_hash=api_key_hash(creds["api_key"])).exists():
                api_client_create(
                    description=DEMO_CLIENT_DESCRIPTION,
                    trusted=True,
                    frontend_type="demo",
                    key=creds["api_key"],
                )
        base_url = base_url.rstrip("/")
        self.stdout.write(self.style.SUCCESS("Canopy demo is ready."))
        self.stdout.write(f"  Admin:    {base_url}/admin/")
        self.stdout.write(f"  Username: {DEMO_ADMIN}")
        self.stdout.write(f"  Password: {creds['admin_password']}")
        self.stdout.write(
            f"  API:      {base_url}/api/v1/  (schema: {base_url}/api/v1/openapi.json)"
        )
        self.stdout.write(f"  API key:  {creds['api_key']}  (header X-API-Key, trusted client)")
        self.stdout.write(f"  Kept in {CREDENTIALS_FILE.relative_to(BASE_DIR)}.")
