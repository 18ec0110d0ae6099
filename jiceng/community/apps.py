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

    def ready(self) -> None:
        from jiceng.cases.worker import worker_pass
        from jiceng.community.watch import on_worker_pass

        # `jiceng worker` tells the towns of overdue resident messages (issue 15 item 2)
        worker_pass.connect(on_worker_pass, dispatch_uid="community.watch")
