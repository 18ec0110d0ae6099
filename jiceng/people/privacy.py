"""Personal data (PIPL): the ONE place that decides what a viewer sees of a person and logs
every full view. Pages, the API and exports all present people through these functions.

The matrix (roles from `accounts.Role`, actions in `accounts.scope.ACTIONS`):

| role | lists, search results, exports | household file / resident record |
| --- | --- | --- |
| grid worker, community staff (`people.full`) | masked (full export with a reason) | full within their territory, each view logged with the reason "本辖区日常服务" |
| street dispatcher, district admin (`people.reveal`) | masked | masked; full after giving a reason, logged |
| auditor (`people.view` only) | masked | masked; no full view (the auditor reads the log, not the people) |
| department handler, resident, users without scope | nothing | nothing |

Masked means: ID number 610***********123X, phone 139****5678, digits of addresses as *,
no birth date (age only), no income, no values of care tags, and the names of sensitive
care tags (community correction, …) replaced by "特殊人群".
A user only ever sees rows of their own territory (`scope.code_filter`); masking is on top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog
from jiceng.lib import clientip, idcard, phones
from jiceng.people import tagschema
from jiceng.people.models import Household, Resident

DEFAULT_REASON = "本辖区日常服务"
MIN_REASON = 4
SENSITIVE_LABEL = "特殊人群"
FULL_FIELDS = "证件号码,电话,住址,出生日期,收入,标签详情"


@dataclass(frozen=True)
class Access:
    full: bool
    reason: str = ""


def decide(user, reason: str | None = None) -> Access:
    """Full or masked for this viewer; a reason is needed unless their role sees full data.

    Raises PermissionDenied when a role that may not reveal asks to, and ValidationError
    for a reason too short to mean anything.
    """
    scope.require(user, "people.view")
    # A superuser is not a grid worker: their full views ask for a reason (issue 17 item 16).
    if scope.can(user, "people.full") and not user.is_superuser:
        return Access(True, (reason or "").strip() or DEFAULT_REASON)
    if reason is None:
        return Access(False)
    if not scope.can(user, "people.reveal"):
        raise PermissionDenied("您的角色不能查看完整个人信息")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(f"请填写查看完整信息的事由（至少{MIN_REASON}个字）")
    return Access(True, reason[:300])


def client_ip(request) -> str | None:
    return clientip.client_ip(request)


def log_views(
    user,
    subjects: list[tuple[str, Any, str]],
    reason: str,
    channel: str,
    request=None,
    about: tuple[str, Any, str] | None = None,
):
    """Log one full view: ONE access-log row per view (decision 0071).

    A view of one person is a row about that person. A view of several people at once (a
    household with its members and contacts, an export) is a row `about` the household or
    the region, listing each person seen as an `AccessSubject`, so that "who viewed this
    resident" (`AccessLog.objects.about("resident", id)`) still finds it."""
    ip = client_ip(request)
    if about is None:
        if len(subjects) != 1:
            raise ValueError("a view of several people says what it is about")
        about, subjects = subjects[0], []
    AccessLog.record(
        user, about, reason, subjects=subjects, fields=FULL_FIELDS, channel=channel, ip=ip
    )


def household_subjects(h: Household) -> list[tuple[str, Any, str]]:
    """The people a full household view shows: each member, and each contact with a phone."""
    return [("resident", m.id, m.name) for m in h.members.all()] + contact_subjects(h)


def log_household_view(user, h: Household, access: Access, channel: str, request=None):
    """One row about the household, listing its members and contacts (decision 0071)."""
    log_views(
        user,
        household_subjects(h),
        access.reason,
        channel,
        request,
        about=("household", h.id, h.number),
    )


_DIGITS = re.compile(r"\d")


def mask_address(address: str) -> str:
    """Keep the place names, hide the numbers: 城关社区*号楼*单元***室."""
    return _DIGITS.sub("*", address or "")


def mask_id(id_type: str, number: str) -> str:
    return idcard.mask(number) if number else ""


def mask_query(q: str) -> str:
    """A number someone searched for, as it may be shown back to them."""
    q = q.strip()
    return q[:3] + "*" * max(0, len(q) - 7) + q[-4:] if len(q) > 7 else q


