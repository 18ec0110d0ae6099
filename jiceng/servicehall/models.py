"""Service hall (便民服务): the service catalogue, applications, proxy handling, ratings.

The catalogue follows the shape of the Dutch ZGW catalogue (a case type published in
versions, each with its documents, a legal lead time and a shorter service norm, whether it
may be suspended or extended): a `ServiceItem` is the stable thing a resident asks for, an
`ItemVersion` is one published guide of it (平邑's ten elements), and an `Application`
points at the version it was made under, so a later guide never changes an application
already taken (docs/decisions/0036-servicehall-catalogue.md).

History is append-only: `ApplicationEvent` rows are never edited or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.lib.models import AppendOnly
from jiceng.territory.fields import CodeField
from jiceng.territory.models import Level

# the levels at which an item may be taken in or passed through (邱县: 村级受理 → 乡镇审核 →
# 县级办结); values are the region ladder's `Level` numbers
HALL_LEVELS = (Level.VILLAGE, Level.STREET, Level.COUNTY)
LEVEL_LABEL = {Level.VILLAGE: "村（社区）", Level.STREET: "乡镇（街道）", Level.COUNTY: "县（区）"}


class ServiceItem(models.Model):
    """A service item (事项) of the catalogue; its guide lives in versions."""

    code = models.CharField("事项编码", max_length=40, unique=True)
    name = models.CharField("事项名称", max_length=120)
    department = models.CharField("实施部门", max_length=100)
    topic = models.CharField("主题分类", max_length=40, blank=True)
    # the version in force (null until first published)
    current = models.ForeignKey(
        "ItemVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ItemVersion(models.Model):
    """One published guide (办事指南) of an item: the ten elements and the flow.

    Never edited once published: a change is a new version (`catalogue.publish`).
    """

    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the ten guide elements (平邑)
    basis = models.TextField("办理依据")
    conditions = models.TextField("办理条件")
    accepting_unit = models.CharField("受理单位", max_length=100)
    place = models.CharField("办理地点", max_length=200)
    process = models.TextField("基本流程")
    fees = models.CharField("收费依据及标准", max_length=200, default="不收费")
    legal_days = models.PositiveSmallIntegerField("法定时限（工作日）")
    promised_days = models.PositiveSmallIntegerField("承诺时限（工作日）")
    hours = models.CharField("工作时间", max_length=200)
    enquiry_phone = models.CharField("咨询电话", max_length=40)
    supervision_phone = models.CharField("监督电话", max_length=40)
    # levels (Level numbers) that may accept it, and the levels it passes, lowest first;
    # e.g. accept [5], flow [5, 4, 3]: village accepts, town reviews, county decides
    accept_levels = models.JSONField(default=list)
    flow = models.JSONField(default=list)
    allows_pending = models.BooleanField("可容缺受理", default=False)
    pending_days = models.PositiveSmallIntegerField("容缺补齐期限（工作日）", default=5)
    # Open Zaak: opschorting (suspension) and verlenging (one extension up to a term)
    may_suspend = models.BooleanField("可中止", default=True)
    may_extend = models.BooleanField("可延期", default=False)
    extension_days = models.PositiveSmallIntegerField("最长延期（工作日）", default=0)
    note = models.CharField("版本说明", max_length=200, blank=True)

    class Meta:
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="sh_item_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} 第{self.version}版"

    @property
    def compression(self) -> float:
        """提速率 = 1 − promised/legal (六枝)."""
        return 1 - self.promised_days / self.legal_days if self.legal_days else 0.0


class Material(models.Model):
    """A material (材料) an item's version asks for."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField("材料名称", max_length=120)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    original = models.BooleanField("需原件", default=False)
    required = models.BooleanField("必需", default=True)
    # may be brought later under 容缺受理 (only if the version allows pending intake)
    pendable = models.BooleanField("可容缺", default=False)
    # a document kind the county already holds (免证办: id_card, household_register …)
    on_file_kind = models.CharField("可免提交（已有证照）", max_length=40, blank=True)

    class Meta:
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    AWAITING = "awaiting", _("待补正")  # not taken in: materials missing, one notice given
    ACCEPTED = "accepted", _("已受理")
    IN_REVIEW = "in_review", _("审核中")
    SUSPENDED = "suspended", _("已中止")
    APPROVED = "approved", _("已办结")
    REFUSED = "refused", _("不予办理")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = (Status.ACCEPTED, Status.IN_REVIEW, Status.SUSPENDED)
