"""免证办 (certificate-free): materials satisfied by a record already on file.

Which materials may be taken from file is data on the material (`Material.on_file_kind`):
- `resident_id`: the applicant's resident record in the people app (found by the keyed
  hash of the ID number the clerk types, never stored; the name must match and the
  resident must live in the applicant's village);
- `household`: that resident's household (户籍信息);
- `earlier_result[:<item code>]`: a finished (办结/送达) earlier application of the same
  applicant (name and phone), of that item if one is named — e.g. an earlier certificate.

The reference is stored (`MaterialReference`: which record, when, by whom) and the
retrieval is written to the access log like any full view of personal data.

This module is the service hall's one reader of the people app's records: the people app
has no public "find a resident by ID number without a lookup quota" function for another
app, so the lookup is written here (`find_resident`) on its public `id_hash` helper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.models import AccessLog
from jiceng.lib import clientip, idcard
from jiceng.servicehall.models import (
    Application,
    Material,
    MaterialReference,
    OnFileSource,
    Status,
)

FIELDS = {
    OnFileSource.RESIDENT_ID: "姓名,证件号码",
    OnFileSource.HOUSEHOLD: "户号,户主,住址",
    OnFileSource.EARLIER_RESULT: "办件结果",
}


@dataclass(frozen=True)
class Ref:
    material_id: int
    source: str
    record_type: str
    record_id: str
    label: str


def source_of(m: Material) -> tuple[str, str] | None:
    """(source, item code) of a material that may be taken from file, else None."""
    kind = {"id_card": "resident_id", "household_register": "household"}.get(
        m.on_file_kind, m.on_file_kind
    )
    base, _, code = kind.partition(":")
    return (base, code) if base in OnFileSource.values else None


def find_resident(id_number: str, region_code: str, name: str):
    """The resident with this ID number living under the village, with this name."""
    from jiceng.people.models import Resident
    from jiceng.people.services import id_hash

    number = idcard.normalise(id_number)
    if not idcard.is_valid(number):
        return None
    number = idcard.parse(number).number
    r = (
        Resident.objects.select_related("household")
        .filter(id_hash=id_hash(Resident.IdType.ID_CARD, number), grid_code__under=region_code)
        .first()
    )
    return r if r is not None and r.name == name else None


def resolve(m: Material, region_code: str, name: str, phone: str, id_number: str) -> Ref:
    """The record that satisfies material `m`; raises ValueError (Chinese) when none does."""
    src = source_of(m)
    if src is None:
        raise ValueError(gettext("「%(name)s」不在可免提交之列，须当场提交") % {"name": m.name})
    source, code = src
    if source in (OnFileSource.RESIDENT_ID, OnFileSource.HOUSEHOLD):
        if not id_number.strip():
            raise ValueError(
                gettext("「%(name)s」免提交须录入申请人身份证号码，用于从人口库调取")
                % {"name": m.name}
            )
        if not idcard.is_valid(idcard.normalise(id_number)):
            raise ValueError(gettext("申请人身份证号码不正确，无法调取人口库信息"))
        r = find_resident(id_number, region_code, name)
        if r is None:
            raise ValueError(
                gettext(
                    "人口库中未找到申请人（%(name)s）在本村（社区）的登记，「%(name2)s」须当场提交"
                )
                % {"name": name, "name2": m.name}
            )
        masked = idcard.mask(idcard.parse(idcard.normalise(id_number)).number)
        if source == OnFileSource.RESIDENT_ID:
            return Ref(m.id, source, "people.resident", str(r.pk), f"居民档案 {r.name} · {masked}")
        h = r.household
        if h is None:
            raise ValueError(
                gettext("人口库中申请人未登记户籍信息，「%(name)s」须当场提交") % {"name": m.name}
            )
        head = next((p.name for p in h.members.all() if p.relation == "head"), "")
        return Ref(m.id, source, "people.household", str(h.pk),
                   f"户籍档案 户号 {h.number}" + (f" · 户主 {head}" if head else ""))  # fmt: skip
    qs = Application.objects.select_related("version__item").filter(
        applicant_name=name, applicant_phone=phone,
        status__in=[Status.APPROVED, Status.DELIVERED])  # fmt: skip
    if code:
        qs = qs.filter(version__item__code=code)
    earlier = qs.order_by("-finished_at").first()
    if earlier is None:
        raise ValueError(
            gettext("未找到申请人此前办结的相关办件，「%(name)s」须当场提交") % {"name": m.name}
        )
    when = timezone.localdate(earlier.finished_at).isoformat() if earlier.finished_at else ""
    return Ref(m.id, source, "servicehall.application", earlier.number,
               f"办件 {earlier.number}「{earlier.version.item.name}」{when} 办结")  # fmt: skip


def record(app: Application, refs: list[Ref], user, now: datetime, channel: str = "page",
           request=None) -> None:  # fmt: skip
    """Store the references and log each retrieval (inside the intake's transaction)."""
    if not refs:
        return
    who = user.display_name if getattr(user, "pk", None) else "申请人"
    names = {m.id: m.name for m in app.version.materials.all()}
    MaterialReference.objects.bulk_create(
        MaterialReference(application=app, material_id=r.material_id, source=r.source,
                          record_type=r.record_type, record_id=r.record_id, label=r.label[:120],
                          by=user if getattr(user, "pk", None) else None, by_name=who[:50],
                          at=now)
        for r in refs
    )  # fmt: skip
    if getattr(user, "pk", None):
        ip = clientip.client_ip(request) if request is not None else None
        AccessLog.objects.bulk_create(
            AccessLog(viewer=user, subject_type=r.record_type, subject_id=r.record_id,
                      subject_label=r.label[:100], fields=FIELDS[OnFileSource(r.source)],
                      reason=f"免证办调取：办件 {app.number}「{names.get(r.material_id, '')}」"[:300],
                      channel=channel, ip=ip)
            for r in refs
        )  # fmt: skip
