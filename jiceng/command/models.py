"""The command centre's own tables: rollups of the cases, the live feed, alarm takes.

Nothing here is written by another app: the rollups follow `case_changed` and the case
history (see rollup.py); they can be rebuilt from the cases at any time (`reconcile`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Tally(models.Model):
    """What the rollups last counted for one case (its contribution), so a move is applied
    as a difference: subtract the old contribution, add the new one. Also serves the
    time-based counts (yellow/red by deadline) and pending alarms for open cases."""

    case_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=120, blank=True)
    region_code = models.CharField(max_length=32)
    unit_id = models.IntegerField(default=0)  # 0: no unit (未派单)
    tier = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20)
    channel = models.CharField(max_length=20)
    category_id = models.IntegerField(default=0)
    urgency = models.PositiveSmallIntegerField(default=1)
    created_day = models.DateField()
    closed_day = models.DateField(null=True, blank=True)
    closed_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    is_open = models.BooleanField()
    watched = models.BooleanField()  # the deadline clock runs (open, not paused)
    deadline = models.DateTimeField(null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # yellow_at is set only while the clock is watched: late cases are one range
            models.Index(fields=["yellow_at"], name="cmd_tally_yellow"),
            models.Index(fields=["is_open", "region_code"], name="cmd_tally_open_region"),
            models.Index(fields=["channel", "is_open"], name="cmd_tally_channel_open"),
            # the wall's current hour of red (deadline in [this hour, now)), watched only
            models.Index(
                fields=["deadline"],
                condition=models.Q(yellow_at__isnull=False),
                name="cmd_tally_watched_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StatusCount(models.Model):
    """Cases by region prefix × unit × tier × status (every prefix of the case's code that
    a user's scope can be: "", province, city, county, street, village, each grid level)."""

    region_code = models.CharField(max_length=32)
    unit_id = models.IntegerField(default=0)
    tier = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "unit_id", "tier", "status"], name="cmd_status_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.status} {self.n}"


class DayCount(models.Model):
    """Per local day (Asia/Shanghai) and region prefix: cases taken in by channel and by
    category, cases closed by the tier that closed them."""

    CHANNEL, CATEGORY, CLOSED_TIER = "channel", "category", "closed_tier"

    day = models.DateField()
    region_code = models.CharField(max_length=32)
    kind = models.CharField(max_length=12)
    key = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # scope and day first: the wall reads one day of its scope, the screen a range
            models.UniqueConstraint(
                fields=["region_code", "day", "kind", "key"], name="cmd_day_count_key2"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.region_code} {self.kind}:{self.key} {self.n}"


class LateCount(models.Model):
    """Watched cases (clock running, with a deadline) whose yellow line (kind "y") or
    deadline (kind "d") is before the late mark (SyncMark "late_before", the start of an
    hour the catch-up moves forward), by region prefix down to the village × unit × tier.
    At the wall's `now`: red = the "d" rows + the Tally rows with a deadline in
    [mark, now); yellow = the same over "y" minus red (decision 0059). A few rows per
    scope however many cases are late."""

    YELLOW, DEADLINE = "y", "d"

    region_code = models.CharField(max_length=32)
    kind = models.CharField(max_length=1)
    unit_id = models.IntegerField(default=0)
    tier = models.PositiveSmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "kind", "unit_id", "tier"], name="cmd_late_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.kind} {self.n}"


class SyncMark(models.Model):
    """How far the catch-up over the case history has read (last CaseEvent id)."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class LiveEvent(models.Model):
    """One thing the walls are told (new case, alarm, move, alarm taken). The stream's
    source of truth: pub/sub only wakes the servers, a reconnecting wall resumes from
    its Last-Event-ID."""

    NEW, ALARM, MOVE, TAKEN = "new", "alarm", "move", "taken"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10)
    region_code = models.CharField(max_length=32)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} {self.region_code}"


class AlarmTake(models.Model):
    """Someone on a wall took a one-key alarm (it leaves the top of the walls)."""

    case_id = models.BigIntegerField(unique=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.case_id} {self.by_id}"


class Shift(models.Model):
    """A grid worker on duty (上岗) from `started_at` to `ended_at` (open while on duty).
    Position is recorded only during a shift and only with the worker's consent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    consent_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "started_at"], name="cmd_shift_user"),
            models.Index(fields=["ended_at", "region_code"], name="cmd_shift_open"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="cmd_one_open_shift",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at}"


class TrackDay(models.Model):
    """One worker's patrol track (轨迹) of one local day, stored compactly: `points` is a
    packed array of little-endian int32 triples (seconds since local midnight, lon×1e6,
    lat×1e6), 12 bytes a point, appended in time order (tracks.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    region_code = models.CharField(max_length=32)
    points = models.BinaryField(default=b"")
    n = models.IntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    last_lon = models.FloatField(null=True, blank=True)
    last_lat = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="cmd_track_user_day")]
        indexes = [models.Index(fields=["day", "region_code"], name="cmd_track_day_region")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day} ({self.n})"


class TrackReject(models.Model):
    """A position that was refused (outside the county, future or out-of-order time),
    kept with its reason: nothing a phone sends is silently dropped."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    at = models.DateTimeField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    code = models.CharField(max_length=30)
    raw = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.user_id} {self.code}"


class Notice(models.Model):
    """An announcement (信息发布) or an instruction (指令) sent to chosen regions/grids and
    roles. The recipients are fixed when it is sent (NoticeRecipient rows)."""

    ANNOUNCEMENT, INSTRUCTION = "announcement", "instruction"
    KINDS = [(ANNOUNCEMENT, "通知公告"), (INSTRUCTION, "工作指令")]

    kind = models.CharField(max_length=20, choices=KINDS)
    title = models.CharField(max_length=120)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_scope = models.CharField(max_length=32, blank=True)
    region_codes = models.JSONField(default=list)
    roles = models.JSONField(default=list)
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["author", "created_at"], name="cmd_notice_author")]

    def __str__(self) -> str:
        return self.title


class NoticeRecipient(models.Model):
    """One recipient of a notice: read receipt; for an instruction the acknowledgement
    and the completion report."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    report = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="cmd_notice_recipient")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="cmd_recipient_user")]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.user_id}"
