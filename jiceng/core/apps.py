from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Platform-wide commands: demo, serve, create-token."""

    name = "jiceng.core"
    label = "core"
    verbose_name = _("平台")
