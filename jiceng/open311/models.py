"""Open311 client applications' API keys and what each posted request carried.

The case itself lives in `jiceng.cases`; this app keeps only what Open311 adds: which
client application sent it (its key), the token, and the fields a case has no column for
(address_id, email, device_id, account_id). Email and device id are personal data: they
are stored for the staff and never returned by the API.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "o311_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


class ApiKey(models.Model):
    """One client application's key. Only the SHA-256 of the key is stored."""

    name = models.CharField("客户端应用", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so that staff can tell keys apart in lists.
    prefix = models.CharField("密钥前缀", max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "Open311 接口密钥"
        verbose_name_plural = "Open311 接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, name: str, created_by=None, note: str = "") -> tuple[ApiKey, str]:
        """A new key; the plain key is returned once and never stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        obj = cls.objects.create(
            name=name.strip()[:100],
            key_hash=hash_key(key),
            prefix=key[: len(KEY_PREFIX) + 6],
            created_by=created_by,
            note=note[:200],
        )
        return obj, key

    @classmethod
    def find(cls, key: str) -> ApiKey | None:
        """The active key matching `key`, or None (unknown or revoked)."""
        if not key or len(key) > 200:
            return None
        return cls.objects.filter(key_hash=hash_key(key), revoked_at__isnull=True).first()

    def revoke(self) -> bool:
        if self.revoked_at is not None:
            return False
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        return True


class Submission(models.Model):
    """What an Open311 POST carried besides the case itself."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="open311_submission"
    )
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=40, unique=True)
    address_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    # Personal data (PIPL): kept for the staff, never returned by the API.
    email = models.CharField(max_length=254, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Open311 提交记录"
        verbose_name_plural = "Open311 提交记录"

    def __str__(self) -> str:
        return self.token

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)
