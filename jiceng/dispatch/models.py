"""What the operator did with the suggestions (issue 16 item 3): one row per case taken in
with suggestions on screen, written in the intake transaction by
`services.record_suggestion` — a dispatch-owned table keyed by the case (no column on cases).

- `suggested`: the first-level categories shown, best first (at most three, as shown);
- `rank`: 1–3 when the category the operator filed is (under) the suggestion of that rank,
  None when it is none of them — the acceptance figure counts rank ≠ None;
- `picked`: True when the operator clicked a suggestion, False when they chose by hand
  after seeing them, None when the client did not say (API without the flag).
"""

from __future__ import annotations

from django.db import models


class SuggestionOutcome(models.Model):
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dispatch_outcome",
        verbose_name="案件",
    )
    created_at = models.DateTimeField("受理时间", db_index=True)
    channel = models.CharField("渠道", max_length=20)
    suggested = models.JSONField("建议分类（依次）", default=list)
    category_path = models.CharField("受理时分类", max_length=200, blank=True)
    rank = models.PositiveSmallIntegerField("采纳名次", null=True, blank=True)
    picked = models.BooleanField("点选建议", null=True, blank=True)

    class Meta:
        verbose_name = "分类建议采纳记录"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rank or '-'}"
