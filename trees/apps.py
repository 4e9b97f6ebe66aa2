from django.apps import AppConfig


class TreesConfig(AppConfig):
    name = "trees"
    verbose_name = "Messages and trees"

    def ready(self) -> None:
        from tasks.signals import labels_stored, text_reply_stored
        from trees.external import receivers

        # TREE-74: external calls are queued after commit of the storing transaction.
        text_reply_stored.connect(
            receivers.queue_message_analysis, dispatch_uid="trees.external.message_analysis"
        )
        labels_stored.connect(
            receivers.queue_report_notification, dispatch_uid="trees.external.report"
        )
