"""Report notifications to a Discord channel (MOD-16, TREE-74).

When `DISCORD_API_KEY` (a bot token) and `DISCORD_CHANNEL_ID` are set, every report queues
a job that posts one message with an embed: the reported message's admin link, text
(first 500 characters), role, language and up/down/red-flag counts, the report text (at
most 4096 characters, Discord's embed description limit) and the reporter with a link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from shared_protocol.enums import EmojiCode
from tasks.models import TextLabels
from trees.external.http import post_json

if TYPE_CHECKING:
    from uuid import UUID

MESSAGE_TEXT_LIMIT = 500
REPORT_TEXT_LIMIT = 4096
ELLIPSIS = "…"
_MARKDOWN = re.compile(r"([\\`*_~|\[\]()])")


def discord_configured() -> bool:
    return bool(settings.DISCORD_API_KEY and settings.DISCORD_CHANNEL_ID)


def admin_link(viewname: str, object_id: UUID) -> str | None:
    """`ADMIN_BASE_URL` + the object's admin path; None when no base URL is configured."""
    if not settings.ADMIN_BASE_URL:
        return None
    return settings.ADMIN_BASE_URL.rstrip("/") + reverse(viewname, args=[object_id])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def _escape(text: str) -> str:
    """Plain text for a Discord field: markdown characters lose their meaning."""
    return _MARKDOWN.sub(r"\\\1", text)


def report_notification(labels: TextLabels) -> dict[str, Any]:
    """The Discord message body announcing the report `labels` (MOD-16)."""
    message, reporter = labels.message, labels.user
    if message is None:  # a report always names a message (MOD-15)
        raise ValueError(f"text labels {labels.pk} name no message")
    counts = message.emojis or {}
    message_url = admin_link("admin:trees_message_change", message.pk)
    reporter_url = admin_link("admin:users_user_change", reporter.pk)
    reporter_name = _escape(reporter.display_name or reporter.username)
    embed: dict[str, Any] = {
        "title": f"Message {message.pk} reported",
        "description": labels.text[:REPORT_TEXT_LIMIT] or "(no report text)",
        "fields": [
            {"name": "Message", "value": _cut(message.text, MESSAGE_TEXT_LIMIT) or "(empty)"},
            {"name": "Role", "value": message.role, "inline": True},
            {"name": "Language", "value": message.lang, "inline": True},
            {"name": "👍", "value": str(counts.get(EmojiCode.THUMBS_UP, 0)), "inline": True},
            {"name": "👎", "value": str(counts.get(EmojiCode.THUMBS_DOWN, 0)), "inline": True},
            {"name": "🚩", "value": str(counts.get(EmojiCode.RED_FLAG, 0)), "inline": True},
            {
                "name": "Reported by",
                "value": (
                    f"[{reporter_name}]({reporter_url})"
                    if reporter_url
                    else f"{reporter_name} ({reporter.pk})"
                ),
            },
        ],
        "color": 0xD9534F,
    }
    if message_url:
        embed["url"] = message_url
    return {
        "content": f"New report: {message_url or message.pk}",
        "embeds": [embed],
        # Report texts are user input: they must never ping anyone.
        "allowed_mentions": {"parse": []},
    }


def report_notification_send(*, labels_id: UUID) -> bool:
    """Post the notification of report `labels_id`; False when unconfigured or gone.

    Upstream failures propagate (`UpstreamUnavailable` is retried by the job).
    """
    if not discord_configured():
        return False
    labels = TextLabels.objects.select_related("message", "user").filter(pk=labels_id).first()
    if labels is None or labels.message is None:
        return False
    post_json(
        f"{settings.DISCORD_API_URL.rstrip('/')}/channels/{settings.DISCORD_CHANNEL_ID}/messages",
        report_notification(labels),
        headers={
            "Authorization": f"Bot {settings.DISCORD_API_KEY}",
            # Discord asks bots for "DiscordBot ($url, $version)".
            "User-Agent": f"DiscordBot ({settings.ADMIN_BASE_URL or 'canopy'}, 0.1)",
        },
    )
    return True
