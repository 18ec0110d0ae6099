"""Assessment (考核): metrics as data, the facts of each case, daily rollups, published
periods, two-way ratings, grid scorecards and export jobs.

Everything a person enters here is append-only (changes of a metric, exclusion marks,
corrections of a period, manual score items): a later row supersedes an earlier one, no
row is edited. `CaseFact` and `DailyRollup` are derived tables, rebuilt from the case
loop by `facts.py` / `rollup.py` whenever a case moves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop as _

from jiceng.territory.fields import CodeField

# The named counts a formula may use (facts.py fills them; rollup.py sums them).
# (name, Chinese label, how it is counted) — the single list behind model columns,
# the metric editor and the working pages.
COUNTS: list[tuple[str, Any, Any]] = [
    ("received", _("受理数"), _("期内受理的有效诉求（不含作废、并单、拆分）")),
    ("dispatched", _("派遣数"), _("已派单的诉求")),
    ("responded", _("响应数"), _("受理后 24 小时内（特急 2 小时内）首次响应")),
    ("rated", _("参评数"), _("有回访满意度评价")),
    ("satisfied", _("满意数"), _("评价为满意")),
    ("basic", _("基本满意数"), _("评价为基本满意")),
    ("unsatisfied", _("不满意数"), _("评价为不满意")),
    ("resolve_rated", _("解决评价数"), _("回访中答复了是否解决")),
    ("resolved", _("解决数"), _("回访答复已解决")),
    ("closed", _("结案数"), _("已结案或已归档")),
    ("due", _("应结案数"), _("已结案、已过期限或缓办中的诉求")),
    ("on_time", _("按期结案数"), _("在期限内结案")),
    ("paused", _("缓办数"), _("当前处于缓办中（已批准）")),
    ("reworked", _("返工数"), _("被退回重办或结案后重新办理过")),
    ("extended", _("延期数"), _("期限因批准缓办而延长过")),
    ("in_time", _("及时处置数"), _("在期限内反馈处理结果（含网格就地办结）")),
    ("returned", _("退单数"), _("被承办单位退回过")),
    ("overdue", _("超期数"), _("超过期限才结案，或仍未结案且已过期限")),
    ("closed_t1", _("网格结案数"), _("在网格层级结案（小事不出网格）")),
    ("closed_t2", _("村社区结案数"), _("在社区/村层级结案（大事不出村组）")),
    ("closed_t3", _("街镇结案数"), _("在街镇层级结案")),
    ("closed_t4", _("区县结案数"), _("在区县层级结案")),
    ("hours_sum", _("办理工作小时合计"), _("受理至结案的工作时间（工作日历）")),
    ("hours_n", _("计时结案数"), _("计入办理时长的结案数")),
    ("missed_visit", _("漏回访数"), _("结案后回访期限已过仍未回访")),
    ("calls", _("吹哨召集数"), _("部门被街镇吹哨召集的次数")),
    ("calls_on_time", _("按时报到数"), _("在召集期限内报到")),
    ("calls_rating_sum", _("报到评分合计"), _("街镇对部门报到的评分（1–5）之和")),
    ("calls_rated", _("报到评价数"), _("街镇已评分的报到")),
    ("dispatch_rating_sum", _("派单质量评分合计"), _("部门对街镇派单质量的评分（1–5）之和")),
    ("dispatch_rated", _("派单评价数"), _("部门已评分的派单")),
]
COUNT_NAMES = [c[0] for c in COUNTS]
COUNT_LABELS = {c[0]: c[1] for c in COUNTS}
FLOAT_COUNTS = {"hours_sum"}


class ExclusionReason(models.TextChoices):
    """Why a case does not count (recorded on the case by number)."""

    LITIGATION = "litigation", _("涉诉")
    ARBITRATION = "arbitration", _("仲裁")
    PETITION = "petition", _("信访")
    MALICIOUS = "malicious", _("恶意诉求")
    DUPLICATE = "duplicate", _("重复诉求")
    OUT_OF_SCOPE = "out_of_scope", _("非本级职责")


class Dimension(models.TextChoices):
    STREET = "street", _("街道/乡镇")
    VILLAGE = "village", _("社区/村")
    DEPARTMENT = "department", _("职能部门")
    GRID_WORKER = "grid_worker", _("网格员")


class Counts(models.Model):
    """The named counts (one column each, see COUNTS)."""

    received = models.IntegerField("受理数", default=0)
    dispatched = models.IntegerField("派遣数", default=0)
    responded = models.IntegerField("响应数", default=0)
    rated = models.IntegerField("参评数", default=0)
    satisfied = models.IntegerField("满意数", default=0)
    basic = models.IntegerField("基本满意数", default=0)
    unsatisfied = models.IntegerField("不满意数", default=0)
    resolve_rated = models.IntegerField("解决评价数", default=0)
    resolved = models.IntegerField("解决数", default=0)
    closed = models.IntegerField("结案数", default=0)
    due = models.IntegerField("应结案数", default=0)
    on_time = models.IntegerField("按期结案数", default=0)
    paused = models.IntegerField("缓办数", default=0)
    reworked = models.IntegerField("返工数", default=0)
    extended = models.IntegerField("延期数", default=0)
    in_time = models.IntegerField("及时处置数", default=0)
    returned = models.IntegerField("退单数", default=0)
    overdue = models.IntegerField("超期数", default=0)
    closed_t1 = models.IntegerField("网格结案数", default=0)
    closed_t2 = models.IntegerField("村社区结案数", default=0)
    closed_t3 = models.IntegerField("街镇结案数", default=0)
    closed_t4 = models.IntegerField("区县结案数", default=0)
    hours_sum = models.FloatField("办理工作小时合计", default=0)
    hours_n = models.IntegerField("计时结案数", default=0)
    missed_visit = models.IntegerField("漏回访数", default=0)
    calls = models.IntegerField("吹哨召集数", default=0)
    calls_on_time = models.IntegerField("按时报到数", default=0)
    calls_rating_sum = models.IntegerField("报到评分合计", default=0)
    calls_rated = models.IntegerField("报到评价数", default=0)
    dispatch_rating_sum = models.IntegerField("派单质量评分合计", default=0)
    dispatch_rated = models.IntegerField("派单评价数", default=0)

    class Meta:
        abstract = True


class Metric(models.Model):
    """A metric: value = scale × Σ(numerator weights × counts) / Σ(denominator weights ×
    counts), or for a composite Σ(weight × component value) / Σ weights."""

    RATIO, COMPOSITE = "ratio", "composite"
    KINDS = [(RATIO, "比率"), (COMPOSITE, "综合得分")]

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=50)
    kind = models.CharField(max_length=12, choices=KINDS, default=RATIO)
    numerator = models.JSONField(default=dict, blank=True, help_text="{count: weight}")
    denominator = models.JSONField(default=dict, blank=True, help_text="{count: weight}")
    components = models.JSONField(default=dict, blank=True, help_text="{metric code: weight}")
    scale = models.FloatField(default=100)
    unit_label = models.CharField(max_length=10, default="%")
    exclusions = models.JSONField(default=list, blank=True, help_text="ExclusionReason codes")
    period = models.CharField(max_length=10, default="month")
    source = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    higher_is_better = models.BooleanField(default=True)
    dimensions = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class MetricChange(models.Model):
    """One edit of a metric's weights or exclusions. Append-only."""

    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    reason = models.CharField(max_length=300)
    before = models.JSONField()
    after = models.JSONField()
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.metric_id} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("metric changes are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("metric changes are never deleted")


class ExclusionMark(models.Model):
    """A reason recorded on a case (by number) that takes it out of the metrics that
    exclude that reason; `removed` rows take an earlier mark back. Append-only."""

    number = models.CharField(max_length=40, db_index=True)
    reason = models.CharField(max_length=20, choices=ExclusionReason.choices)
    removed = models.BooleanField(default=False)
    note = models.CharField(max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.reason}{' 撤销' if self.removed else ''}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("exclusion marks are never edited")
        super().save(*args, **kwargs)


class DispatchRating(models.Model):
    """下对上 the other way: a department rates the dispatch of a case it received
    (right unit, clear instruction, fair limit). Append-only; the latest counts."""

    number = models.CharField(max_length=40, db_index=True)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.rating}"


