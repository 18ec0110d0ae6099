from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicehallConfig(AppConfig):
    name = "jiceng.servicehall"
    label = "servicehall"
    verbose_name = _("便民服务")
    nav_items = [
        (_("窗口受理"), "servicehall:desk", "servicehall.intake"),
        (_("代办"), "servicehall:agent", "servicehall.proxy"),
        (_("便民服务统计"), "servicehall:board", "servicehall.view"),
        (_("办事指南"), "servicehall:guide", "servicehall.view"),
    ]

    def ready(self) -> None:
        from jiceng.cases.worker import worker_pass
        from jiceng.servicehall.watch import on_worker_pass

        # `jiceng worker` watches the service hall's time limits too (issue 14 item 3)
        worker_pass.connect(on_worker_pass, dispatch_uid="servicehall.watch")
