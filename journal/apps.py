from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = "Journal"

    def ready(self) -> None:
        from journal import receivers
        from tasks import signals as task_signals
        from trees.signals import emoji_changed, tree_settings_changed, tree_state_changed
        from users.signals import api_client_changed, user_created, user_updated

        tree_settings_changed.connect(
            receivers.record_tree_settings_changed, dispatch_uid="journal.tree_settings_changed"
        )
        tree_state_changed.connect(
            receivers.record_tree_state_changed, dispatch_uid="journal.tree_state_changed"
        )
        api_client_changed.connect(
            receivers.record_api_client_changed, dispatch_uid="journal.api_client_changed"
        )
        emoji_changed.connect(receivers.record_emoji_changed, dispatch_uid="journal.emoji")
        user_created.connect(receivers.record_user_created, dispatch_uid="journal.user_created")
        user_updated.connect(receivers.record_user_updated, dispatch_uid="journal.user_updated")
        for name in (
            "text_reply_stored",
            "ranking_stored",
            "rating_stored",
            "labels_stored",
            "task_skipped",
        ):
            getattr(task_signals, name).connect(
                getattr(receivers, f"record_{name}"), dispatch_uid=f"journal.{name}"
            )