class CaseFact(Counts):
    """The counts one case contributes (facts.py), with where and when it counts."""

    case_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=40)
    day = models.DateField(db_index=True, help_text="local date of intake (受理日)")
    region_code = CodeField(blank=True)
    street_code = CodeField(blank=True)
    village_code = CodeField(blank=True)
    unit_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=20, blank=True)
    # (unit_id, {count: n}) for report-in calls and dispatch ratings attributed elsewhere
    extra_units = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["day", "street_code"], name="fact_day_street")]

    def __str__(self) -> str:
        return self.number


class DailyRollup(Counts):
    """Σ of CaseFact counts per day (grain "d") or per month (grain "m", day = the 1st).

    Two kinds of row: area rows (unit_id NULL) per region code × exclusion reason, for
    streets, villages and grid workers; unit rows (region_code = the county) per handling
    or summoned unit × reason, for departments. A month row set is small (one per grid
    with cases), so a month or quarter ranking reads a few thousand rows.
    """

    DAY, MONTH = "d", "m"
    grain = models.CharField(max_length=1, default=DAY)
    day = models.DateField()
    region_code = CodeField(blank=True)
    street_code = CodeField(blank=True)
    village_code = CodeField(blank=True)
    unit_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=20, blank=True)
    cases = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["grain", "day"], name="rollup_grain_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_code} {self.unit_id}"


