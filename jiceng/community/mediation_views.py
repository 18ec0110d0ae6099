"""Pages of dispute mediation: list, register, the dispute with its steps, the printable
agreement, committees and mediators, success rates and the 红黑榜 for the town."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.community import access, config, facts, filters, mediation
from jiceng.community.models import Committee, Dispute, MediationLevel, Mediator
from jiceng.lib import paging
from jiceng.lib.filters import on_page
from jiceng.territory.models import Level, Region


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _names(codes) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


@login_required
def disputes(request):
    qs = mediation.visible(request.user)
    # a value outside its choices is named with them, not a silent full list
    f = on_page(request, [filters.DISPUTE_STATUS_PAGE, filters.DISPUTE_LEVEL])
    status, level = f["status"], f["level"]
    if status == "open":
        qs = qs.filter(mediation.open_q())
    elif status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    page = paging.page_for(request, qs.order_by("-created_at"), 30)
    names = _names(d.village_code for d in page)
    prefix = scope.scope_code(request.user) or ""
    villages = Region.objects.filter(level=Level.VILLAGE, code__under=prefix).order_by("code")[:300]
    return render(
        request,
        "community/disputes.html",
        {
            "page": page,
            "names": names,
            "rows": [(d, names.get(d.village_code, d.village_code)) for d in page],
            "status": status,
            "level": level,
            "statuses": Dispute.Status.choices,
            "levels": MediationLevel.choices,
            "villages": villages,
        },
    )


def _parties_from(post) -> list[mediation.PartyIn]:
    out = []
    for i in range(1, 5):
        name = (post.get(f"p{i}_name") or "").strip()
        if not name and not post.get(f"p{i}_phone"):
            continue
        out.append(
            mediation.PartyIn(
                role=post.get(f"p{i}_role", ""),
                name=name,
                phone=post.get(f"p{i}_phone", ""),
                id_number=post.get(f"p{i}_id", ""),
                address=post.get(f"p{i}_address", ""),
            )
        )
    return out


@login_required
def dispute_new(request):
    scope.require(request.user, "community.mediate")
    prefix = scope.scope_code(request.user) or ""
    villages = Region.objects.filter(level=Level.VILLAGE, code__under=prefix).order_by("code")[:300]
    if request.method == "POST":
        try:
            d = mediation.register(
                request.user,
                request.POST.get("village", ""),
                kind=request.POST.get("kind", ""),
                place=request.POST.get("place", ""),
                summary=request.POST.get("summary", ""),
                amount=request.POST.get("amount", ""),
                case_number=request.POST.get("case_number", ""),
                parties=_parties_from(request.POST),
            )
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            flash.success(request, f"已登记纠纷 {d.number}")
            return redirect("community:dispute", number=d.number)
    return render(
        request,
        "community/dispute_new.html",
        {
            "villages": villages,
            "kinds": Dispute.Kind.choices,
            "form": request.POST,
            # what was typed comes back after an error (the parties are the slow part to type)
            "slots": [
                {
                    "i": i,
                    "role": request.POST.get(f"p{i}_role")
                    or ("respondent" if i == 2 else "applicant"),
                    **{
                        k: request.POST.get(f"p{i}_{k}", "")
                        for k in ("name", "phone", "id", "address")
                    },
                }
                for i in range(1, 5)
            ],
            "case_number": request.GET.get("case", ""),
        },
    )


def _when(raw: str) -> datetime:
    try:
        dt = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError(gettext("调解时间格式不正确")) from None
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _day(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(gettext("履行期限格式应为 2026-12-31")) from None


@login_required
def dispute_detail(request, number: str):
    user = request.user
    d = mediation.get(user, number)
    full = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        p = request.POST
        try:
            if action == "reveal":
                full = mediation.reveal(
                    user, d, p.get("reason", ""), ip=request.META.get("REMOTE_ADDR")
                )
            elif action == "assign":
                mediation.assign(user, d, int(p.get("mediator") or 0))
            elif action == "session":
                mediation.add_session(
                    user,
                    d,
                    at=_when(p.get("at", "")),
                    minutes=p.get("minutes", ""),
                    place=p.get("place", ""),
                    attendees=p.get("attendees", ""),
                )
            elif action == "agree":
                mediation.agree(
                    user, d, text=p.get("text", ""), perform_by=_day(p.get("perform_by", ""))
                )
            elif action == "fail":
                mediation.fail(user, d, p.get("reason", ""))
            elif action == "withdraw":
                mediation.withdraw(user, d, p.get("reason", ""))
            elif action == "escalate":
                mediation.escalate(user, d, p.get("reason", ""))
            elif action == "perform":
                mediation.record_performance(user, d, p.get("performance", ""), p.get("note", ""))
            else:
                raise ValidationError(gettext("未知的操作"))
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        except PermissionDenied as exc:
            flash.error(request, str(exc))
        else:
            if action != "reveal":
                flash.success(request, "已保存")
                return redirect("community:dispute", number=number)
        d = mediation.get(user, number)
    parties = full or [mediation.party_dict(x, False) for x in d.parties.all()]
    names = _names([d.village_code, d.handling_code])
    return render(
        request,
        "community/dispute.html",
        {
            "d": d,
            "parties": parties,
            "full": full is not None,
            "village_name": names.get(d.village_code, d.village_code),
            "handling_name": names.get(d.handling_code, d.handling_code),
            "sessions": list(d.sessions.select_related("mediator")),
            "events": list(d.events.select_related("by", "mediator")),
            "agreement": getattr(d, "agreement", None)
            if d.status == Dispute.Status.AGREED
            else None,
            "can_act": mediation.can_act(user, d),
            "can_follow": d.status == Dispute.Status.AGREED
            and access.staff_covers(user, d.handling_code, "community.mediate"),
            "can_reveal": scope.can(user, "community.reveal"),
            "can_open_case": bool(d.case_number)
            and d.case_number in facts.visible_case_numbers(user, [d.case_number]),
            "mediators": mediation.mediators_for(d),
            "next_level": mediation.NEXT_LEVEL.get(MediationLevel(d.level)),
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "performances": [c for c in Dispute.Performance.choices if c[0]],
        },
    )


@login_required
def agreement_print(request, number: str):
    """The agreement to print and sign: the parties' full names are needed on paper, so
    opening it is a full view of their data, logged with the reason 打印调解协议书."""
    user = request.user
    d = mediation.get(user, number)
    if d.status != Dispute.Status.AGREED:
        raise PermissionDenied(gettext("该纠纷尚未达成协议"))
    parties = mediation.reveal(user, d, "打印调解协议书", ip=request.META.get("REMOTE_ADDR"))
    names = _names([d.village_code, d.handling_code])
    return render(
        request,
        "community/agreement.html",
        {
            "d": d,
            "a": d.agreement,
            "parties": parties,
            "committee": d.committee.name if d.committee else names.get(d.handling_code, ""),
            "village_name": names.get(d.village_code, ""),
        },
    )


@login_required
def committees(request):
    """Committees and mediators of the user's territory: a village edits its own, a town its
    own and its villages' (config.py); every change is kept in the history below."""
    user = request.user
    scope.require(user, "community.mediate")
    prefix = scope.scope_code(user) or ""
    if not prefix and not user.is_superuser:
        raise PermissionDenied(gettext("您的账号没有辖区，不能管理调委会"))
    if request.method == "POST":
        p = request.POST
        action = p.get("action", "")
        try:
            if action == "committee":
                config.add_committee(user, p.get("region", ""), p.get("name", ""))
            elif action == "committee_edit":
                config.edit_committee(user, p.get("committee"), p.get("name", ""))
            elif action == "mediator":
                config.add_mediator(user, p.get("committee"), p.get("name", ""), p.get("phone", ""))
            elif action == "mediator_edit":
                config.edit_mediator(
                    user,
                    p.get("mediator"),
                    p.get("name", ""),
                    p.get("phone", ""),
                    p.get("active") == "on",
                )
            else:
                raise ValidationError(gettext("未知的操作"))
        except ValidationError as exc:
            flash.error(request, _errors(exc))
            return render(request, "community/committees.html", _committees_ctx(user, prefix, p))
        else:
            flash.success(request, "已保存，变更已记录")
            return redirect("community:committees")
    return render(request, "community/committees.html", _committees_ctx(user, prefix, None))


