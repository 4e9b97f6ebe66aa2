from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users and API clients"
    default_auto_field = "django.db.models.BigAutoField"
