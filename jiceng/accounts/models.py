"""Users, their role and their territory; handling units; API tokens; the access log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.lib.models import AppendOnly


class Role(models.TextChoices):
    RESIDENT = "resident", pgettext_lazy("role", "群众")  # not the political status 群众
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_STAFF = "community_staff", _("社区/村工作人员")
    STREET_DISPATCHER = "street_dispatcher", _("街镇调度员")
    DEPARTMENT_HANDLER = "department_handler", _("部门办理人员")
    DISTRICT_ADMIN = "district_admin", _("区县管理员")
    AUDITOR = "auditor", _("审计员")
    # service hall (jiceng.servicehall): 一窗受理 clerks and 代办员 (松阳 1+N)
    WINDOW_CLERK = "window_clerk", _("窗口工作人员")
    PROXY_AGENT = "proxy_agent", _("代办员")


STAFF_ROLES = frozenset(r for r in Role if r != Role.RESIDENT)


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("区县综治中心")
    STREET = "street", _("街镇综治中心")
    COMMUNITY = "community", _("社区/村委会")
    GRID = "grid", _("网格")
    DEPARTMENT = "department", _("职能部门")


class Unit(models.Model):
    """A body that handles cases: a command centre, a street office, a village committee,
    a grid, or a functional department (职能部门) of the county."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=UnitKind.choices, db_index=True)
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(
        max_length=30, choices=Role.choices, default=Role.RESIDENT, db_index=True
    )
    # The one region node whose subtree this user may see (none: only their own items).
    scope = models.ForeignKey(
        "territory.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def role_label(self) -> str:
        """The role as shown on pages: a superuser is 系统管理员, not the role they carry
        (admin and district were both 区县管理员; issue 17 item 16)."""
        return "系统管理员" if self.is_superuser else str(self.get_role_display())

    @property
    def scope_code(self) -> str | None:
        return self.scope.code if self.scope is not None else None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        key = "jc_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, key_hash=_hash(key)), key

    @classmethod
    def user_for(cls, key: str) -> User | None:
        tok = (
            cls.objects.select_related("user", "user__scope", "user__unit")
            .filter(key_hash=_hash(key), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        return tok.user if tok else None


class AccessLogQuerySet(models.QuerySet):
    def about(self, subject_type: str, subject_id) -> AccessLogQuerySet:
        """Views that showed this subject: rows about it, and rows of a view of several
        people (a household, an export) that list it among their subjects (decision 0071)."""
        listed = AccessSubject.objects.filter(
            subject_type=subject_type, subject_id=str(subject_id)
        ).values("log_id")
        return self.filter(
            models.Q(subject_type=subject_type, subject_id=str(subject_id))
            | models.Q(id__in=listed)
        )

    def naming(self, text: str) -> AccessLogQuerySet:
        """Views whose subject, or one of whose listed people, is labelled with `text`."""
        listed = AccessSubject.objects.filter(subject_label__contains=text).values("log_id")
        return self.filter(models.Q(subject_label__contains=text) | models.Q(id__in=listed))


class AccessLog(AppendOnly):
    """Every full view of personal data (PIPL): who, when, what, why. Append-only.

    One row per view. A view of one person is about that person (`subject_*`); a view that
    shows several people at once (a household page, an export) is about the household or
    the region, and lists the people seen as `AccessSubject` rows (decision 0071).
    """

    viewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=100, blank=True)
    fields = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300)
    channel = models.CharField(max_length=20, default="page")  # page, api, export
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.viewer} {self.subject_type}:{self.subject_id}"

    @classmethod
    def record(
        cls,
        viewer,
        about: tuple[str, Any, str],
        reason: str,
        *,
        subjects: Iterable[tuple[str, Any, str]] = (),
        fields: str = "",
        channel: str = "page",
        ip: str | None = None,
    ) -> AccessLog:
        """Write one view: one row about `about` (type, id, label) and one `AccessSubject`
        per person listed in `subjects`, in one transaction."""
        kind, pk, label = about
        with transaction.atomic():
            log = cls.objects.create(
                viewer=viewer,
                subject_type=kind,
                subject_id=str(pk),
                subject_label=(label or "")[:100],
                fields=fields,
                reason=reason,
                channel=channel,
                ip=ip,
            )
            AccessSubject.objects.bulk_create(
                (
                    AccessSubject(
                        log=log, subject_type=t, subject_id=str(i), subject_label=(n or "")[:100]
                    )
                    for t, i, n in subjects
                ),
                batch_size=2000,
            )
        return log


class AccessSubject(AppendOnly):
    """A person seen in a view of several people at once: one per person, under the view's
    one `AccessLog` row, so "who viewed this person" stays an indexed query. Append-only."""

    log = models.ForeignKey(AccessLog, on_delete=models.PROTECT, related_name="subjects")
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"


class GuessCounter(models.Model):
    """Attempts per key (a user, an address) in a fixed window, counted in the database so
    that every server process shares one count (a per-process cache let two processes pass
    twice the limit). Written only through `jiceng.accounts.lookups.count_attempt`."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