class UnitMonth(Counts):
    """The month rows already summed per unit a ranking ranks (decision 0086): one row per
    month × county × kind of unit × unit with every reason summed (`reason` "*"), and one
    per exclusion reason the unit's cases carry (few). A ranking reads one row a unit and
    subtracts the reason rows its metric excludes, instead of grouping the region rows of
    the month by street, village or grid every time. Kinds: street, village, grid (a
    region code of grid level or below, mapped to its worker's grid when ranked), unit
    (a handling or summoned unit, key = its id). Derived from the month rows of
    DailyRollup by `unit_months.build` whenever they are rebuilt."""

    ALL = "*"
    month = models.DateField()
    county = models.CharField(max_length=6)
    dim = models.CharField(max_length=8)
    key = models.CharField(max_length=40)
    reason = models.CharField(max_length=20)
    cases = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["county", "month", "dim"], name="unitmonth_county_month"),
            # the few exclusion-reason rows, found without reading the all-reasons rows
            models.Index(
                fields=["county", "month", "dim"],
                name="unitmonth_reasons",
                condition=~models.Q(reason="*"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.dim} {self.key} {self.reason}"


class DirtyCase(models.Model):
    """A case that moved since its facts were computed (one row per move; the next
    read of the rankings recomputes and deletes exactly the rows it read)."""

    case_id = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.case_id)


class DirtyDay(models.Model):
    """A day whose rollup must be rebuilt from CaseFact (written when a fact changes)."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)


class ClockPass(models.Model):
    """How far the clock facts are current: the `now` of the worker's last pass (one row).
    The next pass recomputes only the cases whose deadline or return-visit limit fell
    between then and its own `now` (facts.refresh_clock)."""

    upto = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.upto)


class Period(models.Model):
    """A published (frozen) assessment period of a county."""

    KINDS = [
        ("week", "周"),
        ("month", "月"),
        ("quarter", "季度"),
        ("range", "自定义"),
    ]
    county_code = CodeField()
    kind = models.CharField(max_length=10, choices=KINDS)
    start = models.DateField()
    end = models.DateField(help_text="inclusive")
    label = models.CharField(max_length=40)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "start", "end"], name="period_unique")
        ]

    def __str__(self) -> str:
        return self.label


class PeriodVersion(models.Model):
    """The frozen figures of a period: version 1 at publication, each correction appends
    the next version with its reason. Never edited."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="versions")
    n = models.PositiveIntegerField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    reason = models.CharField(max_length=300)
    metrics = models.JSONField(help_text="the metric definitions used")
    rankings = models.JSONField(help_text="{dimension: [row…]}")

    class Meta:
        ordering = ["period", "n"]
        constraints = [models.UniqueConstraint(fields=["period", "n"], name="period_version_n")]

    def __str__(self) -> str:
        return f"{self.period_id} v{self.n}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("published versions are never edited")
        super().save(*args, **kwargs)