def age(birth: date | None, today: date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or timezone.localdate()  # the installation's day, not the machine's
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def tag_dict(tag, full: bool) -> dict:
    t = tag.type
    hidden = t.sensitive and not full
    return {
        "id": tag.id,
        "type": t.code if not hidden else "",
        "name": SENSITIVE_LABEL if hidden else t.name,
        "values": dict(tag.values) if full else {},
        "display": [{"label": a, "value": b} for a, b in tagschema.display(t.schema, tag.values)]
        if full
        else [],
        "since": tag.since.isoformat() if (full and tag.since) else None,
    }


_LABELS: dict[tuple[type, str], dict] = {}


def _label(obj: Any, field: str) -> str:
    """`obj.get_<field>_display()` without its per-call `make_hashable` (a county's export
    calls it hundreds of thousands of times): the field's choices as a dict, once."""
    key = (type(obj), field)
    labels = _LABELS.get(key)
    if labels is None:
        f = type(obj)._meta.get_field(field)
        labels = _LABELS[key] = dict(f.flatchoices)  # type: ignore[union-attr]
    value = getattr(obj, field)
    label = labels.get(value)
    # str() at each call: a lazy label follows the language active now
    return value if label is None else str(label)


def resident_dict(r: Resident, full: bool, tags: bool = True) -> dict:
    out = {
        "id": r.id,
        "name": r.name,
        "sex": _label(r, "sex") if r.sex else "",
        "age": age(r.birth_date),
        "birth_date": r.birth_date.isoformat() if (full and r.birth_date) else None,
        "id_type": _label(r, "id_type"),
        "id_number": r.id_number if full else mask_id(r.id_type, r.id_number),
        "phone": r.phone if full else phones.mask(r.phone),
        "address": r.address if full else mask_address(r.address),
        "kind": r.kind,
        "kind_label": _label(r, "kind"),
        "relation": r.relation,
        "relation_label": _label(r, "relation"),
        "ethnicity": r.ethnicity,
        "party_member": r.party_member,
        "household_id": r.household_id,
        "grid_code": r.grid_code,
        "masked": not full,
    }
    if tags:
        out["tags"] = [tag_dict(t, full) for t in r.tags.all() if t.ended_at is None]
    return out


def household_dict(h: Household, full: bool, members: bool = True) -> dict:
    out = {
        "id": h.id,
        "number": h.number,
        "grid_code": h.grid_code,
        "grid_name": h.grid.name if "grid" in h._state.fields_cache else "",
        "address": h.address if full else mask_address(h.address),
        "phone": h.phone if full else phones.mask(h.phone),
        "annual_income": float(h.annual_income) if (full and h.annual_income is not None) else None,
        "safe_family_years": h.safe_family_years,
        "members_count": h.members_count,
        "colour": h.colour,
        "colour_label": h.get_colour_display() if h.colour else "未评定",
        "colour_reasons": list(h.colour_reasons or []),
        "masked": not full,
    }
    if members:
        out["members"] = [resident_dict(r, full) for r in h.members.all()]
    return out


def contacts(h: Household, full: bool) -> list[dict]:
    """The household's three lines of contact (党员, 人大代表, 中心户长) as this viewer sees
    them: a contact's phone is personal data like a member's — masked unless `full`, and a
    full view is logged with the household (`contact_subjects`)."""
    return [
        {
            "id": c.id,
            "kind": c.kind,
            "kind_label": c.get_kind_display(),
            "name": c.name,
            "title": c.title,
            "phone": c.phone if full else phones.mask(c.phone),
        }
        for c in h.contacts.all()
    ]


def contact_subjects(h: Household) -> list[tuple[str, Any, str]]:
    """Access-log subjects for the contacts whose phones a full household view shows."""
    return [("contact", c.id, c.name) for c in h.contacts.all() if c.phone]


# Columns of exports, the same masking as pages and the API.
EXPORT_COLUMNS = [
    ("户号", "household_number"),
    ("网格代码", "grid_code"),
    ("姓名", "name"),
    ("与户主关系", "relation_label"),
    ("性别", "sex"),
    ("年龄", "age"),
    ("证件类型", "id_type"),
    ("证件号码", "id_number"),
    ("联系电话", "phone"),
    ("现住址", "address"),
    ("人口类型", "kind_label"),
    ("关爱标签", "tag_names"),
    ("户颜色", "colour_label"),
]


def export_row(r: Resident, full: bool) -> list:
    d = resident_dict(r, full)
    h = r.household
    d["household_number"] = h.number if h else ""
    d["colour_label"] = _label(h, "colour") if (h and h.colour) else ""
    d["tag_names"] = "、".join(t["name"] for t in d["tags"])
    return [d[key] if d[key] is not None else "" for _, key in EXPORT_COLUMNS]


def decide_export(user, reason: str | None) -> Access:
    """Exports are masked; a role that sees full data may export it in full with a reason."""
    scope.require(user, "people.export")
    if reason is None or not reason.strip():
        return Access(False)
    if not scope.can(user, "people.full"):
        raise PermissionDenied("您的角色只能导出脱敏数据")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(f"请填写导出完整信息的事由（至少{MIN_REASON}个字）")
    return Access(True, reason[:300])
