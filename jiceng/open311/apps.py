from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "jiceng.open311"
    label = "open311"
    verbose_name = _("Open311 接口")
    nav_items = [(_("Open311 密钥"), "open311:keys", "open311.keys")]
