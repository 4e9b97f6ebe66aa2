from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = "Journal"

    def ready(self) -> None:
        from journal import receivers
        from trees.signals import tree_settings_changed

        tree_settings_changed.connect(
            receivers.record_tree_settings_changed, dispatch_uid="journal.tree_settings_changed"
        )
