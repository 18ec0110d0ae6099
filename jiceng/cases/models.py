"""Cases (诉求/工单) and everything the loop keeps about them.

State is changed only by `jiceng.cases.services` (one entry point, see workflow.py for
the table). History (`CaseEvent`) is append-only; the case row carries denormalised
current-state columns (status, unit, tier, deadline, card) so that queues and the
worker are plain indexed queries.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from jiceng.cases.workflow import OPEN_STATES, WATCHED_STATES, public_status
from jiceng.cases.workflow import Status as Status  # re-exported: the states live there
from jiceng.territory.fields import CodeField


class Channel(models.TextChoices):
    HOTLINE = "hotline", gettext_noop("12345热线")
    WEB = "web", gettext_noop("网站")
    APP = "app", gettext_noop("手机应用")
    WECHAT = "wechat", gettext_noop("微信")
    GRID = "grid", gettext_noop("网格员上报")
    ALARM = "alarm", gettext_noop("一键报警")
    TRANSFER = "transfer", gettext_noop("部门转办")
    API = "api", gettext_noop("接口")
    OPEN311 = "open311", "Open311"


class RequestType(models.TextChoices):
    ENQUIRY = "enquiry", gettext_noop("咨询")
    HELP = "help", gettext_noop("求助")
    COMPLAINT = "complaint", gettext_noop("投诉")
    REPORT = "report", gettext_noop("举报")
    SUGGESTION = "suggestion", gettext_noop("建议")


class Urgency(models.IntegerChoices):
    NORMAL = 1, gettext_noop("一般")
    URGENT = 2, gettext_noop("紧急")
    CRITICAL = 3, gettext_noop("特急")


class Tier(models.IntegerChoices):
    """The four loops (迎泽): who owns, dispatches and verifies a case."""

    GRID = 1, gettext_noop("网格")
    COMMUNITY = 2, gettext_noop("社区/村")
    STREET = 3, gettext_noop("街镇")
    DISTRICT = 4, gettext_noop("区县")


class Card(models.TextChoices):
    NONE = "", gettext_noop("正常")
    YELLOW = "yellow", gettext_noop("黄牌")
    RED = "red", gettext_noop("红牌")


class LimitUnit(models.TextChoices):
    HOURS = "hours", gettext_noop("小时")
    DAYS = "days", gettext_noop("自然日")
    WORK_HOURS = "work_hours", gettext_noop("工作小时")
    WORKDAYS = "workdays", gettext_noop("工作日")


class Category(models.Model):
    """A node of the matter tree; limits and handling unit inherit down the tree."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=1)
    path = models.CharField(max_length=300, blank=True, help_text="一级/二级/三级")
    handling_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="default handling unit when no dispatch rule matches",
    )
    limit_amount = models.FloatField(null=True, blank=True)
    limit_unit = models.CharField(max_length=12, choices=LimitUnit.choices, blank=True)
    urgent_limit_amount = models.FloatField(null=True, blank=True)
    urgent_limit_unit = models.CharField(max_length=12, choices=LimitUnit.choices, blank=True)
    grid_can_fix = models.BooleanField(
        default=False, help_text="a grid worker may close it on the spot"
    )
    # Per-category extra attributes (Open311 service definition):
    # [{code, label, datatype, required, order, values:[{key,name}], description}]
    extra_fields = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=300, blank=True)
    keywords = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"

    def __str__(self) -> str:
        return self.path or self.name

    def lineage(self) -> list[Category]:
        """This node and its ancestors, nearest first."""
        out: list[Category] = []
        node: Category | None = self
        while node is not None and len(out) < 10:
            out.append(node)
            node = node.parent
        return out


