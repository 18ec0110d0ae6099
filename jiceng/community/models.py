"""Community self-governance: the village board (村情通), 三务公开, policy publicity (三进),
resident messages and the 回音墙, dispute mediation (矛盾纠纷调处), deliberation (议事协商).

Every table that holds a village's data carries `village_code` (a CodeField), so that
`accounts.scope.code_filter(user, "village_code")` keeps a user inside their territory.
History is append-only: publication versions, dispute events and votes are never edited
(their `save` refuses an update, their `delete` refuses).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.lib.models import AppendOnly
from jiceng.territory.fields import CodeField


class VillageSettings(models.Model):
    """What a village chose for its own board (村委会 decides; defaults are conservative)."""

    class ReplyUnit(models.TextChoices):
        WORKDAYS = "workdays", _("工作日")
        DAYS = "days", _("自然日")

    village_code = CodeField(unique=True)
    # Residents read the board without logging in (a QR code on the village notice board).
    public_board = models.BooleanField("村务公开无需登录即可查看", default=False)
    reply_days = models.PositiveSmallIntegerField("留言答复期限", default=5)
    reply_unit = models.CharField(
        "期限单位", max_length=10, choices=ReplyUnit.choices, default=ReplyUnit.WORKDAYS
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.village_code


class Membership(models.Model):
    """A resident's account belongs to one village (村民身份), registered by village staff.

    Residents have no territorial scope in `accounts`; this row is what lets a resident
    leave messages, read a village-only board and vote as a household representative.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="village_membership"
    )
    village_code = CodeField(db_index=True)
    household_rep = models.BooleanField("户代表", default=False)
    # the household in the village's points book (户号), so a resident sees their points
    household_number = models.CharField("户号", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.village_code}"


class Publication(models.Model):
    """One item on the board; its content lives in its versions (never changed in place)."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("村情通知")
        PARTY = "party", _("党务公开")
        VILLAGE = "village", _("村务公开")
        FINANCE = "finance", _("财务公开")

    village_code = CodeField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    # The period the publication covers (三务公开 is periodic: a quarter, a month, a year).
    period_start = models.DateField("公开期间起", null=True, blank=True)
    period_end = models.DateField("公开期间止", null=True, blank=True)
    period_label = models.CharField("期间", max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    # The newest version, kept here so the board lists without a subquery.
    current = models.ForeignKey(
        "PublicationVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    versions_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["village_code", "kind", "created_at"])]

    def __str__(self) -> str:
        return self.current.title if self.current_id and self.current else f"公开 {self.pk}"


class PublicationVersion(AppendOnly):
    """What was published, when, by whom; version 2+ carries the reason of the correction."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    # Finance tables: {"income": [{"item", "amount"}], "spending": [...], "assets": [...]},
    # amounts as strings of yuan with two decimals (exact, not floats).
    tables = models.JSONField(default=dict, blank=True)
    reason = models.CharField("更正原因", max_length=300, blank=True)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["publication", "number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="pubversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.number}版）"


