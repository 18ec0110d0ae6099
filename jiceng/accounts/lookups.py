"""Looking someone up by a value the viewer may not see is itself a view of that value.

A search that matches a prefix of a masked phone, or exact ID numbers without limit, lets a
viewer who sees `139****0099` recover the number a digit at a time (issue 9, item 1). So
every lookup by a personal identifier (phone, ID number) goes through `guard()`:

1. only roles that may see the value in full (or reveal it with a reason) may search by it;
2. only the full value is matched — the caller normalises it, never a prefix or fragment;
3. each lookup is written to `AccessLog` (subject `lookup:<kind>`, the value masked);
4. a user makes at most `JICENG_LOOKUP_LIMIT` lookups per `JICENG_LOOKUP_WINDOW_MINUTES`,
   counted in the database (`GuessCounter`), so all server processes share one count.

`count_attempt()` is the same shared counter for anonymous guessing (the public case
tracker: number + phone).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog, GuessCounter
from jiceng.lib import phones
from jiceng.lib.clientip import client_ip


class TooManyLookups(Exception):
    """More lookups than the window allows; answered 429 with a Chinese message."""

    def __init__(self, message: str = "查询过于频繁，请稍后再试") -> None:
        super().__init__(message)
        self.message = message


def count_attempt(key: str, limit: int, window: timedelta) -> bool:
    """Count one attempt for `key`; True when this attempt is over `limit` in `window`.

    One row per key; the increment is an UPDATE … SET count = count + 1 inside a
    transaction, so concurrent processes never lose a count (SQLite serialises writers,
    PostgreSQL locks the row).
    """
    now = timezone.now()
    key = key[:200]
    with transaction.atomic():
        fresh = GuessCounter.objects.filter(key=key, window_start__gt=now - window).update(
            count=F("count") + 1
        )
        if not fresh:
            # No row, or a row of an expired window: start a window with this attempt.
            if not GuessCounter.objects.filter(key=key).update(window_start=now, count=1):
                try:
                    with transaction.atomic():
                        GuessCounter.objects.create(key=key, window_start=now, count=1)
                except IntegrityError:  # another process created it first
                    GuessCounter.objects.filter(key=key).update(count=F("count") + 1)
        n = GuessCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0
    return n > limit


def _window() -> timedelta:
    return timedelta(minutes=getattr(settings, "JICENG_LOOKUP_WINDOW_MINUTES", 10))


def guard(
    user,
    *,
    kind: str,
    masked: str,
    actions: tuple[str, ...],
    channel: str,
    request: HttpRequest | None = None,
    found: int | None = None,
) -> None:
    """Allow, log and count one lookup of `kind` ("phone", "id_number") by `user`.

    `masked`: the searched value as it may be written in the log. `actions`: any of these
    scope actions allows the lookup. Raises PermissionDenied for a role that may not search
    by this value and TooManyLookups past the limit; both before anything is matched.
    """
    if not any(scope.can(user, a) for a in actions):
        raise PermissionDenied("您的角色不能按证件号码或电话查找")
    limit = getattr(settings, "JICENG_LOOKUP_LIMIT", 30)
    if count_attempt(f"lookup:{user.pk}", limit, _window()):
        raise TooManyLookups(
            f"按证件号码或电话查找过于频繁（每{_window().seconds // 60}分钟最多{limit}次），请稍后再试"
        )
    AccessLog.objects.create(
        viewer=user,
        subject_type=f"lookup:{kind}",
        subject_id=masked[:64],
        subject_label="按完整号码查找",
        fields={"phone": "电话", "id_number": "证件号码"}.get(kind, kind),
        reason="查找",
        channel=channel,
        ip=client_ip(request),
    )


def phone_forms(raw: str) -> list[str] | None:
    """The stored spellings a full phone number may have, or None when `raw` is not a full
    phone number (then nothing is matched by phone: never a prefix)."""
    try:
        canonical = phones.normalise(raw)
    except phones.PhoneError:
        return None
    return sorted({canonical, canonical.replace("-", "")})


# Scope actions that see a case reporter's phone in full (or after a reason, logged).
CASE_PHONE_ACTIONS = ("cases.reveal", "cases.hotline")


def case_phone_filter(user, raw: str, *, channel: str, request: HttpRequest | None = None) -> Q:
    """A Q on `reporter_phone` for a full phone number the user may search by, logged and
    counted (the `phone=` filter of the cases API).

    Raises ValidationError when `raw` is not a full phone number (never a prefix), and
    PermissionDenied / TooManyLookups as `guard()`.
    """
    forms = phone_forms(raw)
    if forms is None:
        raise ValidationError("按电话查找需要完整的电话号码（手机11位，固话如 0915-5212345）")
    guard(
        user,
        kind="phone",
        masked=phones.mask(forms[0]),
        actions=CASE_PHONE_ACTIONS,
        channel=channel,
        request=request,
    )
    return Q(reporter_phone__in=forms)


def queue_phone_q(request: HttpRequest, q: str) -> Q:
    """The phone part of a free-text search box (the case queue): when `q` is a full phone
    number and the user may search by phone, match it exactly (logged, counted); otherwise
    match nothing by phone. Past the limit the page says so and matches nothing."""
    user = request.user
    forms = phone_forms(q)
    if forms is None or not any(scope.can(user, a) for a in CASE_PHONE_ACTIONS):
        return Q(pk__in=[])
    try:
        return case_phone_filter(user, q, channel="page", request=request)
    except TooManyLookups as exc:
        messages.error(request, exc.message)
        return Q(pk__in=[])
