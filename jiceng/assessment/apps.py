from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "jiceng.assessment"
    label = "assessment"
    verbose_name = _("考核")
    nav_items = [
        (_("考核排名"), "assessment:rankings", "assessment.view"),
        (_("网格积分"), "assessment:scorecards", "assessment.score_view"),
        (_("考核指标"), "assessment:metrics", "assessment.view"),
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from jiceng.accounts.models import Unit
        from jiceng.assessment.facts import on_case_written, on_cases_changed
        from jiceng.assessment.rankings import forget_names
        from jiceng.cases.services import case_written, cases_changed
        from jiceng.territory.models import Region

        # a case's facts follow its moves (a mark in the move's own transaction); rollups
        # are rebuilt lazily. The worker's batches come as one `cases_changed` after commit.
        case_written.connect(on_case_written, dispatch_uid="assessment.facts")
        cases_changed.connect(on_cases_changed, dispatch_uid="assessment.facts.batch")
        from jiceng.assessment.facts import on_worker_pass
        from jiceng.cases.worker import worker_pass

        # the deadline worker keeps the clock facts (overdue, missed visits) current
        worker_pass.connect(on_worker_pass, dispatch_uid="assessment.clock")
        for model in (Region, Unit):  # ranking names are cached for a minute per process
            post_save.connect(forget_names, sender=model, dispatch_uid=f"assessment.{model}")
            post_delete.connect(forget_names, sender=model, dispatch_uid=f"assessment.d{model}")