class DispatchRule(models.Model):
    """Category × territory → lead unit (+ helpers). The most specific rule wins."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="dispatch_rules", null=True, blank=True
    )
    region_prefix = CodeField(blank=True, help_text="empty: the whole county")
    lead_unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    helper_units = models.ManyToManyField("accounts.Unit", blank=True, related_name="+")
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "派单规则"
        verbose_name_plural = "派单规则"

    def __str__(self) -> str:
        return f"{self.category} @{self.region_prefix or '*'} → {self.lead_unit}"


class CaseCounter(models.Model):
    """The daily serial of case numbers per county (locked row, no gaps from races)."""

    prefix = models.CharField(max_length=30, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.prefix


class IntakeKey(models.Model):
    """One submission = one case, whichever path it came by (issue 17 item 4): the form's
    hidden token on pages, the `Idempotency-Key` header on the API. `key` is
    "<path>:<user id>:<token>"; a repeat of the key returns the case of the first
    (intake.once)."""

    key = models.CharField(max_length=120, unique=True)
    case = models.ForeignKey("Case", null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class Case(models.Model):
    number = models.CharField("编号", max_length=40, unique=True)
    # no LIKE on channel, phone, external ref or status: plain b-trees in Meta, not Django's
    # extra `_like` pattern indexes every card update would also write (0079)
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    request_type = models.CharField("诉求类型", max_length=20, choices=RequestType.choices)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # (category, created_at) below
    )
    title = models.CharField("标题", max_length=120)
    description = models.TextField("内容")
    urgency = models.PositiveSmallIntegerField(
        "紧急程度", choices=Urgency.choices, default=Urgency.NORMAL
    )
    # Location: WGS-84 (GCJ-02 input is converted at intake).
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    # The address is the reporter's home (a household visit, a caller's own flat): personal
    # data, masked like the phone (cases/privacy.py). Otherwise it is where the problem is.
    home_address = models.BooleanField("地址为住址", default=False)
    # indexed by (region_code, status) below: a subtree is a prefix of that index
    region_code = CodeField("所在网格/区划", blank=True)
    # Reporter: a user, or anonymous with a phone.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,  # partial, below (0090)
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField("诉求人", max_length=50, blank=True)
    reporter_phone = models.CharField("联系电话", max_length=20, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="operator or grid worker who took it in",
    )
    external_ref = models.CharField(max_length=100, blank=True)
    media = models.JSONField(default=list, blank=True, help_text="media URLs")
    extra = models.JSONField(default=dict, blank=True, help_text="category extra attributes")

    # Current state (denormalised from the events; changed only by services).
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.REPORTED
    )
    tier = models.PositiveSmallIntegerField("层级", choices=Tier.choices, default=Tier.STREET)
    owner_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        help_text="the centre that dispatches and verifies (街镇/社区/区县)",
    )
    unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        db_index=False,  # (unit, status) below
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="current lead handling unit (主办)",
    )
    public_note = models.TextField("公开办理说明", blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        db_index=False,  # partial, below (0090)
        on_delete=models.PROTECT,
        related_name="parts",
    )

    # Deadlines: stored, indexed; lateness is a query.
    deadline = models.DateTimeField("办结期限", null=True, blank=True)
    yellow_at = models.DateTimeField("黄牌时间", null=True, blank=True)
    card = models.CharField(max_length=10, choices=Card.choices, default=Card.NONE, blank=True)
    calendar_missing = models.BooleanField(
        default=False, help_text="deadline computed without holiday data for its year"
    )
    supervised_tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, null=True, blank=True, help_text="督办 by this tier"
    )
    remind_count = models.PositiveSmallIntegerField(default=0)
    visit_due_at = models.DateTimeField(null=True, blank=True)  # partial index below

    # Facts for 三率 and assessment.
    created_at = models.DateTimeField("受理时间", db_index=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    closed_on_spot = models.BooleanField(default=False)
    closed_on_time = models.BooleanField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    escalate_count = models.PositiveSmallIntegerField(default=0)
    paused_days = models.FloatField(default=0)
    satisfaction = models.CharField(max_length=20, blank=True)
    resolved = models.BooleanField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        indexes = [
            # the worker: due rows only — partial, so a pass with nothing due reads an
            # empty range instead of scanning the status index and sorting (0079)
            models.Index(
                fields=["yellow_at"],
                condition=models.Q(card="", status__in=sorted(WATCHED_STATES)),
                name="case_yellow_todo",
            ),
            models.Index(
                fields=["deadline"],
                condition=models.Q(card__in=["", "yellow"], status__in=sorted(WATCHED_STATES)),
                name="case_red_todo",
            ),
            models.Index(
                fields=["id"],
                condition=models.Q(calendar_missing=True),
                name="case_calendar_missing",
            ),
            models.Index(fields=["channel"], name="case_channel"),
            models.Index(fields=["reporter_phone"], name="case_reporter_phone"),
            models.Index(fields=["external_ref"], name="case_external_ref"),
            models.Index(fields=["unit", "status"], name="case_unit_status"),
            # a scope is a prefix (`region_code LIKE '610921001%'`): pattern ops, so the
            # prefix is an index range whatever the collation (0078); = still served
            models.Index(
                fields=["region_code", "status"],
                opclasses=["varchar_pattern_ops", "varchar_ops"],
                name="case_region_prefix",
            ),
            # "or taken in by me" in a scoped user's lists (access.visible_cases), and the
            # FK's SET NULL when a user is deleted
            models.Index(fields=["taken_by", "created_at"], name="case_taken_by"),
            # the queue's tabs in deadline order: open work (in, todo, late), return
            # visits due (visit, the resident's rate) — partial, so intake writes only
            # the first and a sorted list of ~100,000 open cases is an index scan (0078)
            models.Index(
                fields=["deadline", "id"],
                condition=models.Q(status__in=sorted(OPEN_STATES)),
                name="case_open_deadline",
            ),
            models.Index(
                fields=["deadline", "id"],
                condition=models.Q(status__in=["archived", "closed"], rated_at=None),
                name="case_visit_deadline",
            ),
            models.Index(fields=["category", "created_at"], name="case_cat_created"),
            # one state newest first (the filtered list stops at a page, no sort)
            models.Index(fields=["status", "created_at"], name="case_status_created"),
            # the command-centre summary counts open states only, from the index
            models.Index(fields=["status", "deadline"], name="case_status_deadline"),
            models.Index(fields=["status", "unit"], name="case_status_unit"),
            # Columns empty on every open case: indexed only where set, so a write of an
            # open case (the worker's card: no HOT update) adds no entry to them (0090)
            models.Index(
                fields=["visit_due_at"],
                condition=models.Q(visit_due_at__isnull=False),
                name="case_visit_due",
            ),
            models.Index(
                fields=["parent"], condition=models.Q(parent__isnull=False), name="case_parent"
            ),
            models.Index(
                fields=["reporter"],
                condition=models.Q(reporter__isnull=False),
                name="case_reporter",
            ),
            # PostgreSQL's FK check on delete looks merged cases up by target; few rows
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="case_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def public_status(self) -> str:
        """Open311 status: 'open' or 'closed'."""
        return public_status(self.status)


class CaseAssignment(models.Model):
    """Units working on a case: lead (主办), helpers (协办), whistled departments (报到)."""

    LEAD, HELPER, WHISTLE = "lead", "helper", "whistle"
    ROLES = [
        (LEAD, gettext_noop("主办")),
        (HELPER, gettext_noop("协办")),
        (WHISTLE, gettext_noop("吹哨报到")),
    ]

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=ROLES)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "active"], name="assign_unit_active")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.role} {self.unit_id}"


class CaseEvent(models.Model):
    """One move on a case. Append-only: never edited, never deleted."""

    # looked up by (case, at) below; no index of its own (0090)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(db_index=True)
    # the worker's events have no actor and no from-unit: indexed where set (0090)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=100, blank=True)
    move = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    from_unit = models.ForeignKey(
        "accounts.Unit",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    reason = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="shown to the resident")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="event_case_at"),
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="event_actor"
            ),
            models.Index(
                fields=["from_unit"],
                condition=models.Q(from_unit__isnull=False),
                name="event_from_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.move}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise ValueError("case events are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("case events are never deleted")


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=20, default="report")  # report, handling
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name


class Whistle(models.Model):
    """吹哨: a street summons departments to one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"吹哨 {self.case_id}"


