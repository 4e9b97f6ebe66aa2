"""The Django admin (MOD-22, MOD-23): every page renders, read-only stays read-only, and
API clients are created and re-keyed through the services with the key shown once."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journal.models import Journal
from journal.services import journal_append
from shared_protocol.enums import AuthMethod, CachedStatsName, EmojiCode, MessageRole, TimeFrame
from shared_protocol.envelope import wrap
from stats.models import CachedStats, TrollStats, UserStats, UserStatsDirty
from tasks.models import MessageReaction, Task, TextLabels
from trees.models import (
    FlaggedMessage,
    Message,
    MessageEmbedding,
    MessageEmoji,
    MessageRevision,
    MessageToxicity,
    MessageTreeState,
    TreeState,
    message_payload,
)
from users.keys import api_key_hash
from users.models import Account, ApiClient, User, UserIdentity
from users.selectors import api_client_get_by_key
from users.services.api_clients import api_client_create

if TYPE_CHECKING:
    from django.db.models import Model
    from django.test import Client
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"\b[0-9a-f]{64}\b")

REGISTERED: list[type[Model]] = [
    Account,
    ApiClient,
    User,
    UserIdentity,
    Message,
    MessageTreeState,
    MessageRevision,
    MessageEmoji,
    FlaggedMessage,
    MessageToxicity,
    MessageEmbedding,
    Task,
    MessageReaction,
    TextLabels,
    Journal,
    UserStats,
    TrollStats,
    CachedStats,
    UserStatsDirty,
]
READ_ONLY: list[type[Model]] = [
    UserIdentity,
    Message,
    MessageTreeState,
    MessageRevision,
    MessageEmoji,
    FlaggedMessage,
    MessageToxicity,
    MessageEmbedding,
    Task,
    MessageReaction,
    TextLabels,
    Journal,
    UserStats,
    TrollStats,
    CachedStats,
    UserStatsDirty,
]


@dataclass
class World:
    """One of everything, linked the way the services would link it."""

    client: ApiClient
    user: User
    identity: UserIdentity
    account: Account
    root: Message
    reply: Message
    tree: MessageTreeState
    task: Task


def build_world(n: int = 0) -> World:
    client, _key = api_client_create(description=f"Website {n}", frontend_type="web")
    account = Account.objects.create_user(username=f"volunteer{n}", password=None)
    user = User.objects.create(
        username=f"u{n}",
        auth_method=AuthMethod.DISCORD,
        display_name=f"Volunteer {n}",
        api_client=client,
        account=account,
    )
    identity = UserIdentity.objects.create(
        user=user,
        api_client=client,
        auth_method=AuthMethod.DISCORD,
        username=f"u{n}",
        is_primary=True,
    )
    UserIdentity.objects.create(
        user=user, api_client=client, auth_method=AuthMethod.LOCAL, username=f"local-u{n}"
    )
    root_id = uuid.uuid4()
    root = Message.objects.create(
        id=root_id,
        message_tree_id=root_id,
        role=MessageRole.PROMPTER,
        user=user,
        api_client=client,
        frontend_message_id=f"fm-root-{n}",
        payload=message_payload(f"Why is the sky blue? ({n}) <b>bold?</b>"),
        children_count=1,
    )
    reply = Message.objects.create(
        parent=root,
        message_tree_id=root_id,
        depth=1,
        role=MessageRole.ASSISTANT,
        user=user,
        api_client=client,
        frontend_message_id=f"fm-reply-{n}",
        payload=message_payload("Rayleigh scattering."),
        edited=True,
    )
    tree = MessageTreeState.objects.create(
        message_tree=root,
        goal_tree_size=12,
        max_depth=5,
        max_children_count=3,
        state=TreeState.GROWING,
        active=True,
        lang="en",
    )
    MessageRevision.objects.create(message=reply, user=user, payload=message_payload("Rayleigh."))
    MessageEmoji.objects.create(message=reply, user=user, emoji=EmojiCode.THUMBS_UP)
    FlaggedMessage.objects.create(message=reply)
    MessageToxicity.objects.create(message=reply, model="tox", score=0.1, label="toxicity")
    MessageEmbedding.objects.create(message=reply, model="emb", embedding=[0.1, 0.2, 0.3])
    task = Task.objects.create(
        payload_type="RankAssistantRepliesPayload",
        payload=wrap("RankAssistantRepliesPayload", {"replies": ["Rayleigh scattering."]}),
        api_client=client,
        user=user,
        frontend_message_id=f"fm-task-{n}",
        message_tree_id=root_id,
        parent_message_id=root_id,
        ack=True,
        done=True,
    )
    MessageReaction.objects.create(
        task=task,
        user=user,
        payload_type="RankingReactionPayload",
        payload=wrap("RankingReactionPayload", {"ranking": [0]}),
        api_client=client,
        message_id=root_id,
    )
    TextLabels.objects.create(
        user=user, api_client=client, message=reply, labels={"spam": 0.0}, text="fine"
    )
    journal_append(
        event_type="text_reply_to_message",
        payload_type="TextReplyEvent",
        fields={"length": 20},
        user_id=user.id,
        message_id=reply.id,
        api_client_id=client.id,
    )
    UserStats.objects.create(time_frame=TimeFrame.TOTAL, user=user, rank=n + 1, leader_score=10)
    TrollStats.objects.create(time_frame=TimeFrame.TOTAL, user=user, rank=n + 1, troll_score=1)
    CachedStats.objects.create(name=list(CachedStatsName)[n], stats={"en": n})
    UserStatsDirty.objects.create(user=user)
    return World(client, user, identity, account, root, reply, tree, task)


def _url(model: type[Model], view: str, *args: Any) -> str:
    """An admin URL; the admin quotes primary keys in URLs (`_` becomes `_5F`)."""
    opts = model._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[quote(arg) for arg in args]
    )


def _messages(response: _MonkeyPatchedWSGIResponse) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


# --- Every page renders --------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_model_is_registered(model: type[Model]) -> None:
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_changelist_lists_the_rows(admin_client: Client, model: type[Model]) -> None:
    # given
    build_world(0)
    build_world(1)
    rows = list(model._default_manager.all())
    assert len(rows) >= 2
    # when
    response = admin_client.get(_url(model, "changelist"))
    # then
    assert response.status_code == 200
    content = response.content.decode()
    for row in rows:
        assert _url(model, "change", row.pk) in content


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_change_page_renders(admin_client: Client, model: type[Model]) -> None:
    build_world()
    row = model._default_manager.order_by("pk").last()
    assert row is not None

    response = admin_client.get(_url(model, "change", row.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client: Client, model: type[Model]
) -> None:
    """No N+1: one more row of everything costs no extra query on any changelist."""
    build_world(0)
    url = _url(model, "changelist")
    admin_client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    build_world(1)
    build_world(2)
    with CaptureQueriesContext(connection) as more:
        assert admin_client.get(url).status_code == 200
    assert len(more) == len(few), [q["sql"] for q in more.captured_queries]


def test_message_page_shows_the_text_escaped(admin_client: Client) -> None:
    world = build_world()

    response = admin_client.get(_url(Message, "change", world.root.pk))

    content = response.content.decode()
    assert "Why is the sky blue? (0) &lt;b&gt;bold?&lt;/b&gt;" in content
    assert "<b>bold?</b>" not in content


def test_contributor_page_shows_every_identity(admin_client: Client) -> None:
    world = build_world()

    response = admin_client.get(_url(User, "change", world.user.pk))

    content = response.content.decode()
    assert "local-u0" in content
    assert _url(UserIdentity, "change", world.identity.pk) in content


def test_account_page_links_the_contributor(admin_client: Client) -> None:
    world = build_world()

    response = admin_client.get(_url(Account, "changelist"))

    assert _url(User, "change", world.user.pk) in response.content.decode()


def test_account_can_be_added(admin_client: Client) -> None:
    response = admin_client.post(
        _url(Account, "add"),
        {
            "username": "moderator",
            "usable_password": "true",
            "password1": "a long pass phrase 91",
            "password2": "a long pass phrase 91",
        },
    )

    assert response.status_code == 302
    assert Account.objects.get(username="moderator").check_password("a long pass phrase 91")


# --- Search and filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        (User, "local-u1", "user"),  # any identity's username
        (User, "Volunteer 1", "user"),
        (Message, "fm-reply-1", "reply"),
        (Task, "fm-task-1", "task"),
    ],
)
def test_search_by_text(admin_client: Client, model: type[Model], term: str, expected: str) -> None:
    other = build_world(0)
    world = build_world(1)

    response = admin_client.get(_url(model, "changelist"), {"q": term})

    content = response.content.decode()
    assert _url(model, "change", getattr(world, expected).pk) in content
    assert _url(model, "change", getattr(other, expected).pk) not in content


def test_message_search_by_tree_id_finds_the_whole_tree(admin_client: Client) -> None:
    other = build_world(0)
    world = build_world(1)

    response = admin_client.get(_url(Message, "changelist"), {"q": str(world.root.pk)})

    content = response.content.decode()
    assert _url(Message, "change", world.root.pk) in content
    assert _url(Message, "change", world.reply.pk) in content
    assert _url(Message, "change", other.root.pk) not in content


@pytest.mark.parametrize("model", [*READ_ONLY, User, ApiClient], ids=lambda m: m.__name__)
def test_search_by_id_or_junk_does_not_fail(admin_client: Client, model: type[Model]) -> None:
    world = build_world()

    for term in (str(world.user.pk), world.user.pk.hex, "not-an-id", "'quoted'"):
        response = admin_client.get(_url(model, "changelist"), {"q": term})
        assert response.status_code == 200, term


def test_contributor_links_filter_messages_by_author_and_tree(admin_client: Client) -> None:
    other = build_world(0)
    world = build_world(1)

    by_author = admin_client.get(_url(Message, "changelist"), {"user": str(world.user.pk)})
    by_tree = admin_client.get(_url(Message, "changelist"), {"message_tree_id": str(world.root.pk)})

    for response in (by_author, by_tree):
        content = response.content.decode()
        assert _url(Message, "change", world.reply.pk) in content
        assert _url(Message, "change", other.reply.pk) not in content


def test_message_language_filter(admin_client: Client) -> None:
    other = build_world(0)
    world = build_world(1)
    Message.objects.filter(message_tree_id=world.root.pk).update(lang="de")
    MessageTreeState.objects.filter(pk=world.tree.pk).update(lang="de")

    response = admin_client.get(_url(Message, "changelist"), {"lang": "de"})

    content = response.content.decode()
    assert "?lang=de" in content  # offered as a choice
    assert _url(Message, "change", world.reply.pk) in content
    assert _url(Message, "change", other.reply.pk) not in content


def test_admin_index_lists_the_apps(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    for model in REGISTERED:
        assert _url(model, "changelist") in response.content.decode()


# --- Read-only stays read-only ---------------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_models_cannot_be_added(admin_client: Client, model: type[Model]) -> None:
    response = admin_client.get(_url(model, "add"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_models_cannot_be_changed_or_deleted(
    admin_client: Client, model: type[Model]
) -> None:
    build_world()
    row = model._default_manager.order_by("pk").first()
    assert row is not None

    change = admin_client.post(_url(model, "change", row.pk), {})
    delete = admin_client.post(_url(model, "delete", row.pk), {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()


def test_tree_state_page_has_no_form_to_edit_the_state(admin_client: Client) -> None:
    world = build_world()

    response = admin_client.get(_url(MessageTreeState, "change", world.tree.pk))

    content = response.content.decode()
    assert 'name="state"' not in content
    assert "Growing" in content


def test_contributors_cannot_be_added_or_deleted(admin_client: Client) -> None:
    world = build_world()

    assert admin_client.get(_url(User, "add")).status_code == 403
    assert (
        admin_client.post(_url(User, "delete", world.user.pk), {"post": "yes"}).status_code == 403
    )


def test_contributor_notes_are_editable_but_not_the_rest(admin_client: Client) -> None:
    # given
    world = build_world()
    identities = list(world.user.identities.all())
    prefix = "identities"
    data = {
        "notes": "watch this one",
        "display_name": "Renamed",
        # "enabled" and "show_on_leaderboard" unchecked: they must not change here.
        f"{prefix}-TOTAL_FORMS": str(len(identities)),
        f"{prefix}-INITIAL_FORMS": str(len(identities)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, identity in enumerate(identities):
        data[f"{prefix}-{i}-id"] = str(identity.pk)
        data[f"{prefix}-{i}-user"] = str(world.user.pk)
    # when
    response = admin_client.post(_url(User, "change", world.user.pk), data)
    # then
    assert response.status_code == 302
    world.user.refresh_from_db()
    assert world.user.notes == "watch this one"
    assert world.user.display_name == "Volunteer 0"
    assert world.user.enabled is True
    assert world.user.show_on_leaderboard is True
    assert world.user.identities.count() == 2


# --- API clients (MOD-22) --------------------------------------------------------------------


def test_adding_an_api_client_goes_through_the_service_and_shows_the_key_once(
    admin_client: Client,
) -> None:
    # when
    response = admin_client.post(
        _url(ApiClient, "add"),
        {
            "description": "Discord bot",
            "trusted": "on",
            "frontend_type": "discord",
            "admin_email": "ops@example.org",
        },
    )
    # then: exactly one client, storing only the hash of the key
    assert response.status_code == 302
    client = ApiClient.objects.get()
    assert (client.description, client.trusted, client.frontend_type) == (
        "Discord bot",
        True,
        "discord",
    )
    assert client.admin_email == "ops@example.org"
    assert response["Location"] == _url(ApiClient, "changelist")
    # and the key is in exactly one message, a warning that it is shown once
    shown = _messages(response)
    keys = [key for _level, text in shown for key in KEY_RE.findall(text)]
    assert len(keys) == 1
    key = keys[0]
    assert client.key_hash != key
    assert client.key_hash == api_key_hash(key)
    assert client.key_prefix == key[:8]
    assert api_client_get_by_key(key=key) == client
    [(level, text)] = [(lvl, txt) for lvl, txt in shown if key in txt]
    assert level == messages.WARNING
    assert "only" in text
    assert "once" in text
    # and it is not kept anywhere the admin logs
    assert not any(key in (e.change_message + e.object_repr) for e in LogEntry.objects.all())


def test_the_key_is_displayed_on_the_next_page_and_never_again(admin_client: Client) -> None:
    response = admin_client.post(
        _url(ApiClient, "add"), {"description": "Importer", "frontend_type": "import"}, follow=True
    )

    keys = KEY_RE.findall(response.content.decode())
    assert len(keys) == 1
    assert keys[0] not in admin_client.get(_url(ApiClient, "changelist")).content.decode()
    client = ApiClient.objects.get()
    assert keys[0] not in admin_client.get(_url(ApiClient, "change", client.pk)).content.decode()


def test_the_add_form_offers_no_key_fields(admin_client: Client) -> None:
    content = admin_client.get(_url(ApiClient, "add")).content.decode()

    assert 'name="description"' in content
    assert 'name="key_hash"' not in content
    assert 'name="key_prefix"' not in content


def test_change_form_never_edits_the_key(admin_client: Client) -> None:
    client, _key = api_client_create(description="Website")
    before = (client.key_hash, client.key_prefix)

    response = admin_client.post(
        _url(ApiClient, "change", client.pk),
        {
            "description": "Website (new)",
            "enabled": "on",
            "key_hash": "0" * 64,
            "key_prefix": "00000000",
        },
    )

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.description == "Website (new)"
    assert (client.key_hash, client.key_prefix) == before


def test_rotate_action_gives_each_client_a_new_key_shown_once(admin_client: Client) -> None:
    # given
    first, first_key = api_client_create(description="First")
    second, second_key = api_client_create(description="Second")
    old_hashes = {first.pk: first.key_hash, second.pk: second.key_hash}
    # when
    response = admin_client.post(
        _url(ApiClient, "changelist"),
        {"action": "generate_new_keys", "_selected_action": [str(first.pk), str(second.pk)]},
    )
    # then
    assert response.status_code == 302
    shown = _messages(response)
    keys = [key for _level, text in shown for key in KEY_RE.findall(text)]
    assert len(keys) == 2
    assert all(level == messages.WARNING for level, text in shown if KEY_RE.search(text))
    for client in (first, second):
        client.refresh_from_db()
        assert client.key_hash != old_hashes[client.pk]
        [new_key] = [key for key in keys if api_key_hash(key) == client.key_hash]
        assert api_client_get_by_key(key=new_key) == client
    assert api_client_get_by_key(key=first_key) is None
    assert api_client_get_by_key(key=second_key) is None
    assert not any(
        key in (e.change_message + e.object_repr) for e in LogEntry.objects.all() for key in keys
    )


@pytest.mark.parametrize(
    ("action", "field", "start", "end"),
    [
        ("enable_clients", "enabled", False, True),
        ("disable_clients", "enabled", True, False),
        ("make_trusted", "trusted", False, True),
        ("make_untrusted", "trusted", True, False),
    ],
)
def test_flag_actions(
    admin_client: Client, action: str, field: str, start: bool, end: bool
) -> None:
    client, _key = api_client_create(description="Bot")
    other, _other_key = api_client_create(description="Other")
    ApiClient.objects.update(**{field: start})

    response = admin_client.post(
        _url(ApiClient, "changelist"), {"action": action, "_selected_action": [str(client.pk)]}
    )

    assert response.status_code == 302
    client.refresh_from_db()
    other.refresh_from_db()
    assert getattr(client, field) is end
    assert getattr(other, field) is start


def test_api_clients_cannot_be_deleted(admin_client: Client) -> None:
    client, _key = api_client_create(description="Bot")

    response = admin_client.post(_url(ApiClient, "delete", client.pk), {"post": "yes"})

    assert response.status_code == 403
    assert ApiClient.objects.filter(pk=client.pk).exists()