class PublishedRow(models.Model):
    """One unit's row of a published version (the same dict as in `PeriodVersion.rankings`),
    stored apart so that a page of a published ranking reads the keys, names and ranks of
    one kind of unit and the rows of its page only — not the version's whole JSON (~80 MB
    at 1 M cases). Written with the version; never edited (decision 0086)."""

    version = models.ForeignKey(
        PeriodVersion, on_delete=models.PROTECT, related_name="published_rows"
    )
    dim = models.CharField(max_length=12)
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    ranks = models.JSONField(default=dict)
    row = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["version", "dim"], name="published_row_version_dim")]

    def __str__(self) -> str:
        return f"{self.version_id} {self.dim} {self.key}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("published rows are never edited")
        super().save(*args, **kwargs)


class FrozenFact(Counts):
    """A copy of one case's facts as they stood when a period version was frozen."""

    version = models.ForeignKey(PeriodVersion, on_delete=models.PROTECT, related_name="facts")
    case_id = models.BigIntegerField()
    number = models.CharField(max_length=40)
    day = models.DateField()
    region_code = CodeField(blank=True)
    street_code = CodeField(blank=True)
    village_code = CodeField(blank=True)
    unit_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=20, blank=True)
    extra_units = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["version", "street_code"], name="frozen_version_street")]

    def __str__(self) -> str:
        return f"{self.version_id} {self.number}"


class ScoreItem(models.Model):
    """One line of a grid's 四张清单 (漕泾): points per occurrence of a case fact
    (deduction) or a manual item entered with evidence and approved."""

    LISTS = [
        ("procedure", "程序清单"),
        ("duty", "责任清单"),
        ("system", "制度清单"),
        ("assessment", "考核清单"),
    ]
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    list = models.CharField(max_length=12, choices=LISTS)
    points = models.FloatField(help_text="per occurrence; negative = deduction")
    fact = models.CharField(max_length=30, blank=True, help_text="a count name; empty: manual")
    cap = models.FloatField(null=True, blank=True, help_text="most points (absolute) per month")
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["list", "order", "code"]

    def __str__(self) -> str:
        return self.name


class ManualScore(models.Model):
    """A manual scorecard entry for a grid and month, with evidence; it counts once a
    second person approves it. Append-only (approval is a separate row)."""

    grid_code = CodeField()
    month = models.DateField(help_text="first day of the month")
    item = models.ForeignKey(ScoreItem, on_delete=models.PROTECT)
    times = models.FloatField(default=1)
    evidence = models.CharField(max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["month", "grid_code", "id"]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.month} {self.item_id}"


class ManualScoreApproval(models.Model):
    entry = models.OneToOneField(ManualScore, on_delete=models.PROTECT, related_name="approval")
    approved = models.BooleanField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.entry_id} {self.approved}"


class ExportJob(models.Model):
    """A background export: claimed by one thread (state row), progress, file when ready."""

    PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
    STATES = [(PENDING, "排队中"), (RUNNING, "生成中"), (DONE, "已完成"), (FAILED, "失败")]
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fmt = models.CharField(max_length=5)  # xlsx, pdf
    params = models.JSONField()
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.fmt} {self.state}"
