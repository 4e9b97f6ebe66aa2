from django.apps import AppConfig


class SharedProtocolConfig(AppConfig):
    name = "shared_protocol"
    verbose_name = "Shared protocol"
