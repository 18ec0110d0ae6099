from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "jiceng.community"
    label = "community"
    verbose_name = _("村务与自治")
    nav_items = [
        (_("村务公开"), "community:index", "community.view"),
        (_("我的村"), "community:index", "community.resident"),
        (_("留言"), "community:inbox", "community.reply"),
        (_("矛盾调处"), "community:disputes", "community.mediate"),
        (_("调处成效"), "community:mediation_stats", "community.mediation_stats"),
    ]
