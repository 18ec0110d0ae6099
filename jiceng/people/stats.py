"""Counts for the village/street pages and the API: colours and care tags per child region,
in two grouped queries whatever the size of the territory."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count
from django.db.models.functions import Substr
from django.http import Http404

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog, AccessSubject
from jiceng.people.models import (
    Building,
    CareTag,
    CareTagType,
    Colour,
    Household,
    Organisation,
    Resident,
)
from jiceng.territory.models import Region

COLOURS = [c.value for c in Colour]


def region_for(user, code: str | None) -> Region:
    scope.require(user, "people.view")
    code = code or scope.scope_code(user)
    if not code or not code.isdigit():
        raise Http404("区域不存在或不在您的管辖范围内")
    region = Region.objects.filter(code=code).first()
    if region is None or not scope.can_see_code(user, region.code):
        raise Http404("区域不存在或不在您的管辖范围内")
    return region


def region_counts(user, code: str | None) -> dict:
    region = region_for(user, code)
    children = list(region.children.order_by("code"))
    child_len = len(children[0].code) if children else None
    rows: dict[str, dict] = {
        c.code: {
            "code": c.code,
            "name": c.name,
            **dict.fromkeys(COLOURS, 0),
            "unrated": 0,
            "total": 0,
        }
        for c in children
    }
    totals = {**dict.fromkeys(COLOURS, 0), "unrated": 0, "total": 0}
    qs = Household.objects.filter(grid_code__under=region.code)
    grouped: Any
    if child_len:
        grouped = (
            qs.annotate(child=Substr("grid_code", 1, child_len))
            .values("child", "colour")
            .annotate(n=Count("id"))
        )
    else:
        grouped = qs.values("colour").annotate(n=Count("id"))
    for g in grouped:
        key = g["colour"] or "unrated"
        totals[key] += g["n"]
        totals["total"] += g["n"]
        row = rows.get(g.get("child", ""))
        if row is not None:
            row[key] += g["n"]
            row["total"] += g["n"]
    tag_names = dict(CareTagType.objects.values_list("code", "name"))
    tags = (
        CareTag.objects.filter(ended_at__isnull=True, resident__grid_code__under=region.code)
        .values("type__code")
        .annotate(n=Count("id"))
        .order_by("type__order")
    )
    orgs = dict(
        Organisation.objects.filter(grid_code__under=region.code)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    residents = Resident.objects.filter(grid_code__under=region.code)
    by_kind = dict(residents.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    return {
        "region": {"code": region.code, "name": region.name, "level": region.get_level_display()},
        "totals": totals,
        "share": {
            c: round(100 * totals[c] / totals["total"], 1) if totals["total"] else 0.0
            for c in COLOURS
        },
        "children": list(rows.values()),
        "tags": [
            {"code": t["type__code"], "name": tag_names.get(t["type__code"], ""), "count": t["n"]}
            for t in tags
        ],
        "buildings": Building.objects.filter(grid_code__under=region.code).count(),
        "organisations": {
            "total": sum(orgs.values()),
            **{k.value: orgs.get(k.value, 0) for k in Organisation.Kind},
        },
        "residents": {
            "total": sum(by_kind.values()),
            **{k.value: by_kind.get(k.value, 0) for k in Resident.Kind},
        },
    }


def access_log_for(user):
    """Entries by viewers inside the auditor's territory (and the auditor's own)."""
    scope.require(user, "accesslog.view")
    code = scope.scope_code(user)
    qs = AccessLog.objects.select_related("viewer").order_by("-at", "-id")
    if user.is_superuser and code is None:
        return qs
    if code is None:
        return qs.none()
    from django.db.models import Q

    return qs.filter(Q(viewer__scope__code__under=code) | Q(viewer=user))


SUBJECT_REF = re.compile(r"^([a-z_.:]+)[#:](\w+)$")
SHOWN_SUBJECTS = 20


def filter_subject(qs, subject: str):
    """The auditor's "who viewed this person": `resident#12` (or `resident:12`) finds the
    views of that record, any other text the views naming it — whether the person was the
    view's subject or one of the people a household view or an export listed (0071)."""
    if not subject:
        return qs
    ref = SUBJECT_REF.match(subject)
    if ref:
        return qs.about(ref.group(1), ref.group(2))
    return qs.naming(subject)


def attach_subjects(rows) -> None:
    """Give each log row `listed` (up to SHOWN_SUBJECTS of the people it lists) and
    `listed_count`; two queries for a page of rows, whatever an export listed."""
    rows = list(rows)
    ids = [e.id for e in rows]
    counts = dict(
        AccessSubject.objects.filter(log_id__in=ids)
        .values_list("log_id")
        .annotate(n=Count("id"))
        .values_list("log_id", "n")
    )
    small = [i for i in ids if 0 < counts.get(i, 0) <= SHOWN_SUBJECTS]
    listed: dict[int, list] = {}
    for s in AccessSubject.objects.filter(log_id__in=small).order_by("id"):
        listed.setdefault(s.log_id, []).append(s)
    for e in rows:
        e.listed = listed.get(e.id, [])
        e.listed_count = counts.get(e.id, 0)
