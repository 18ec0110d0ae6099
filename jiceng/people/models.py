"""The household register of the grids (人、地、事、物、情): residents, households, buildings and
rooms, organisations, care tags, the three colours of 安康, contact lines and visits.

Every row that belongs to a place stores the code of its grid (`grid_code`, a CodeField) so
that `scope.code_filter(user, "grid_code")` keeps a user inside their territory with one
indexed prefix query. Personal data is shown only through `jiceng.people.privacy`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.territory.fields import CodeField


class Colour(models.TextChoices):
    GREEN = "green", _("放心户")
    YELLOW = "yellow", _("关心户")
    RED = "red", _("连心户")


COLOUR_ORDER = {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 2}


class Building(models.Model):
    """A building (楼栋) of an urban community, or a courtyard/house group in a village."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅楼")
        MIXED = "mixed", _("商住楼")
        COMMERCIAL = "commercial", _("商业楼")
        HOUSE = "house", _("自建房/院落")
        OTHER = "other", _("其他")

    grid = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    grid_code = CodeField(db_index=True)
    name = models.CharField("楼栋名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField(null=True, blank=True)
    units = models.PositiveSmallIntegerField("单元数", null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["grid_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="people_building_grid_name")
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    class Use(models.TextChoices):
        OWNER = "owner", _("自住")
        RENTED = "rented", _("出租")
        VACANT = "vacant", _("空置")
        BUSINESS = "business", _("经营")

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField("房号", max_length=30)  # e.g. 2-301 (unit-room)
    use = models.CharField(max_length=20, choices=Use.choices, default=Use.OWNER)
    area = models.DecimalField("面积(㎡)", max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="people_room_number")
        ]

    def __str__(self) -> str:
        return f"{self.building.name}{self.number}"


class Household(models.Model):
    """A household (户) in its grid, with the facts its colour is computed from."""

    # unique through Meta.constraints: a field's unique=True also makes, on PostgreSQL, a
    # varchar_pattern_ops twin index that no query here uses (decision 0058)
    number = models.CharField("户号", max_length=40)
    grid = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    grid_code = CodeField(db_index=True)
    address = models.CharField("住址", max_length=200)
    building = models.ForeignKey(
        Building, null=True, blank=True, on_delete=models.SET_NULL, related_name="households"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="households"
    )
    phone = models.CharField("联系电话", max_length=30, blank=True)
    annual_income = models.DecimalField(
        "家庭年收入(元)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    safe_family_years = models.PositiveSmallIntegerField("平安家庭年数", default=0)
    members_count = models.PositiveSmallIntegerField(default=0)  # kept by services
    colour = models.CharField(max_length=10, choices=Colour.choices, blank=True)
    colour_reasons = models.JSONField(default=list, blank=True)
    colour_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grid_code", "number"]
        indexes = [
            models.Index(fields=["grid_code", "colour"]),
            models.Index(fields=["colour"], name="people_hh_colour_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                name="people_household_unique_number",
                violation_error_message="户号已存在",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def head(self) -> Resident | None:
        for r in self.members.all():
            if r.relation == Resident.Relation.HEAD:
                return r
        return None

    @property
    def income_per_head(self) -> float | None:
        if self.annual_income is None or not self.members_count:
            return None
        return float(self.annual_income) / self.members_count


class Resident(models.Model):
    """A person living in the territory (实有人口).

    `id_hash` is a keyed hash of the identity number: unique, and the only column search
    by number touches, so the plaintext is never scanned or compared in SQL.
    """

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        OVERSEAS = "overseas", _("境外人员")

    class IdType(models.TextChoices):
        ID_CARD = "id_card", _("居民身份证")
        PASSPORT = "passport", _("护照")
        HKMO = "hkmo", _("港澳居民来往内地通行证")
        TW = "tw", _("台湾居民来往大陆通行证")
        PERMANENT = "permanent", _("外国人永久居留身份证")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    relation = models.CharField(
        "与户主关系", max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    grid = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    grid_code = CodeField(db_index=True)
    name = models.CharField("姓名", max_length=50, db_index=True)
    id_type = models.CharField(max_length=20, choices=IdType.choices, default=IdType.ID_CARD)
    id_number = models.CharField("证件号码", max_length=40)
    id_hash = models.CharField(max_length=64)  # unique: Meta.constraints (decision 0058)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    ethnicity = models.CharField("民族", max_length=20, blank=True, default="汉族")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGISTERED)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)  # indexed: Meta.indexes
    address = models.CharField("现住址", max_length=200, blank=True)
    nationality = models.CharField("国籍", max_length=50, blank=True)
    party_member = models.BooleanField("中共党员", default=False)
    occupation = models.CharField("职业", max_length=50, blank=True)
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grid_code", "household_id", "id"]
        # Plain btree indexes for the hashes (equality only): a field's db_index/unique
        # also makes a varchar_pattern_ops twin on PostgreSQL, one more index per insert.
        indexes = [models.Index(fields=["phone_hash"], name="people_res_phone_hash_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"],
                name="people_resident_unique_id_hash",
                violation_error_message="该证件号码已登记",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CareTagType(models.Model):
    """A kind of care tag (关爱对象/特殊人群), held as data: GB/T 31000-2015's "9" and a
    county's own "X". `schema` lists the fields a tag of this type carries:
    [{"name": "grade", "label": "残疾等级", "type": "choice", "choices": ["一级", …],
      "required": true}, …]; types: text, int, number, date, bool, choice.
    `sensitive` types (e.g. community correction) are named only to viewers with full access.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=50)
    group = models.CharField("类别", max_length=50, blank=True)
    description = models.CharField(max_length=300, blank=True)
    schema = models.JSONField(default=list, blank=True)
    sensitive = models.BooleanField(default=False)
    builtin = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from jiceng.people.tagschema import SchemaError, check_schema

        try:
            check_schema(self.schema)
        except SchemaError as exc:
            raise ValidationError({"schema": str(exc)}) from None


class CareTag(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    type = models.ForeignKey(CareTagType, on_delete=models.PROTECT, related_name="tags")
    values = models.JSONField(default=dict, blank=True)
    since = models.DateField(null=True, blank=True)
    ended_at = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["type__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "type"],
                condition=models.Q(ended_at__isnull=True),
                name="people_one_open_tag_per_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.type_id}"


class ColourRule(models.Model):
    """One rule of the three-colour classification, held as data.

    A rule matches when all its `conditions` hold: [{"fact": "income_ratio", "op": "lt",
    "value": 0.5}, …]. Red rules are tried first, then yellow; a household that matches
    none is green. Facts and operators: see `jiceng.people.colours`.
    """

    colour = models.CharField(max_length=10, choices=[c for c in Colour.choices if c[0] != "green"])
    name = models.CharField(max_length=100)
    conditions = models.JSONField(default=list)
    priority = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from jiceng.people.colours import RuleError, check_conditions

        try:
            check_conditions(self.conditions)
        except RuleError as exc:
            raise ValidationError({"conditions": str(exc)}) from None


class ColourService(models.Model):
    """What a household of each colour gets (安康 321): online waiting, regular visits by a
    nearby contact, one-to-one help with hotline contact."""

    colour = models.CharField(max_length=10, choices=Colour.choices, unique=True)
    name = models.CharField(max_length=50)
    service = models.CharField(max_length=300)
    visit_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    hotline = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return self.name


TRIGGERS = {
    "member": "成员变动",
    "tag": "关爱标签变动",
    "income": "收入或平安家庭变动",
    "household": "户信息变动",
    "import": "批量导入",
    "rules": "分类规则调整",
    "demo": "演示数据",
}


class ColourChange(models.Model):
    """The history of a household's colour. Append-only."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="colour_history"
    )
    colour = models.CharField(max_length=10, choices=Colour.choices)
    previous = models.CharField(max_length=10, choices=Colour.choices, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    trigger = models.CharField(max_length=30)  # member, tag, income, import, rules, demo
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.previous}→{self.colour}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("colour history is never edited")
        super().save(*args, **kwargs)

    @property
    def trigger_label(self) -> str:
        return TRIGGERS.get(self.trigger, self.trigger)


class ContactPerson(models.Model):
    """One end of a contact line (三线联系): a party member, a people's deputy or a central
    household head (中心户长)."""

    class Kind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("党员")
        DEPUTY = "deputy", _("人大代表")
        CENTRAL_HEAD = "central_head", _("中心户长")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=30, blank=True)
    title = models.CharField("职务", max_length=100, blank=True)
    grid = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    grid_code = CodeField(db_index=True)
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    households: models.ManyToManyField = models.ManyToManyField(
        Household, through="ContactLink", related_name="contacts", blank=True
    )

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class ContactLink(models.Model):
    contact = models.ForeignKey(ContactPerson, on_delete=models.CASCADE, related_name="links")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="contact_links")
    since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "household"], name="people_contact_link")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}→{self.household_id}"


class Visit(models.Model):
    """A visit to a household (走访/入户): the household file (民情档案) grows with these.

    `needs_case` marks a visit that should become a case; the signal
    `jiceng.people.signals.visit_needs_case` is sent after commit so the case loop can take
    it in and write back `case_number` (this app never imports the cases app).
    """

    class Kind(models.TextChoices):
        HOME = "home", _("入户走访")
        PHONE = "phone", _("电话联系")
        ONLINE = "online", _("线上联系")
        MEETING = "meeting", _("院坝会/集中走访")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits")
    grid_code = CodeField(db_index=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor_name = models.CharField("走访人", max_length=50)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HOME)
    visited_at = models.DateTimeField("走访时间", db_index=True)
    found = models.TextField("发现情况")
    follow_up = models.TextField("后续措施", blank=True)
    needs_case = models.BooleanField("需转为事件办理", default=False)
    case_number = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_at:%Y-%m-%d}"


class Organisation(models.Model):
    """A non-public company (非公有制经济组织) or social organisation (社会组织) in a grid."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("非公企业")
        SOCIAL = "social", _("社会组织")
        INDIVIDUAL = "individual", _("个体工商户")
        OTHER = "other", _("其他")

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_person = models.CharField("法定代表人", max_length=50, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    party_organisation = models.BooleanField("建有党组织", default=False)
    grid = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    grid_code = CodeField(db_index=True)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["grid_code", "name"]

    def __str__(self) -> str:
        return self.name
