"""Reads of cases for other apps and public pages (they never write).

Publishing (Open311, public boards), the resident's tracker lookup, the public timeline,
possible duplicates near a point, a caller's earlier cases.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.cases.models import Case, CaseEvent, Category, RequestType, Status
from jiceng.cases.workflow import OPEN_STATES
from jiceng.lib import phones

PUBLIC_STATUSES = ("open", "closed")


def find_public(number: str, phone: str) -> Case:
    """The case a resident follows by its number and the reporter's phone; Http404 when the
    pair does not match (no hint which half is wrong)."""
    try:
        phone = phones.normalise(phone) if (phone or "").strip() else ""
    except phones.PhoneError:
        phone = ""
    case = Case.objects.filter(number=(number or "").strip()).first()
    if case is None or not phone or case.reporter_phone != phone:
        raise Http404(gettext("未找到该编号与手机号对应的诉求"))
    return case


def public_cases(channels: Iterable[str], statuses: Iterable[str] = ()) -> QuerySet[Case]:
    """Cases that may be published (Open311 GET requests, public boards).

    Only cases that came in through `channels`; never a 举报 (report of wrongdoing — the
    reporter's protection is a legal duty whatever the channel). `statuses` ⊆ {"open",
    "closed"} filters by `case.public_status`; none or both: all. Raises ValueError for
    another status. What of a case may be shown is the README's Open311 field list (never
    the reporter).
    """
    wanted = set(statuses)
    bad = wanted - set(PUBLIC_STATUSES)
    if bad:
        raise ValueError(f"unknown public status: {sorted(bad)[0]}")
    qs = (
        Case.objects.filter(channel__in=list(channels))
        .exclude(request_type=RequestType.REPORT)
        .select_related("category", "unit", "owner_unit")
    )
    if wanted == {"open"}:
        qs = qs.filter(status__in=OPEN_STATES)
    elif wanted == {"closed"}:
        qs = qs.exclude(status__in=OPEN_STATES)
    return qs


def public_events(case: Case) -> QuerySet[CaseEvent]:
    """The events shown to the resident, oldest first."""
    return case.events.filter(public=True).order_by("at", "id")


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def possible_duplicates(
    *,
    category: Category | None,
    lon: float | None,
    lat: float | None,
    metres: float = 200,
    days: int = 7,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 10,
    region_code: str = "",
) -> list[Case]:
    """Open or recent cases of the same category within `metres` (bbox, then distance);
    without a position, in the same village/community (`region_code`, 12+ digits).
    Not scoped: callers keep only what `visible_cases` lets the viewer see."""
    if category is None:
        return []
    now = now or timezone.now()
    if lon is None or lat is None:
        if len(region_code) < 12:
            return []
        near = (
            Case.objects.filter(
                category=category,
                created_at__gte=now - timedelta(days=days),
                region_code__under=region_code[:12],
            )
            .exclude(status__in=[Status.CANCELLED, Status.MERGED])
            .exclude(pk=exclude or 0)
            .order_by("-created_at")
        )
        return list(near[:limit])
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    qs = Case.objects.filter(
        category=category,
        created_at__gte=now - timedelta(days=days),
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    ).exclude(status__in=[Status.CANCELLED, Status.MERGED])
    if exclude:
        qs = qs.exclude(pk=exclude)
    out = []
    for c in qs.order_by("-created_at")[: limit * 3]:
        if c.lon is None or c.lat is None:
            continue
        if metres_between(lon, lat, c.lon, c.lat) <= metres:
            out.append(c)
    return out[:limit]


FTS_TABLE = "cases_case_fts"  # migration 0012, SQLite only
MIN_INDEXED = 3  # a trigram index needs three characters to look anything up
_fts: dict[str, bool] = {}


def _has_fts() -> bool:
    """Whether this SQLite database has the FTS5 trigram table (asked once per process
    and database name)."""
    from django.db import connection

    key = str(connection.settings_dict["NAME"])
    if key not in _fts:
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [FTS_TABLE])
            _fts[key] = cur.fetchone() is not None
    return _fts[key]


def text_q(typed: str) -> Q:
    """Cases whose title or description contains `typed` (any substring: Chinese has no
    spaces to cut words at — docs/decisions/0054-cases-text-search-fts5.md).

    PostgreSQL: `LIKE '%…%'`, served by the pg_trgm GIN indexes (0049). SQLite: the FTS5
    trigram table, for three characters or more; shorter queries (积水, common in Chinese)
    give a trigram index nothing to look up and fall back to `LIKE` (a scan, bounded by the
    list's LIMIT when matches are common). Combine with the viewer's scope as usual: this
    is only the text part."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    q = (typed or "").strip()
    like = Q(title__contains=q) | Q(description__contains=q)
    if connection.vendor != "sqlite" or len(q) < MIN_INDEXED or not _has_fts():
        return like
    phrase = '"' + q.replace('"', '""') + '"'  # one FTS5 phrase: the substring as typed
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrase]))


def phone_q(typed: str) -> Q:
    """Reporter phones equal to a whole number, however it was written (phones.normalise's
    stored form). Never a beginning: a filter on a masked value would reveal it digit by digit
    (issue 9). Who may search by phone, and the logging of it, is `accounts.lookups`."""
    raw = (typed or "").strip()
    if not phones.is_valid(raw):
        return Q(pk__in=[])
    return Q(reporter_phone=phones.normalise(raw))


def handling_unit_name(case: Case) -> str:
    """The unit answering for the case now (Open311 agency_responsible)."""
    u = case.unit or case.owner_unit
    return u.name if u else ""
