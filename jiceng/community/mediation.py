"""Dispute mediation (矛盾纠纷调处): register, assign a mediator, sessions with minutes, an
agreement, failure, escalation village → town → county with its reason, follow-up of
performance, success rates per level, village and mediator, and the 红黑榜.

Who acts: staff with "community.mediate" whose scope covers the region whose committee
handles the dispute now (`handling_code`): a village's staff act while it is at the village;
once escalated to the town only the town (and the county) act; the village still sees it.

Success rate (三台 reports 85.7 % of disputes resolved, seed 004): for a level, a village or
a mediator, agreements / (agreements + failures + escalations away), counted from the
history (`DisputeEvent`), so a dispute escalated from the village counts against the
village and, if the town settles it, for the town.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog
from jiceng.community import access, board, facts
from jiceng.community.models import (
    Agreement,
    Committee,
    Dispute,
    DisputeEvent,
    DisputeParty,
    MediationLevel,
    MediationSession,
    Mediator,
)
from jiceng.lib import idcard, phones
from jiceng.lib.masks import mask_address, mask_name

L = MediationLevel
S = Dispute.Status
NEXT_LEVEL = {L.VILLAGE: L.TOWN, L.TOWN: L.COUNTY}
# The region code of the committee at each level, from the village code (12 digits).
LEVEL_CODE = {L.VILLAGE: lambda c: c, L.TOWN: lambda c: c[:9], L.COUNTY: lambda c: c[:6]}
# 红黑榜 of villages (三台): red at or above the county's reference rate, black below 60 %,
# only with enough concluded disputes to mean something.
RED_RATE = 0.857
BLACK_RATE = 0.6
MIN_CONCLUDED = 3
MIN_REASON = 4


# ---------------------------------------------------------------- who sees, who acts


def visible(user) -> QuerySet[Dispute]:
    """Disputes arising in the user's territory (a town sees its villages')."""
    scope.require(user, "community.mediate")
    qs = Dispute.objects.select_related("mediator", "committee")
    if user.is_superuser:
        return qs
    return qs.filter(scope.code_filter(user, "village_code"))


def get(user, number: str) -> Dispute:
    d = visible(user).filter(number=number).first()
    if d is None:
        raise Http404(gettext("该纠纷不存在或不在您的管辖范围内"))
    return d


def can_act(user, d: Dispute) -> bool:
    return d.open and access.staff_covers(user, d.handling_code, "community.mediate")


def _require_act(user, d: Dispute) -> None:
    if not access.staff_covers(user, d.handling_code, "community.mediate"):
        raise PermissionDenied(
            gettext("该纠纷已由%(level)s办理，您不能操作")
            % {"level": gettext(str(d.get_level_display()))}
        )
    if not d.open:
        raise ValidationError(
            gettext("该纠纷已%(status)s，不能再操作")
            % {"status": gettext(str(d.get_status_display()))}
        )


def _locked(d: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().get(pk=d.pk)


def _event(d: Dispute, kind: str, user, now: datetime, note: str = "", **kw) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=d,
        village_code=d.village_code,
        at=now,
        kind=kind,
        level=d.level,
        by=user,
        note=note,
        **kw,
    )


def _save(d: Dispute, fields: list[str]) -> None:
    d.version += 1
    d.save(update_fields=[*fields, "version"])


# ---------------------------------------------------------------- steps


@dataclass
class PartyIn:
    role: str
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""


def _clean_parties(parties: list[PartyIn]) -> list[PartyIn]:
    errors = []
    roles = {p.role for p in parties}
    if not {"applicant", "respondent"} <= roles:
        errors.append("须至少填写一名申请人和一名被申请人")
    for i, p in enumerate(parties, start=1):
        p.name = (p.name or "").strip()
        p.phone = (p.phone or "").strip().replace(" ", "").replace("-", "")
        p.id_number = (p.id_number or "").strip().upper()
        if p.role not in DisputeParty.Role.values:
            errors.append(f"第 {i} 位当事人：身份无效")
        if not p.name:
            errors.append(f"第 {i} 位当事人：请填写姓名")
        if p.phone and not (p.phone.isdigit() and 7 <= len(p.phone) <= 15):
            errors.append(f"第 {i} 位当事人：联系电话格式不正确")
        if p.id_number and not idcard.is_valid(p.id_number):
            errors.append(f"第 {i} 位当事人：身份证号码无效")
    if errors:
        raise ValidationError(errors)
    return parties


def register(
    user,
    village_code: str,
    *,
    kind: str,
    place: str,
    summary: str,
    parties: list[PartyIn],
    amount: Any = None,
    case_number: str = "",
    now: datetime | None = None,
) -> Dispute:
    """Register a dispute at the village's committee. `amount` in yuan (optional);
    `case_number` when the dispute came from the case loop (must be visible to the user)."""
    access.village(village_code)
    access.require_staff(user, village_code, "community.mediate")
    errors = []
    if kind not in Dispute.Kind.values:
        errors.append("纠纷类型无效")
    place = (place or "").strip()
    summary = (summary or "").strip()
    if not place:
        errors.append("请填写发生地点")
    if len(summary) < 10:
        errors.append("请填写纠纷简要情况（至少 10 个字）")
    value: Decimal | None = None
    if amount not in (None, ""):
        try:
            value = board.parse_amount(amount)
        except ValueError as exc:
            errors.append(f"涉及金额：{exc}")
    case_number = (case_number or "").strip()
    if case_number and case_number not in facts.visible_case_numbers(user, [case_number]):
        errors.append(f"诉求编号 {case_number} 不存在或不在您的管辖范围内")
    if errors:
        raise ValidationError(errors)
    parties = _clean_parties(parties)
    now = now or timezone.now()
    with transaction.atomic():
        committee = Committee.objects.filter(region_code=village_code, level=L.VILLAGE).first()
        d = Dispute.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:20]}",
            village_code=village_code,
            handling_code=village_code,
            level=L.VILLAGE,
            kind=kind,
            place=place[:200],
            amount=value,
            summary=summary,
            status=S.REGISTERED,
            committee=committee,
            case_number=case_number,
            created_by=user,
            created_at=now,
        )
        # 调 + date + id: readable on a printed agreement, unique without a counter table
        d.number = f"TJ{timezone.localtime(now):%Y%m%d}{d.pk:05d}"
        d.save(update_fields=["number"])
        DisputeParty.objects.bulk_create(
            DisputeParty(
                dispute=d,
                role=p.role,
                name=p.name[:50],
                phone=p.phone,
                id_number=p.id_number,
                address=(p.address or "").strip()[:200],
            )
            for p in parties
        )
        _event(d, "register", user, now, note=f"来自诉求 {case_number}" if case_number else "")
    return d


def mediators_for(d: Dispute) -> QuerySet[Mediator]:
    """Mediators of the committees at the level that handles the dispute now."""
    return Mediator.objects.filter(
        committee__region_code=d.handling_code, committee__level=d.level, active=True
    ).select_related("committee")


def assign(user, d: Dispute, mediator_id: int, now: datetime | None = None) -> Dispute:
    now = now or timezone.now()
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        m = mediators_for(d).filter(pk=mediator_id).first()
        if m is None:
            raise ValidationError(gettext("请选择本级调委会的调解员"))
        d.mediator = m
        d.committee = m.committee
        _save(d, ["mediator", "committee"])
        _event(d, "assign", user, now, mediator=m, note=m.name)
    return d


def add_session(
    user,
    d: Dispute,
    *,
    at: datetime,
    minutes: str,
    place: str = "",
    attendees: str = "",
    now: datetime | None = None,
) -> MediationSession:
    """A sitting with its minutes; the first sitting moves the dispute to 调解中."""
    now = now or timezone.now()
    minutes = (minutes or "").strip()
    if len(minutes) < 10:
        raise ValidationError(gettext("请填写调解笔录（至少 10 个字）"))
    if at > now:
        raise ValidationError(gettext("调解时间不能晚于现在"))
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        if d.mediator_id is None:
            raise ValidationError(gettext("请先指派调解员"))
        s = MediationSession.objects.create(
            dispute=d,
            at=at,
            place=(place or "").strip()[:200],
            mediator=d.mediator,
            attendees=(attendees or "").strip()[:300],
            minutes=minutes,
            recorded_by=user,
        )
        if d.status == S.REGISTERED:
            d.status = S.MEDIATING
            _save(d, ["status"])
        _event(d, "session", user, now, mediator=d.mediator)
    return s


def agree(
    user, d: Dispute, *, text: str, perform_by: date | None = None, now: datetime | None = None
) -> Agreement:
    """调解成功: the agreement text (printed for signing), the dispute concluded."""
    now = now or timezone.now()
    text = (text or "").strip()
    if len(text) < 10:
        raise ValidationError(gettext("请填写协议内容（至少 10 个字）"))
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        if not d.sessions.exists():
            raise ValidationError(gettext("须先记录至少一次调解"))
        a = Agreement.objects.create(
            dispute=d, text=text, perform_by=perform_by, signed_at=now, recorded_by=user
        )
        d.status = S.AGREED
        d.concluded_at = now
        d.outcome = "达成调解协议"
        _save(d, ["status", "concluded_at", "outcome"])
        _event(d, "agree", user, now, mediator=d.mediator)
    return a


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            gettext("请写明原因（至少 %(min_reason)s 个字）") % {"min_reason": MIN_REASON}
        )
    return reason


def fail(user, d: Dispute, reason: str, now: datetime | None = None) -> Dispute:
    """调解不成 at this level and not escalated: the parties are told of the other ways
    (诉讼、仲裁); the reason is kept."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        d.status = S.FAILED
        d.concluded_at = now
        d.outcome = reason
        _save(d, ["status", "concluded_at", "outcome"])
        _event(d, "fail", user, now, mediator=d.mediator, note=reason)
    return d


