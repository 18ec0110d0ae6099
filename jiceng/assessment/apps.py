from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jiceng.assessment"
    label = "assessment"
    verbose_name = "考核"
    nav_items = [
        ("考核排名", "assessment:rankings", "assessment.view"),
        ("网格积分", "assessment:scorecards", "assessment.score_view"),
        ("考核指标", "assessment:metrics", "assessment.view"),
    ]

    def ready(self) -> None:
        from jiceng.assessment.facts import on_case_changed
        from jiceng.cases.services import case_changed

        # a case's facts follow its moves (after commit); rollups are rebuilt lazily
        case_changed.connect(on_case_changed, dispatch_uid="assessment.facts")
        from jiceng.assessment.facts import on_cases_changed
        from jiceng.cases.services import cases_changed

        cases_changed.connect(on_cases_changed, dispatch_uid="assessment.facts.batch")
