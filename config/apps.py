from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers the project package as an app so its management commands are found."""

    name = "config"
    verbose_name = "Platform"