def withdraw(user, d: Dispute, reason: str, now: datetime | None = None) -> Dispute:
    """撤回: the applicant withdraws (settled between themselves, or gone to court). Neither a
    success nor a failure of mediation: it is left out of the rates."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        d.status = S.WITHDRAWN
        d.concluded_at = now
        d.outcome = reason
        _save(d, ["status", "concluded_at", "outcome"])
        _event(d, "withdraw", user, now, mediator=d.mediator, note=reason)
    return d


def escalate(user, d: Dispute, reason: str, now: datetime | None = None) -> Dispute:
    """Village → town → county, with the reason; the higher committee starts afresh."""
    reason = _reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        d = _locked(d)
        _require_act(user, d)
        nxt = NEXT_LEVEL.get(L(d.level))
        if nxt is None:
            raise ValidationError(gettext("县级调处中心已是最高一级，不能再上报"))
        _event(d, "escalate", user, now, mediator=d.mediator, to_level=nxt, note=reason)
        d.level = nxt
        d.handling_code = LEVEL_CODE[nxt](d.village_code)
        d.committee = Committee.objects.filter(region_code=d.handling_code, level=nxt).first()
        d.mediator = None
        d.status = S.REGISTERED
        _save(d, ["level", "handling_code", "committee", "mediator", "status"])
    return d


def record_performance(user, d: Dispute, performance: str, note: str, now=None) -> Dispute:
    """Follow-up of an agreement (回访履行情况)."""
    now = now or timezone.now()
    if performance not in ("performed", "partly", "breached"):
        raise ValidationError(gettext("履行情况无效"))
    with transaction.atomic():
        d = _locked(d)
        if not access.staff_covers(user, d.handling_code, "community.mediate"):
            raise PermissionDenied(gettext("您不能登记该纠纷的履行情况"))
        if d.status != S.AGREED:
            raise ValidationError(gettext("只有调解成功的纠纷才登记协议履行情况"))
        d.performance = performance
        _save(d, ["performance"])
        _event(
            d, "perform", user, now, note=f"{Dispute.Performance(performance).label} {note}".strip()
        )
    return d


# ---------------------------------------------------------------- personal data


def party_dict(p: DisputeParty, full: bool) -> dict[str, Any]:
    """A party as pages and the API show it: masked unless `full` (after `reveal`)."""
    return {
        "id": p.id,
        "role": p.role,
        "role_label": p.get_role_display(),
        "name": p.name if full else mask_name(p.name),
        "phone": p.phone if full else phones.mask(p.phone),
        "id_number": p.id_number if full else (idcard.mask(p.id_number) if p.id_number else ""),
        "address": p.address if full else mask_address(p.address),
        "masked": not full,
    }


def reveal(
    user, d: Dispute, reason: str, channel: str = "page", ip: str | None = None
) -> list[dict]:
    """The parties in full, after a reason; one access-log row per party (PIPL)."""
    if not scope.can(user, "community.reveal"):
        raise PermissionDenied(gettext("您的角色不能查看当事人完整信息"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            gettext("请填写查看完整信息的事由（至少%(min_reason)s个字）")
            % {"min_reason": MIN_REASON}
        )
    parties = list(d.parties.all())
    AccessLog.objects.bulk_create(
        AccessLog(
            viewer=user,
            subject_type="dispute_party",
            subject_id=str(p.pk),
            subject_label=f"{d.number} {p.get_role_display()}",
            fields="姓名,电话,证件号码,住址",
            reason=reason[:300],
            channel=channel,
            ip=ip,
        )
        for p in parties
    )
    return [party_dict(p, True) for p in parties]


def dispute_dict(d: Dispute, parties: list[dict] | None = None) -> dict[str, Any]:
    return {
        "number": d.number,
        "village_code": d.village_code,
        "level": d.level,
        "level_label": d.get_level_display(),
        "kind": d.kind,
        "kind_label": d.get_kind_display(),
        "status": d.status,
        "status_label": d.get_status_display(),
        "place": d.place,
        "amount": str(d.amount) if d.amount is not None else None,
        "summary": d.summary,
        "mediator": d.mediator.name if d.mediator else None,
        "case_number": d.case_number,
        "created_at": d.created_at.isoformat(),
        "concluded_at": d.concluded_at.isoformat() if d.concluded_at else None,
        "performance": d.performance,
        "parties": parties
        if parties is not None
        else [party_dict(p, False) for p in d.parties.all()],
    }


# ---------------------------------------------------------------- success rates, 红黑榜


def success_rate(agreed: int, failed: int, escalated: int) -> dict[str, Any]:
    """THE success rate, the only one: 调解成功 ÷ (调解成功 + 调解不成 + 上报上级), the
    formula printed on the stats page. Every figure there (headline, level, village,
    mediator) is this function of counts of history events, so they cannot disagree."""
    concluded = agreed + failed + escalated
    rate = (agreed / concluded) if concluded else None
    return {
        "agreed": agreed,
        "failed": failed,
        "escalated": escalated,
        "concluded": concluded,
        "rate": rate,
        "pct": f"{rate * 100:.1f}%" if rate is not None else "—",
    }


def rates(prefix: str, since: datetime | None = None) -> dict[str, Any]:
    """Success rates of disputes arising under `prefix` (a town's or county's code).

    Returns {"levels": {level: rate}, "villages": {code: rate at village level},
    "mediators": {mediator_id: rate}, "total": the sum of the level rows through the same
    formula (an escalation counts against the level it leaves, as in each row), "open":
    count}. One grouped query per figure.
    """
    ev = DisputeEvent.objects.filter(kind__in=["agree", "fail", "escalate"])
    if prefix:
        ev = ev.filter(village_code__under=prefix)
    if since is not None:
        ev = ev.filter(at__gte=since)
    # One grouped pass; the groups are bounded by villages × mediators × levels × kinds.
    by_level: dict[str, dict[str, int]] = {}
    villages: dict[str, dict[str, int]] = {}
    mediators: dict[int, dict[str, int]] = {}
    rows = ev.values_list("level", "village_code", "mediator_id", "kind").annotate(n=Count("id"))
    for level, code, mid, kind, n in rows:
        lv = by_level.setdefault(level, {})
        lv[kind] = lv.get(kind, 0) + n
        if level == L.VILLAGE:
            vv = villages.setdefault(code, {})
            vv[kind] = vv.get(kind, 0) + n
        if mid is not None:
            mv = mediators.setdefault(mid, {})
            mv[kind] = mv.get(kind, 0) + n

    def r(d: dict[str, int]) -> dict[str, Any]:
        return success_rate(d.get("agree", 0), d.get("fail", 0), d.get("escalate", 0))

    ds = Dispute.objects.filter(village_code__under=prefix) if prefix else Dispute.objects.all()
    if since is not None:
        ds = ds.filter(created_at__gte=since)
    counts = dict(ds.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    total: dict[str, int] = {}
    for lv_counts in by_level.values():
        for kind, n in lv_counts.items():
            total[kind] = total.get(kind, 0) + n
    return {
        "levels": {lv.value: r(by_level.get(lv.value, {})) for lv in L},
        "villages": {c: r(v) for c, v in villages.items()},
        "mediators": {m: r(v) for m, v in mediators.items()},
        "total": r(total),
        "open": counts.get(S.REGISTERED, 0) + counts.get(S.MEDIATING, 0),
    }


def honour_board(village_rates: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(red, black) village codes: red at or above RED_RATE, black below BLACK_RATE, each
    with at least MIN_CONCLUDED concluded disputes; best first / worst first."""
    ranked = [
        (c, v["rate"])
        for c, v in village_rates.items()
        if v["concluded"] >= MIN_CONCLUDED and v["rate"] is not None
    ]
    red = [c for c, rate in sorted(ranked, key=lambda x: -x[1]) if rate >= RED_RATE]
    black = [c for c, rate in sorted(ranked, key=lambda x: x[1]) if rate < BLACK_RATE]
    return red, black


def stats_prefix(user) -> str:
    """The territory whose rates a user may see."""
    scope.require(user, "community.mediation_stats")
    code = scope.scope_code(user)
    if code is None:
        if user.is_superuser:
            return ""
        raise PermissionDenied(gettext("您没有管辖区域"))
    return code


def open_q() -> Q:
    return Q(status__in=[S.REGISTERED, S.MEDIATING])