def _committees_ctx(user, prefix: str, form) -> dict:
    cs = Committee.objects.filter(region_code__under=prefix).prefetch_related("mediators")
    # a town also sees the county's committee it escalates to (read only)
    upward = Committee.objects.filter(region_code__in=[prefix[:6], prefix[:9]]).exclude(
        region_code__under=prefix
    )
    regions = Region.objects.filter(
        code__under=prefix, level__in=[Level.COUNTY, Level.STREET, Level.VILLAGE]
    ).order_by("code")[:300]
    history = list(config.changes(prefix, ["committee", "mediator"], 50))
    names = _names([c.region_code for c in cs] + [h.region_code for h in history])
    return {
        "committees": [(c, True, names.get(c.region_code, "")) for c in cs]
        + [(c, False, "") for c in upward],
        "editable": list(cs),
        "regions": regions,
        "prefix": prefix,
        "history": [(h, names.get(h.region_code, h.region_code)) for h in history],
        "form": form or {},
    }


@login_required
def mediation_stats(request):
    """Success rates by level, village and mediator; the 红黑榜 of villages."""
    prefix = mediation.stats_prefix(request.user)
    r = mediation.rates(prefix)
    names = _names(r["villages"].keys())
    red, black = mediation.honour_board(r["villages"])
    meds = {
        m.pk: m
        for m in Mediator.objects.filter(pk__in=r["mediators"].keys()).select_related("committee")
    }
    villages = sorted(
        ((names.get(c, c), v) for c, v in r["villages"].items()),
        key=lambda x: -(x[1]["rate"] or 0),
    )
    mediators = sorted(
        ((meds[m], v) for m, v in r["mediators"].items() if m in meds),
        key=lambda x: -(x[1]["rate"] or 0),
    )
    return render(
        request,
        "community/mediation_stats.html",
        {
            "r": r,
            "levels": [(label, r["levels"][k]) for k, label in MediationLevel.choices],
            "villages": villages,
            "mediators": mediators,
            "red": [names.get(c, c) for c in red],
            "black": [names.get(c, c) for c in black],
            "red_rate": mediation.RED_RATE * 100,
            "black_rate": mediation.BLACK_RATE * 100,
            "min_concluded": mediation.MIN_CONCLUDED,
            "where": Region.objects.filter(code=prefix).values_list("name", flat=True).first()
            or "全部",
        },
    )