class Attachment(AppendOnly):
    """A file attached to one version (a scanned 账目, a photo of the 公开栏)."""

    version = models.ForeignKey(
        PublicationVersion, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to="community/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class Policy(models.Model):
    """A policy document published to chosen companies, communities and villages (平度 三进)."""

    title = models.CharField(max_length=160)
    body = models.TextField()
    issuer_code = CodeField(db_index=True)  # the county or town that publishes it
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title


class PolicyTarget(models.Model):
    """One addressee: a community/village (its staff read it logged in) or a company (its
    contact reads it through a link with a secret key, no account needed)."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("进企业")
        COMMUNITY = "community", _("进社区")
        VILLAGE = "village", _("进农村")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    region_code = CodeField(db_index=True)  # the community/village, or where the company is
    company_name = models.CharField(max_length=120, blank=True)
    key = models.CharField(max_length=32, unique=True, default="")

    def __str__(self) -> str:
        return self.company_name or self.region_code

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = secrets.token_urlsafe(16)[:22]
        super().save(*args, **kwargs)


class PolicyRead(AppendOnly):
    """Who read a policy, and when (每个对象可多人阅读；第一次阅读即视为已送达)."""

    target = models.ForeignKey(PolicyTarget, on_delete=models.PROTECT, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reader_name = models.CharField(max_length=50)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.reader_name} {self.at:%Y-%m-%d}"


class Message(models.Model):
    """A resident's message to the village committee (村情通 留言), with its reply deadline.

    The reply is written once (a second answer is refused); a message that is really a
    case is taken into the case loop and keeps the case number here.
    """

    village_code = CodeField(db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    # The resident agrees that the message and its answer appear on the 回音墙.
    public_consent = models.BooleanField("同意公开", default=False)
    created_at = models.DateTimeField(db_index=True)
    # Stored at creation from the village's setting; "overdue" is a query on it.
    due_at = models.DateTimeField(db_index=True)
    due_rule = models.CharField(max_length=20)  # "5 workdays" / "7 days": the rule applied
    calendar_missing = models.BooleanField(default=False)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True, db_index=True)
    case_number = models.CharField(max_length=32, blank=True, db_index=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    # When the town was told that the reply is overdue (community/watch.py, once).
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["village_code", "replied_at", "due_at"])]

    def __str__(self) -> str:
        return f"留言 {self.pk}"

    @property
    def settled(self) -> bool:
        """Answered, or handed to the case loop (its own deadline applies there)."""
        return self.replied_at is not None or bool(self.case_number)


# ---------------------------------------------------------------- dispute mediation


class MediationLevel(models.TextChoices):
    VILLAGE = "village", _("村（社区）调委会")
    TOWN = "town", _("镇（街道）调委会")
    COUNTY = "county", _("县级调处中心")


class Committee(models.Model):
    """A mediation committee (人民调解委员会) of a village, a town or the county."""

    name = models.CharField(max_length=100)
    region_code = CodeField(db_index=True)
    level = models.CharField(max_length=10, choices=MediationLevel.choices)

    class Meta:
        ordering = ["region_code", "name"]

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    """A mediator (调解员) of a committee; may have an account (`user`)."""

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="mediators")
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["committee", "name"]

    def __str__(self) -> str:
        return self.name


class Dispute(models.Model):
    """A dispute registered for mediation (矛盾纠纷), handled at one level at a time."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("婚姻家庭")
        NEIGHBOUR = "neighbour", _("邻里纠纷")
        LAND = "land", _("土地山林")
        DAMAGES = "damages", _("损害赔偿")
        WAGES = "wages", _("劳资纠纷")
        CONTRACT = "contract", _("合同纠纷")
        PROPERTY = "property", _("物业纠纷")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        MEDIATING = "mediating", _("调解中")
        AGREED = "agreed", _("调解成功")
        FAILED = "failed", _("调解不成")
        WITHDRAWN = "withdrawn", _("撤回")

    class Performance(models.TextChoices):
        PENDING = "", _("待回访")
        PERFORMED = "performed", _("已履行")
        PARTLY = "partly", _("部分履行")
        BREACHED = "breached", _("未履行")

    number = models.CharField(max_length=32, unique=True)
    village_code = CodeField(db_index=True)  # where it arose
    handling_code = CodeField(db_index=True)  # the region whose committee handles it now
    level = models.CharField(max_length=10, choices=MediationLevel.choices, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    place = models.CharField("发生地点", max_length=200)
    amount = models.DecimalField(
        "涉及金额（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    summary = models.TextField("纠纷简要情况")
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mediator = models.ForeignKey(
        Mediator, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    case_number = models.CharField(max_length=32, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    performance = models.CharField(
        max_length=12, choices=Performance.choices, default="", blank=True
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def open(self) -> bool:
        return self.status in (self.Status.REGISTERED, self.Status.MEDIATING)


class DisputeParty(models.Model):
    """A party (当事人). Name, phone and ID number are personal data: masked on every page
    and in the API unless a full view is asked for with a reason (logged)."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=12, choices=Role.choices)
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20, blank=True)
    id_number = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["dispute", "role", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.pk}"


class MediationSession(AppendOnly):
    """One sitting (调解会) with its minutes (调解笔录)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="sessions")
    at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    mediator = models.ForeignKey(
        Mediator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attendees = models.CharField(max_length=300, blank=True)
    minutes = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dispute", "at"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.at:%Y-%m-%d}"


class Agreement(AppendOnly):
    """The mediation agreement (人民调解协议书), printed and signed by the parties."""

    dispute = models.OneToOneField(Dispute, on_delete=models.PROTECT, related_name="agreement")
    text = models.TextField()
    perform_by = models.DateField("履行期限", null=True, blank=True)
    signed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"协议 {self.dispute_id}"


class DisputeEvent(AppendOnly):
    """The history of a dispute, one row per step; escalations carry from/to level and why."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events")
    # copied from the dispute so that rates per territory read this table alone
    village_code = CodeField(default="")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(
        max_length=20
    )  # register, assign, session, agree, fail, escalate, perform, withdraw
    level = models.CharField(
        max_length=10, choices=MediationLevel.choices
    )  # level when it happened
    to_level = models.CharField(max_length=10, blank=True)
    mediator = models.ForeignKey(
        Mediator, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["dispute", "at", "id"]
        indexes = [models.Index(fields=["kind", "village_code"])]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.kind}"


# ---------------------------------------------------------------- deliberation (议事协商)


class Topic(models.Model):
    """A matter for the village to deliberate (两说一商: 村民说事、干部说法、商量办事)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("已提出")
        VOTING = "voting", _("表决中")
        ADOPTED = "adopted", _("已通过")
        REJECTED = "rejected", _("未通过")

    village_code = CodeField(db_index=True)
    title = models.CharField(max_length=120)
    body = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by_resident = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Meeting(AppendOnly):
    """A meeting on a topic (村民代表会议、院坝会) with attendance and minutes."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="meetings")
    at = models.DateTimeField()
    place = models.CharField(max_length=200)
    expected = models.PositiveIntegerField("应到")
    attended = models.PositiveIntegerField("实到")
    minutes = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["topic", "at"]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.at:%Y-%m-%d}"


class Vote(AppendOnly):
    """One household representative's vote; a second vote by the same person is refused."""

    class Choice(models.TextChoices):
        YES = "yes", _("同意")
        NO = "no", _("不同意")
        ABSTAIN = "abstain", _("弃权")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "voter"], name="one_vote_per_rep")]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.choice}"


class Decision(AppendOnly):
    """The decision (决议) with the vote count where there was a vote."""

    topic = models.OneToOneField(Topic, on_delete=models.PROTECT, related_name="decision")
    text = models.TextField()
    adopted = models.BooleanField()
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"决议 {self.topic_id}"


class Task(models.Model):
    """A follow-up task of a decision, tracked to completion (Decidim's accountability: a
    result with progress and a timeline of updates)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    owner = models.CharField("责任人", max_length=50)
    due = models.DateField("完成时限")
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["decision", "due", "id"]

    def __str__(self) -> str:
        return self.title


class TaskUpdate(AppendOnly):
    """One entry of a task's timeline: the progress reached and what was done."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="updates")
    at = models.DateTimeField()
    progress = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["task", "at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.progress}%"


# ---------------------------------------------------------------- household points (积分制)


class PointRule(models.Model):
    """One line of the village's points rules under its 村规民约 (rules are data: each
    village writes its own)."""

    village_code = CodeField(db_index=True)
    category = models.CharField("类别", max_length=30)  # 环境卫生、孝老爱亲、移风易俗、遵纪守法…
    name = models.CharField("事项", max_length=100)
    points = models.SmallIntegerField("分值")  # + award, − deduction
    source = models.CharField("依据", max_length=100, blank=True)  # 村规民约第八条
    active = models.BooleanField(default=True)
    # Rules are versioned: a change retires this row and writes a new one that `replaces`
    # it, so the entries made under the old wording and points keep them (config.py).
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["village_code", "-points", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.points:+d}）"


class PointEntry(models.Model):
    """Points awarded or deducted to a household, with evidence; they count once approved
    by someone other than the recorder. Points, household and evidence are never edited:
    a mistake is rejected and entered again."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已生效")
        REJECTED = "rejected", _("已驳回")

    village_code = CodeField(db_index=True)
    household_number = models.CharField("户号", max_length=40, db_index=True)
    household_name = models.CharField("户主", max_length=50)
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="+")
    points = models.SmallIntegerField()  # copied from the rule when entered
    month = models.DateField(db_index=True)  # the first day of the month it counts for
    evidence = models.CharField("事实依据", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["village_code", "month", "state"])]

    def __str__(self) -> str:
        return f"{self.household_number} {self.points:+d}"


# ---------------------------------------------------------------- co-building (共建协议)


class CoAgreement(models.Model):
    """A co-building agreement between a community and a unit or company in its area
    (迎泽: 商约、签约、亮约、履约、评约), each step with its date."""

    class Stage(models.TextChoices):
        NEGOTIATING = "negotiating", _("商约")
        SIGNED = "signed", _("签约")
        SHOWN = "shown", _("亮约")
        PERFORMING = "performing", _("履约")
        EVALUATED = "evaluated", _("评约")

    village_code = CodeField(db_index=True)
    partner = models.CharField("共建单位", max_length=120)
    title = models.CharField(max_length=120)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.NEGOTIATING)
    negotiated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    shown_at = models.DateTimeField(null=True, blank=True)
    performing_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-negotiated_at"]

    def __str__(self) -> str:
        return self.title


class Commitment(models.Model):
    """One commitment of an agreement (活动合办、服务互助、场所共用…), tracked and rated."""

    agreement = models.ForeignKey(CoAgreement, on_delete=models.CASCADE, related_name="commitments")
    by_partner = models.BooleanField("由共建单位承担", default=True)
    text = models.CharField(max_length=300)
    due = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField(max_length=300, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # 1–5 at 评约

    class Meta:
        ordering = ["agreement", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class ConfigChange(AppendOnly):
    """Every change to a village's or town's own set-up: mediation committees, mediators and
    the points rules (村规民约). Append-only: who changed what, when, from what to what."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("调委会")
        MEDIATOR = "mediator", _("调解员")
        POINT_RULE = "point_rule", _("积分事项")

    region_code = CodeField(db_index=True)  # the committee's region, the rule's village
    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_id = models.PositiveIntegerField()
    action = models.CharField(max_length=10)  # create, edit, retire
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["region_code", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.action}"