class WhistleCall(models.Model):
    """报到: one summoned department, its limit, its report-in and the street's rating."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="calls")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(db_index=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1..5
    rating_note = models.CharField(max_length=200, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reminded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["whistle", "unit"], name="whistle_call_unique")
        ]

    def __str__(self) -> str:
        return f"报到 {self.unit_id}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", gettext_noop("满意")
    BASIC = "basic", gettext_noop("基本满意")
    UNSATISFIED = "unsatisfied", gettext_noop("不满意")


class ReturnVisit(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, default="phone")  # phone, web, sms
    satisfaction = models.CharField(max_length=20, choices=Satisfaction.choices)
    resolved = models.BooleanField()
    comment = models.TextField(blank=True)
    reopened = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"回访 {self.case_id} {self.satisfaction}"


class CalendarYear(models.Model):
    """A year whose holidays and 调休 days are known (seeded or entered by an admin)."""

    year = models.PositiveSmallIntegerField(unique=True)
    source = models.CharField(max_length=100, default="chinesecalendar")
    complete = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "日历年份"
        verbose_name_plural = "日历年份"

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a holiday, or a weekend working day (调休)."""

    HOLIDAY, WORKDAY = "holiday", "workday"
    KINDS = [(HOLIDAY, gettext_noop("法定节假日")), (WORKDAY, gettext_noop("调休上班"))]

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=KINDS)
    name = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日/调休"
        verbose_name_plural = "节假日/调休"

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Outbox(models.Model):
    """Notifications to send; the worker delivers them through the gateway (outbox.py).

    pending → sending (claimed: `claim` names the pass, `next_attempt_at` is the end of its
    lease) → sent, or back to pending with a backoff, or failed after MAX_ATTEMPTS. A row
    left in sending by a killed worker is claimed again when its lease ends: at most the
    message that was in flight is sent twice, with the same dedupe key.
    """

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATES = [
        (PENDING, gettext_noop("待发送")),
        (SENDING, gettext_noop("发送中")),
        (SENT, gettext_noop("已发送")),
        (FAILED, gettext_noop("发送失败")),
    ]

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=30)  # remind, supervise, alarm, dispatch, visit…
    channel = models.CharField(max_length=10, default="sms")  # sms, inapp
    to_phone = models.CharField(max_length=20, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,  # partial, below (0090)
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE)
    # One notification per fact: the same reminder can never be queued twice (a unique
    # constraint in Meta: no `_like` pattern twin, nothing looks keys up by prefix; 0090)
    dedupe_key = models.CharField(max_length=120)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    claim = models.CharField(
        max_length=32, blank=True, default="", db_default="", help_text="the pass that claimed it"
    )

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(
                fields=["to_user"], condition=models.Q(to_user__isnull=False), name="outbox_to_user"
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"


class WorkerError(models.Model):
    """A row the worker could not process: recorded and pushed forward, never a crash loop."""

    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=30)
    object_id = models.CharField(max_length=40)
    error = models.TextField()

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
