from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "jiceng.command"
    label = "command"
    verbose_name = _("指挥中心")
    nav_items = [
        (_("指挥中心"), "command:wall", "command.wall"),
        (_("负荷地图"), "command:map", "command.wall"),
        (_("大屏"), "command:screen", "command.wall"),
        (_("上岗巡查"), "command:field", "command.duty"),
        (_("在岗情况"), "command:supervise", "command.field"),
        (_("通知指令"), "command:notices", "cases.view"),
    ]

    def ready(self) -> None:
        from jiceng.cases.services import case_changed
        from jiceng.command.rollup import on_case_changed

        # Rollups and the live feed follow every committed move (sent after commit).
        case_changed.connect(on_case_changed, dispatch_uid="command.on_case_changed")
        from jiceng.cases.services import cases_changed
        from jiceng.command.rollup import on_cases_changed

        cases_changed.connect(on_cases_changed, dispatch_uid="command.on_cases_changed")
