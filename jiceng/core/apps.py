from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Platform-wide commands: demo, serve, create-token."""

    name = "jiceng.core"
    label = "core"
    verbose_name = "平台"
