"""Reads of cases for other apps and public pages (they never write).

Publishing (Open311, public boards), the resident's tracker lookup, the public timeline,
possible duplicates near a point, a caller's earlier cases.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
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


def text_q(typed: str, indexed: bool = True) -> Q:
    """Cases whose title or description contains `typed` (any substring: Chinese has no
    spaces to cut words at — docs/decisions/0054-cases-text-search-fts5.md).

    PostgreSQL: `LIKE '%…%'`, served by the pg_trgm GIN indexes (0049). SQLite: the FTS5
    trigram table, for three characters or more; shorter queries (积水, common in Chinese)
    give a trigram index nothing to look up and fall back to `LIKE` (a scan, bounded by the
    list's LIMIT when matches are common). Combine with the viewer's scope as usual: this
    is only the text part.

    `indexed=False` (PostgreSQL; a viewer whose scope is small, access.narrow_scope): the
    same test as STRPOS, which no index serves, so the planner checks the text on the
    scope's rows instead of rechecking every case the trigrams point at."""
    from django.db import connection
    from django.db.models import Value
    from django.db.models.expressions import RawSQL
    from django.db.models.functions import StrIndex
    from django.db.models.lookups import GreaterThan

    q = (typed or "").strip()
    if not indexed and connection.vendor == "postgresql":
        return Q(GreaterThan(StrIndex("title", Value(q)), 0)) | Q(
            GreaterThan(StrIndex("description", Value(q)), 0)
        )
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


# ---------------------------------------------------------------- lists: order and cursor
# Issue 11 part 3, docs/decisions/0078-cases-lists-keyset-and-indexes.md.

# A case number is `610921-20261122-0042` (intake.next_number): the county's code, a hyphen,
# the day, a hyphen, the day's counter. A query shaped like the number or its beginning
# (at least the code and the hyphen) is a number search: numbers alone, in number order,
# from the number's B-tree — never a text search that would sort every case of the county.
NUMBER_RE = re.compile(r"^\d{6}-\d{0,8}(?:-\d{0,6})?$")

# The orders of the lists, each with a unique last key so that a page boundary is exact
# (rows created in the same microsecond, a number search).
NEWEST = ("-created_at", "-id")
BY_NUMBER = ("-number",)


def page_of(qs: QuerySet[Case], start: int, n: int) -> list[Case]:
    """Rows [start, start + n) of an ordered queryset of cases, with their category and
    units, in one query of two steps: the ids of the page (narrow rows — the index, the
    filter, the LIMIT), then those rows joined. Joined first, the planner joins every
    matching case before the LIMIT whenever it must sort (a town's ~6,000 cases: 150 ms
    of joins for 51 rows at 1 M cases)."""
    order = list(qs.query.order_by)
    ids = qs.values("pk")[start : start + n]
    return list(
        Case.objects.filter(pk__in=ids)
        .select_related("category", "unit", "owner_unit")
        .order_by(*order)
    )


def looks_like_number(typed: str) -> bool:
    """Whether a search box's text is a case number or a beginning of one
    ('610921-2026', '610921-20261122-004'); a bare digit string is not (a phone, a code)."""
    return bool(NUMBER_RE.match((typed or "").strip()))


def number_q(typed: str) -> Q:
    """Cases whose number begins with `typed` (served by the number's indexes)."""
    return Q(number__startswith=(typed or "").strip())


class BadCursor(ValueError):
    """A list cursor that is not one this API gave for this order (edited, truncated, or
    from a list in another order)."""


def _b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def encode_cursor(order: tuple[str, ...], case: Case) -> str:
    """The opaque cursor after `case` in a list ordered by `order` (NEWEST or BY_NUMBER):
    URL-safe base64 of a small JSON array; the client hands it back unread."""
    if order == BY_NUMBER:
        return _b64(json.dumps(["n", case.number]))
    return _b64(json.dumps(["c", case.created_at.isoformat(), case.pk]))


def after_cursor(order: tuple[str, ...], token: str) -> Q:
    """The rows that come after the cursor `token` in `order` — a keyset condition, so a
    page costs the same at any depth and rows inserted meanwhile never shift a page.

    The NEWEST condition repeats `created_at <= t` on its own: that half is an index bound
    of every (…, created_at) index; the tie on the same instant is settled by id.
    Raises BadCursor for anything this function's twin `encode_cursor` did not make."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(token) from exc
    if not isinstance(data, list) or not data:
        raise BadCursor(token)
    if order == BY_NUMBER:
        if data[0] != "n" or len(data) != 2 or not isinstance(data[1], str):
            raise BadCursor(token)
        return Q(number__lt=data[1])
    if data[0] != "c" or len(data) != 3 or not isinstance(data[2], int):
        raise BadCursor(token)
    try:
        at = datetime.fromisoformat(str(data[1]))
    except ValueError as exc:
        raise BadCursor(token) from exc
    if at.tzinfo is None:
        raise BadCursor(token)
    return Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(id__lt=data[2]))
