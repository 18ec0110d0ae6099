"""Co-building agreements (迎泽 共建协议): a unit or company in the area agrees with a
community on commitments, through five steps with their dates — 商约 (negotiating) → 签约
(signed) → 亮约 (shown to residents) → 履约 (performing) → 评约 (evaluated).

Rules: steps go forward one at a time; signing needs at least one commitment; the
agreement is visible to residents from 亮约 on; evaluation needs every commitment rated
(1–5) and a written evaluation.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.community import access
from jiceng.community.models import CoAgreement, Commitment

G = CoAgreement.Stage
ORDER = [G.NEGOTIATING, G.SIGNED, G.SHOWN, G.PERFORMING, G.EVALUATED]
STAMP: dict[str, str] = {
    G.SIGNED: "signed_at",
    G.SHOWN: "shown_at",
    G.PERFORMING: "performing_at",
    G.EVALUATED: "evaluated_at",
}
PUBLIC = (G.SHOWN, G.PERFORMING, G.EVALUATED)


def start(
    user, village_code: str, *, partner: str, title: str, now: datetime | None = None
) -> CoAgreement:
    """商约: the community and the partner start negotiating."""
    access.village(village_code)
    access.require_staff(user, village_code, "community.publish")
    partner = (partner or "").strip()
    title = (title or "").strip()
    if not partner or not title:
        raise ValidationError(gettext("请填写共建单位和协议名称"))
    return CoAgreement.objects.create(
        village_code=village_code,
        partner=partner[:120],
        title=title[:120],
        negotiated_at=now or timezone.now(),
        created_by=user,
    )


def add_commitment(
    user, a: CoAgreement, text: str, by_partner: bool, due: date | None
) -> Commitment:
    access.require_staff(user, a.village_code, "community.publish")
    if a.stage != G.NEGOTIATING:
        raise ValidationError(gettext("协议签订后不能再增加承诺事项"))
    text = (text or "").strip()
    if len(text) < 4:
        raise ValidationError(gettext("请填写承诺事项"))
    return Commitment.objects.create(agreement=a, text=text[:300], by_partner=by_partner, due=due)


def advance(
    user, a: CoAgreement, evaluation: str = "", ratings: dict[int, int] | None = None, now=None
) -> CoAgreement:
    """Move to the next step, stamping its date."""
    access.require_staff(user, a.village_code, "community.publish")
    now = now or timezone.now()
    with transaction.atomic():
        a = CoAgreement.objects.select_for_update().get(pk=a.pk)
        i = ORDER.index(G(a.stage))
        if i == len(ORDER) - 1:
            raise ValidationError(gettext("协议已评约，流程结束"))
        nxt = ORDER[i + 1]
        commitments = list(a.commitments.all())
        if nxt == G.SIGNED and not commitments:
            raise ValidationError(gettext("须至少有一项承诺事项才能签约"))
        if nxt == G.EVALUATED:
            ratings = ratings or {}
            missing = [c for c in commitments if not 1 <= ratings.get(c.pk, 0) <= 5]
            if missing:
                raise ValidationError(gettext("评约须为每项承诺打分（1–5 分）"))
            if len((evaluation or "").strip()) < 4:
                raise ValidationError(gettext("请填写评约意见"))
            for c in commitments:
                c.rating = ratings[c.pk]
                c.save(update_fields=["rating"])
            a.evaluation = evaluation.strip()
        a.stage = nxt
        setattr(a, STAMP[nxt], now)
        a.save(update_fields=["stage", STAMP[nxt], "evaluation"])
    return a


def fulfil(user, c: Commitment, note: str, now=None) -> Commitment:
    """履约: a commitment carried out, with what was done."""
    a = CoAgreement.objects.get(pk=c.agreement_id)
    access.require_staff(user, a.village_code, "community.publish")
    if a.stage not in (G.SHOWN, G.PERFORMING):
        raise ValidationError(gettext("协议亮约后才登记履约情况"))
    if c.done_at is not None:
        raise ValidationError(gettext("该承诺已登记履行"))
    if len((note or "").strip()) < 4:
        raise ValidationError(gettext("请写明履行情况"))
    c.done_at = now or timezone.now()
    c.done_note = note.strip()[:300]
    c.save(update_fields=["done_at", "done_note"])
    return c


def for_village(code: str, public_only: bool) -> QuerySet[CoAgreement]:
    qs = CoAgreement.objects.filter(village_code=code).prefetch_related("commitments")
    return qs.filter(stage__in=PUBLIC) if public_only else qs