DONE_STATUSES = (Status.APPROVED, Status.REFUSED, Status.DELIVERED)


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    APPOINTMENT = "appointment", _("预约代办")
    HOME = "home", _("上门代办")
    ONLINE = "online", _("网上代办")


class Delivery(models.TextChoices):
    COLLECT = "collect", _("窗口领取")
    POST = "post", _("邮寄送达")
    PROXY = "proxy", _("代办员送达")


class Application(models.Model):
    """One application (办件), made under one item version."""

    number = models.CharField("办件编号", max_length=30, unique=True)
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WINDOW)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.COLLECT)
    applicant_name = models.CharField("申请人", max_length=50)
    applicant_phone = models.CharField("联系电话", max_length=20)
    applicant_id_last4 = models.CharField("证件号后四位", max_length=4, blank=True)
    # where the applicant lives (village); scope filters on this code
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    region_code = CodeField(db_index=True)
    accepted_level = models.PositiveSmallIntegerField(choices=Level.choices)
    # position in version.flow of the level that holds it now
    step = models.PositiveSmallIntegerField(default=0)
    current_level = models.PositiveSmallIntegerField(choices=Level.choices)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )  # 首问负责: the first person who took it answers for it to the end
    agent = models.ForeignKey(
        "ProxyAgent", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    promised_due = models.DateTimeField(null=True, blank=True, db_index=True)
    yellow_at = models.DateTimeField(null=True, blank=True, db_index=True)
    legal_due = models.DateTimeField(null=True, blank=True)
    calendar_missing = models.BooleanField(default=False)
    suspended_at = models.DateTimeField(null=True, blank=True)
    extended = models.BooleanField(default=False)
    pending_until = models.DateTimeField("容缺补齐期限", null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the signed content and the drawn signature (PNG data URL)
    signed_hash = models.CharField(max_length=64, blank=True)
    signature = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "promised_due"])]

    def __str__(self) -> str:
        return self.number


class MaterialState(models.TextChoices):
    PROVIDED = "provided", _("已提交")
    ON_FILE = "on_file", _("已调取（免提交）")
    PENDING = "pending", _("容缺后补")
    MISSING = "missing", _("缺少")


class AppMaterial(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=MaterialState.choices)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["material__position", "material_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "material"], name="sh_app_material"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.material_id} {self.state}"


class ApplicationEvent(AppendOnly):
    """One step of an application's history (who, when, at which level, what, why)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    label = models.CharField(max_length=40)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=50, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.label}"


class Notice(AppendOnly):
    """一次性告知: one notice listing every missing material, given once per check."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notices")
    at = models.DateTimeField()
    missing = models.JSONField()  # [material name, …]
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"一次性告知 {self.application_id}"


class ProxyKind(models.TextChoices):
    CADRE = "cadre", _("村（社区）干部")
    GRID = "grid", _("网格员")
    SECRETARY = "secretary", _("第一书记")
    STATION = "station", _("便民服务站代办员")


class ProxyAgent(models.Model):
    """A proxy agent (代办员, 松阳 1+N) serving one village."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proxy_agent"
    )
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    region_code = CodeField(db_index=True)
    kind = models.CharField(max_length=20, choices=ProxyKind.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["region_code", "id"]

    def __str__(self) -> str:
        return self.user.display_name


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待分派")
    ASSIGNED = "assigned", _("已分派")
    DONE = "done", _("已代办")
    CANCELLED = "cancelled", _("已取消")


class ProxyRequest(models.Model):
    """A resident's request for proxy handling (预约/上门/网上代办)."""

    kind = models.CharField(max_length=20, choices=Channel.choices)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    resident_name = models.CharField(max_length=50)
    resident_phone = models.CharField(max_length=20)
    address = models.CharField(max_length=200, blank=True)
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    region_code = CodeField(db_index=True)
    wanted_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    agent = models.ForeignKey(
        ProxyAgent, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    due = models.DateTimeField(null=True, blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.resident_name}"


class AgentReview(models.Model):
    """A quarterly review (季度述职评议) of an agent by a villager or village cadre."""

    agent = models.ForeignKey(ProxyAgent, on_delete=models.PROTECT, related_name="reviews")
    quarter = models.CharField(max_length=7)  # "2026Q4"
    reviewer = models.CharField(max_length=50)
    score = models.PositiveSmallIntegerField()  # 1..5
    comment = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.quarter} {self.score}"


