"""A village's and a town's own set-up, edited on pages and recorded change by change:
mediation committees and their mediators, and the household-points rules (村规民约).

Rules (tests: jiceng/community/tests/test_config.py, each with a refused user):
1. Scope: staff edit the committees of the regions their scope covers — a village its own,
   a town its own and its villages' (`access.require_staff`); outside it is a 404.
2. Every change writes a `ConfigChange` row (before/after, who, when, why) in the same
   transaction; the rows are never edited nor deleted.
3. A points rule is versioned: a change retires the row and writes a new one that
   `replaces` it. Entries already made keep their rule and their points (which were copied
   when entered), so a rule change never changes past points; new entries take the new one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.community import access
from jiceng.community.models import (
    Committee,
    ConfigChange,
    MediationLevel,
    Mediator,
    PointRule,
)
from jiceng.territory.models import Level, Region

K = ConfigChange.Kind
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
LEVEL_OF = {Level.COUNTY: MediationLevel.COUNTY, Level.STREET: MediationLevel.TOWN,
            Level.VILLAGE: MediationLevel.VILLAGE}  # fmt: skip


def _log(user, region_code, kind, obj_id, action, before, after, reason="", now=None):
    ConfigChange.objects.create(
        region_code=region_code, kind=kind, object_id=obj_id, action=action,
        before=before, after=after, reason=(reason or "")[:300], by=user,
        at=now or timezone.now(),
    )  # fmt: skip


def _committee(c: Committee) -> dict[str, Any]:
    return {"name": c.name, "region_code": c.region_code, "level": c.level}


def _mediator(m: Mediator) -> dict[str, Any]:
    return {"name": m.name, "phone": m.phone, "active": m.active, "committee": m.committee_id}


def _rule(r: PointRule) -> dict[str, Any]:
    return {"category": r.category, "name": r.name, "points": r.points, "source": r.source}


# ---------------------------------------------------------------- committees and mediators


def add_committee(user, region_code: str, name: str = "") -> Committee:
    r = Region.objects.filter(code=str(region_code or "")).first()
    if r is None or r.level not in LEVEL_OF:
        raise ValidationError(gettext("请选择县、镇（街道）或村（社区）"))
    access.require_staff(user, r.code, "community.mediate")
    name = (name or "").strip() or f"{r.name}人民调解委员会"
    if len(name) > 100:
        raise ValidationError(gettext("调委会名称不能超过 100 字"))
    with transaction.atomic():
        if Committee.objects.filter(region_code=r.code, name=name).exists():
            raise ValidationError(gettext("「%(name)s」已经设立") % {"name": name})
        c = Committee.objects.create(name=name, region_code=r.code, level=LEVEL_OF[Level(r.level)])
        _log(user, c.region_code, K.COMMITTEE, c.pk, "create", {}, _committee(c))
    return c


def committee_for(user, pk) -> Committee:
    """A committee the user may edit (404 outside the scope, 403 without the role)."""
    c = Committee.objects.filter(pk=_int(pk)).first()
    if c is None:
        raise Http404(gettext("该调委会不存在"))
    access.require_staff(user, c.region_code, "community.mediate")
    return c


def edit_committee(user, pk, name: str) -> Committee:
    c = committee_for(user, pk)
    name = (name or "").strip()
    if len(name) < 2:
        raise ValidationError(gettext("请填写调委会名称"))
    if len(name) > 100:
        raise ValidationError(gettext("调委会名称不能超过 100 字"))
    with transaction.atomic():
        c = Committee.objects.select_for_update().get(pk=c.pk)
        if name == c.name:
            raise ValidationError(gettext("名称没有变化"))
        if Committee.objects.filter(region_code=c.region_code, name=name).exclude(pk=c.pk).exists():
            raise ValidationError(gettext("「%(name)s」已经设立") % {"name": name})
        before = _committee(c)
        c.name = name
        c.save(update_fields=["name"])
        _log(user, c.region_code, K.COMMITTEE, c.pk, "edit", before, _committee(c))
    return c


def _clean_mediator(name: str, phone: str) -> tuple[str, str]:
    name, phone = (name or "").strip(), re.sub(r"\s", "", phone or "")
    errors = []
    if len(name) < 2:
        errors.append("请填写调解员姓名（至少 2 个字）")
    elif len(name) > 50:
        errors.append("调解员姓名不能超过 50 字")
    if phone and not PHONE.match(phone):
        errors.append("电话号码格式不正确（手机 11 位，或带区号的固定电话）")
    if errors:
        raise ValidationError(errors)
    return name, phone


def add_mediator(user, committee_id, name: str, phone: str = "") -> Mediator:
    c = committee_for(user, committee_id)
    name, phone = _clean_mediator(name, phone)
    with transaction.atomic():
        if Mediator.objects.filter(committee=c, name=name, active=True).exists():
            raise ValidationError(
                gettext("%(name)s已有调解员「%(name2)s」") % {"name": c.name, "name2": name}
            )
        m = Mediator.objects.create(committee=c, name=name, phone=phone)
        _log(user, c.region_code, K.MEDIATOR, m.pk, "create", {}, _mediator(m))
    return m


def edit_mediator(user, pk, name: str, phone: str, active: bool) -> Mediator:
    m = Mediator.objects.select_related("committee").filter(pk=_int(pk)).first()
    if m is None:
        raise Http404(gettext("该调解员不存在"))
    access.require_staff(user, m.committee.region_code, "community.mediate")
    name, phone = _clean_mediator(name, phone)
    with transaction.atomic():
        m = Mediator.objects.select_for_update().select_related("committee").get(pk=m.pk)
        before = _mediator(m)
        m.name, m.phone, m.active = name, phone, bool(active)
        if _mediator(m) == before:
            raise ValidationError(gettext("没有修改任何内容"))
        m.save(update_fields=["name", "phone", "active"])
        action = "retire" if before["active"] and not m.active else "edit"
        _log(user, m.committee.region_code, K.MEDIATOR, m.pk, action, before, _mediator(m))
    return m


# ---------------------------------------------------------------- points rules (村规民约)


def _clean_rule(category: str, name: str, points, source: str) -> dict[str, Any]:
    errors = []
    category, name, source = (category or "").strip(), (name or "").strip(), (source or "").strip()
    if not category:
        errors.append("请填写类别")
    elif len(category) > 30:
        errors.append("类别不能超过 30 字")
    if not name:
        errors.append("请填写事项")
    elif len(name) > 100:
        errors.append("事项不能超过 100 字")
    if len(source) > 100:
        errors.append("依据不能超过 100 字")
    try:
        raw = re.sub(r"\s|分$", "", str(points)).replace("＋", "+").replace("−", "-")
        # 加 5 / 扣 3, as the 村规民约 write them
        raw = "-" + raw[1:] if raw[:1] == "扣" else raw[1:] if raw[:1] == "加" else raw
        pts = int(raw)
    except (TypeError, ValueError):
        pts = 0
        errors.append("分值应为整数，加分写正数，扣分写负数（如 -5）")
    else:
        if pts == 0 or abs(pts) > 100:
            errors.append("分值应为 −100 到 100 之间的非零整数")
    if errors:
        raise ValidationError(errors)
    return {"category": category, "name": name, "points": pts, "source": source}


def add_rule(user, village_code: str, *, category, name, points, source="") -> PointRule:
    access.village(village_code)
    access.require_staff(user, village_code, "community.points_approve")
    data = _clean_rule(category, name, points, source)
    with transaction.atomic():
        if PointRule.objects.filter(
            village_code=village_code, active=True, name=data["name"]
        ).exists():
            raise ValidationError(
                gettext("本村已有积分事项「%(name)s」，请修改原事项") % {"name": data["name"]}
            )
        r = PointRule.objects.create(village_code=village_code, **data)
        _log(user, village_code, K.POINT_RULE, r.pk, "create", {}, _rule(r))
    return r


def rule_for(user, village_code: str, pk) -> PointRule:
    access.village(village_code)
    access.require_staff(user, village_code, "community.points_approve")
    r = PointRule.objects.filter(pk=_int(pk), village_code=village_code).first()
    if r is None:
        raise Http404(gettext("该积分事项不存在"))
    return r


def edit_rule(
    user, village_code: str, pk, *, category, name, points, source="", reason="",
    now: datetime | None = None,
) -> PointRule:  # fmt: skip
    """A new version of the rule; the old one is retired (its entries keep it)."""
    r = rule_for(user, village_code, pk)
    data = _clean_rule(category, name, points, source)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(gettext("请写明修改原因（如：村民代表会议修订村规民约）"))
    now = now or timezone.now()
    with transaction.atomic():
        old = PointRule.objects.select_for_update().get(pk=r.pk)
        if not old.active:
            raise ValidationError(gettext("该事项已停用或已被新版本取代，不能再修改"))
        if _rule(old) == data:
            raise ValidationError(gettext("没有修改任何内容"))
        if (
            PointRule.objects.filter(village_code=village_code, active=True, name=data["name"])
            .exclude(pk=old.pk)
            .exists()
        ):
            raise ValidationError(gettext("本村已有积分事项「%(name)s」") % {"name": data["name"]})
        old.active, old.retired_at = False, now
        old.save(update_fields=["active", "retired_at"])
        new = PointRule.objects.create(village_code=village_code, replaces=old, **data)
        _log(user, village_code, K.POINT_RULE, new.pk, "edit", _rule(old) | {"id": old.pk},
             _rule(new) | {"id": new.pk}, reason, now)  # fmt: skip
    return new


def retire_rule(user, village_code: str, pk, reason: str, now=None) -> PointRule:
    r = rule_for(user, village_code, pk)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(gettext("请写明停用原因"))
    now = now or timezone.now()
    with transaction.atomic():
        r = PointRule.objects.select_for_update().get(pk=r.pk)
        if not r.active:
            raise ValidationError(gettext("该事项已停用"))
        r.active, r.retired_at = False, now
        r.save(update_fields=["active", "retired_at"])
        _log(user, village_code, K.POINT_RULE, r.pk, "retire", _rule(r), {}, reason, now)
    return r


def changes(prefix: str, kinds: list[str], limit: int = 100):
    """The newest changes under a region code (a village, a town), for the pages."""
    return (
        ConfigChange.objects.filter(region_code__under=prefix, kind__in=kinds)
        .select_related("by")
        .order_by("-at", "-id")[:limit]
    )


def _int(raw) -> int:
    try:
        v = int(str(raw))
    except (TypeError, ValueError):
        return 0
    return v if 0 < v < 2**31 else 0
