"""The service catalogue (事项清单): publishing versions of an item's guide.

Rule (Open Zaak's versioned case types): a published version is never edited; a change
publishes version n+1 and makes it current. Applications keep the version they were made
under, so a resident is judged by the guide in force when they applied.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jiceng.servicehall.models import ItemVersion, Material, ServiceItem
from jiceng.servicehall.schemas import (
    LEVEL_NAME,
    LEVEL_NUMBER,
    GuideIn,
    GuideOut,
    MaterialIn,
    MaterialOut,
)

# guide fields compared to decide whether a re-import changes anything
_GUIDE_FIELDS = (
    "basis", "conditions", "accepting_unit", "place", "process", "fees", "legal_days",
    "promised_days", "hours", "enquiry_phone", "supervision_phone", "allows_pending",
    "pending_days", "may_suspend", "may_extend", "extension_days",
)  # fmt: skip


def _same(v: ItemVersion, g: GuideIn) -> bool:
    if any(getattr(v, f) != getattr(g, f) for f in _GUIDE_FIELDS):
        return False
    if v.accept_levels != [LEVEL_NUMBER[x] for x in g.accept_levels]:
        return False
    if v.flow != [LEVEL_NUMBER[x] for x in g.flow]:
        return False
    have = [
        (m.name, m.copies, m.original, m.required, m.pendable, m.on_file_kind)
        for m in v.materials.all()
    ]
    want = [
        (m.name, m.copies, m.original, m.required, m.pendable, m.on_file_kind) for m in g.materials
    ]
    return have == want


def publish(guide: GuideIn, user=None, now: datetime | None = None) -> tuple[ItemVersion, bool]:
    """Publish `guide` as the item's next version; (version, created).

    An unchanged guide publishes nothing and returns the current version with False, so a
    catalogue can be re-imported without piling up identical versions. Must run inside the
    caller's transaction or opens its own.
    """
    now = now or timezone.now()
    with transaction.atomic():
        item, _ = ServiceItem.objects.select_for_update().get_or_create(
            code=guide.code,
            defaults={"name": guide.name, "department": guide.department, "topic": guide.topic},
        )
        if item.current_id is not None:
            cur = ItemVersion.objects.prefetch_related("materials").get(pk=item.current_id)
            if (
                _same(cur, guide)
                and item.name == guide.name
                and item.department == guide.department
                and item.topic == guide.topic
            ):
                return cur, False
        last = item.versions.order_by("-version").values_list("version", flat=True).first() or 0
        v = ItemVersion.objects.create(
            item=item,
            version=last + 1,
            published_at=now,
            published_by=user if getattr(user, "pk", None) else None,
            accept_levels=[LEVEL_NUMBER[x] for x in guide.accept_levels],
            flow=[LEVEL_NUMBER[x] for x in guide.flow],
            note=guide.note,
            **{f: getattr(guide, f) for f in _GUIDE_FIELDS},
        )
        Material.objects.bulk_create(
            Material(
                version=v,
                position=i,
                name=m.name,
                copies=m.copies,
                original=m.original,
                required=m.required,
                pendable=m.pendable,
                on_file_kind=m.on_file_kind,
            )
            for i, m in enumerate(guide.materials, start=1)
        )
        item.name, item.department, item.topic, item.current = (
            guide.name,
            guide.department,
            guide.topic,
            v,
        )
        item.save(update_fields=["name", "department", "topic", "current"])
    return v, True


def published() -> QuerySet[ServiceItem]:
    """Items with a version in force, their current guide and its materials loaded."""
    return (
        ServiceItem.objects.filter(current__isnull=False)
        .select_related("current")
        .prefetch_related("current__materials")
        .order_by("code")
    )


def guide_out(v: ItemVersion) -> GuideOut:
    item = v.item
    return GuideOut(
        code=item.code,
        name=item.name,
        department=item.department,
        topic=item.topic,
        version=v.version,
        published_at=v.published_at,
        basis=v.basis,
        conditions=v.conditions,
        accepting_unit=v.accepting_unit,
        place=v.place,
        process=v.process,
        fees=v.fees,
        legal_days=v.legal_days,
        promised_days=v.promised_days,
        compression=round(v.compression, 4),
        hours=v.hours,
        enquiry_phone=v.enquiry_phone,
        supervision_phone=v.supervision_phone,
        accept_levels=[LEVEL_NAME[x] for x in v.accept_levels],  # type: ignore[misc]
        flow=[LEVEL_NAME[x] for x in v.flow],  # type: ignore[misc]
        allows_pending=v.allows_pending,
        may_suspend=v.may_suspend,
        may_extend=v.may_extend,
        extension_days=v.extension_days,
        materials=[
            MaterialOut(
                id=m.id,
                name=m.name,
                copies=m.copies,
                original=m.original,
                required=m.required,
                pendable=m.pendable,
                on_file_kind=m.on_file_kind,
            )
            for m in v.materials.all()
        ],
    )


def guide_from_version(v: ItemVersion) -> GuideIn:
    """The version as an input guide (for export and re-publication)."""
    item = v.item
    return GuideIn(
        code=item.code,
        name=item.name,
        department=item.department,
        topic=item.topic,
        accept_levels=[LEVEL_NAME[x] for x in v.accept_levels],  # type: ignore[misc]
        flow=[LEVEL_NAME[x] for x in v.flow],  # type: ignore[misc]
        note=v.note,
        materials=[
            MaterialIn(
                name=m.name,
                copies=m.copies,
                original=m.original,
                required=m.required,
                pendable=m.pendable,
                on_file_kind=m.on_file_kind,
            )
            for m in v.materials.all()
        ],
        **{f: getattr(v, f) for f in _GUIDE_FIELDS},
    )
