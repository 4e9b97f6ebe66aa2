from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = "Journal"

    def ready(self) -> None:
        from journal import receivers
        from trees.signals import tree_settings_changed
        from users.signals import api_client_changed

        tree_settings_changed.connect(
            receivers.record_tree_settings_changed, dispatch_uid="journal.tree_settings_changed"
        )
        api_client_changed.connect(
            receivers.record_api_client_changed, dispatch_uid="journal.api_client_changed"
        )
