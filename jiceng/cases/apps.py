from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "jiceng.cases"
    label = "cases"
    verbose_name = "诉求办理"
    nav_items = [
        ("诉求办理", "cases:queue", "cases.view"),
        ("我要反映", "cases:report", "cases.report"),
        ("一键报警", "cases:alarm", "cases.alarm"),
        ("热线受理", "cases:hotline", "cases.hotline"),
        ("调度台", "cases:board", "cases.board"),
        ("部门收件箱", "cases:inbox", "cases.inbox"),
        ("超期督办", "cases:overdue", "cases.overdue"),
        ("工作日历", "cases:calendar", "cases.calendar"),
        ("派单规则", "cases:rules", "cases.rules"),
        ("通知发送", "cases:outbox", "cases.outbox"),
    ]

    def ready(self) -> None:
        from jiceng.cases.visit_handover import on_visit_needs_case
        from jiceng.people.signals import visit_needs_case

        # A household visit marked 需转为事件办理 becomes a grid case (cases/visit_handover.py).
        visit_needs_case.connect(on_visit_needs_case, dispatch_uid="cases.visit_needs_case")
