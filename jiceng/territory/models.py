"""The region tree: province → city → county → street/town → community/village → grid → micro-grid.

One table holds every node so that a subtree is one prefix query on `code` and every
other app can scope its rows by the region code it stores.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.lib import codes
from jiceng.territory.fields import CodeField


class Level(models.IntegerChoices):
    # context "level": the same words elsewhere are plurals or other senses (市 / 市场)
    PROVINCE = codes.PROVINCE, pgettext_lazy("level", "省")
    CITY = codes.CITY, pgettext_lazy("level", "市")
    COUNTY = codes.COUNTY, pgettext_lazy("level", "区县")
    STREET = codes.STREET, pgettext_lazy("level", "街道/乡镇")
    VILLAGE = codes.VILLAGE, pgettext_lazy("level", "社区/村")
    GRID = codes.GRID, pgettext_lazy("level", "网格")
    MICRO_GRID = codes.MICRO_GRID, pgettext_lazy("level", "微网格")


class RegionKind(models.TextChoices):
    # streets and towns (街道 / 镇 / 乡)
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    TOWNSHIP = "township", _("乡")
    # communities and villages
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("村")
    # grids
    COMPREHENSIVE = "comprehensive", _("综合网格")
    DEDICATED = "dedicated", _("专属网格")


class DedicatedType(models.TextChoices):
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    PARK = "park", _("园区")
    COMPANY = "company", _("企业")
    MARKET = "market", _("市场")
    OTHER = "other", _("其他")


class Region(models.Model):
    code = CodeField(
        unique=True, help_text="significant division code; grids extend their village's code"
    )
    name = models.CharField(max_length=100)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=20, choices=RegionKind.choices, blank=True)
    grid_level = models.PositiveSmallIntegerField(null=True, blank=True)
    dedicated_type = models.CharField(max_length=20, choices=DedicatedType.choices, blank=True)
    dedicated_unit = models.CharField(
        max_length=100, blank=True, help_text="the school, hospital… served"
    )
    urban = models.BooleanField(null=True, blank=True, help_text="urban or rural, for sizing rules")
    households = models.PositiveIntegerField(default=0)
    population = models.PositiveIntegerField(default=0)
    # GeoJSON geometry in WGS-84 (RFC 7946); the bbox columns pre-filter spatial queries.
    boundary = models.JSONField(null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_grid(self) -> bool:
        return self.level >= Level.GRID

    @property
    def statistical_code(self) -> str:
        return codes.statistical(self.code)

    def ancestor_codes(self) -> list[str]:
        return codes.ancestors(self.code)

    def ancestors(self) -> list[Region]:
        """Province down to the parent, in one query."""
        found = {r.code: r for r in Region.objects.filter(code__in=self.ancestor_codes())}
        return [found[c] for c in self.ancestor_codes() if c in found]

    def subtree(self) -> models.QuerySet[Region]:
        return Region.objects.filter(code__under=self.code)

    @property
    def level_label(self) -> str:
        if self.level == Level.GRID and self.grid_level:
            return _("%(n)s级网格") % {"n": self.grid_level}
        return str(Level(self.level).label)


class StaffRole(models.TextChoices):
    """漕泾's ladder of grid staff, from the top."""

    SUPERVISOR = "supervisor", _("督导员")
    CHIEF_GRID_HEAD = "chief_grid_head", _("总网格长")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    GRID_HEAD = "grid_head", _("网格长")
    GRID_WORKER = "grid_worker", _("网格员")
    GRID_ASSISTANT = "grid_assistant", _("网格助理员")


class GridStaff(models.Model):
    """A person on a grid's team; a grid may have one (一格一员) or several (一格多员)."""

    grid = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_posts",
    )
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20)
    photo = models.ImageField(upload_to="staff/", blank=True)
    on_duty = models.BooleanField(default=True)
    since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["grid__code", "role", "name"]
        indexes = [models.Index(fields=["grid", "role"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class SizingRule(models.Model):
    """How many households (or people) a grid should hold, as data (安康: rural 20–30)."""

    name = models.CharField(max_length=100)
    urban = models.BooleanField(help_text="applies to urban grids (else rural)")
    grid_level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="empty: any level"
    )
    min_households = models.PositiveIntegerField(null=True, blank=True)
    max_households = models.PositiveIntegerField(null=True, blank=True)
    min_population = models.PositiveIntegerField(null=True, blank=True)
    max_population = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """What an import did: counts per level and every rejected line with its reason."""

    kind = models.CharField(max_length=30)  # divisions, grids, residents…
    source = models.CharField(max_length=500)
    # The region the run wrote into: runs are listed to users who can see that region.
    region_code = CodeField(blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}"


class IndexVersion(models.Model):
    """A token that changes whenever grid boundaries change (imports, edits, the demo).

    Each process keeps its point→grid index in memory and rebuilds it when the token it
    built from is no longer the one stored here: one primary-key read, not a scan.
    """

    name = models.CharField(max_length=30, unique=True)
    token = models.CharField(max_length=40)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}:{self.token}"