class Rating(models.Model):
    """好差评 (GB/T 39734): five levels, one per application, by the applicant."""

    LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.application_id} {self.score}"

    @property
    def label(self) -> str:
        return self.LEVELS.get(self.score, "")

    @property
    def bad(self) -> bool:
        return self.score <= 2


class Rectification(models.Model):
    """整改: what a 差评 opens; due in a few working days, answered to the applicant."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="rectification")
    due = models.DateTimeField(db_index=True)
    reply = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"整改 {self.rating_id}"


class VainVisit(models.Model):
    """跑一次没办成 (双辽): a resident who came in vain, recorded and followed up."""

    resident_name = models.CharField(max_length=50)
    resident_phone = models.CharField(max_length=20)
    item = models.ForeignKey(
        ServiceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    region_code = CodeField(db_index=True)
    what_happened = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    follow_up = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.resident_name} {self.at:%Y-%m-%d}"


class ReturnSample(models.Model):
    """随机回访: one recorded draw of finished proxy applications of a quarter in a
    territory — the size or share asked, the seed and the numbers drawn — so anyone can
    draw it again with the same seed and check it (`proxy.draw_sample`). Never edited."""

    quarter = models.CharField(max_length=7)
    territory_code = CodeField(db_index=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    share = models.FloatField(null=True, blank=True)
    seed = models.CharField(max_length=40)
    pool_size = models.PositiveIntegerField()
    numbers = models.JSONField(default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"{self.quarter} {self.territory_code} #{self.pk}"


class ReturnCall(models.Model):
    """A random-sample return call (电话回访) on a proxied application, with its result."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    sample = models.ForeignKey(
        ReturnSample, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    quarter = models.CharField(max_length=7)
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reached = models.BooleanField()
    satisfied = models.BooleanField(null=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.quarter}"


class Whereabouts(models.TextChoices):
    ON_DUTY = "on_duty", _("在岗")
    OUT = "out", _("外出办事")
    MEETING = "meeting", _("开会")
    LEAVE = "leave", _("请假")


class StaffWhereabouts(AppendOnly):
    """去向牌 (定州): each change of a hall worker's whereabouts, appended; the board shows
    the latest per person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    region_code = CodeField(db_index=True)  # the worker's scope when they set it
    status = models.CharField(max_length=20, choices=Whereabouts.choices)
    note = models.CharField(max_length=100, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status}"


class MaterialFile(models.Model):
    """A file received for one material of an application (PDF, JPEG, PNG), checked by
    content and stored under the data directory by its sha256 (`uploads.py`). Never edited;
    served only to those who may see the application, each download logged."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="files")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    name = models.CharField("文件名", max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_name = models.CharField(max_length=50)  # "申请人" for the phone page
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.material_id} {self.name}"


class OnFileSource(models.TextChoices):
    """Where a 免证办 material is taken from (the material's `on_file_kind`)."""

    RESIDENT_ID = "resident_id", _("居民身份信息（人口库）")
    HOUSEHOLD = "household", _("户籍信息（人口库）")
    EARLIER_RESULT = "earlier_result", _("本人此前办件结果")


class MaterialReference(AppendOnly):
    """免证办: a material satisfied by a record already on file instead of an upload —
    which record, when, by whom. Appended; the retrieval is also in the access log."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="references"
    )
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=OnFileSource.choices)
    record_type = models.CharField(max_length=40)  # people.resident, people.household, …
    record_id = models.CharField(max_length=64)
    label = models.CharField(max_length=120)  # masked: 任春早 · 610***********123X
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_name = models.CharField(max_length=50)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.material_id} {self.record_type}:{self.record_id}"
