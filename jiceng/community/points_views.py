"""Pages of household points (积分制) and co-building agreements (共建协议)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.community import access, cobuild, config, points
from jiceng.community.models import CoAgreement, Commitment, PointEntry, PointRule


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _readable(request, code: str):
    v = access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return v, redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    return v, None


def _month(raw: str | None) -> date:
    try:
        y, m = (raw or "").split("-")[:2]
        return date(int(y), int(m), 1)
    except ValueError:
        return points.month_of(timezone.localdate())


def board(request, code: str):
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    user = request.user
    can_record = access.worker_covers(user, code, "community.points")
    can_approve = access.staff_covers(user, code, "community.points_approve")
    if request.method == "POST":
        p = request.POST
        try:
            action = p.get("action", "")
            if action == "record" and can_record:
                on = date.fromisoformat(p.get("on") or timezone.localdate().isoformat())
                points.record(
                    user,
                    code,
                    household_number=p.get("household_number", ""),
                    household_name=p.get("household_name", ""),
                    rule_id=int(p.get("rule") or 0),
                    evidence=p.get("evidence", ""),
                    on=on,
                )
                flash.success(request, "已录入，待审核后生效")
            elif action in ("approve", "reject") and can_approve:
                e = get_object_or_404(PointEntry, pk=p.get("entry") or 0, village_code=code)
                points.approve(user, e, action == "approve")
                flash.success(request, "已审核")
            elif action == "rule" and can_approve:
                points.add_rule(
                    user,
                    code,
                    category=p.get("category", ""),
                    name=p.get("name", ""),
                    points=int(p.get("points") or 0),
                    source=p.get("source", ""),
                )
                flash.success(request, "已添加积分事项")
            else:
                raise PermissionDenied(gettext("您不能执行此操作"))
        except ValueError:
            flash.error(request, "日期或分值格式不正确")
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        except PermissionDenied as exc:
            flash.error(request, str(exc))
        return redirect("community:points", code=code)
    month = _month(request.GET.get("month"))
    red, black = points.boards(code, month)
    return render(
        request,
        "community/points.html",
        {
            "v": v,
            "month": month,
            "red": red,
            "black": black,
            "rules": PointRule.objects.filter(village_code=code, active=True),
            "pending": PointEntry.objects.filter(village_code=code, state="pending").select_related(
                "rule", "recorded_by"
            )
            if can_approve or can_record
            else [],
            "can_record": can_record,
            "can_approve": can_approve,
            "mine": points.my_household(user),
            "today": timezone.localdate().isoformat(),
        },
    )


def rules(request, code: str):
    """The village's points rules (村规民约) with every change: public like the board;
    the village's staff and its town add, change (a new version, with a reason) and retire."""
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    user = request.user
    can_edit = access.staff_covers(user, code, "community.points_approve")
    form: dict = {}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        p = request.POST
        action = p.get("action", "")
        fields = {k: p.get(k, "") for k in ("category", "name", "points", "source")}
        try:
            if action == "add":
                config.add_rule(user, code, **fields)
                flash.success(request, "已添加积分事项")
            elif action == "edit":
                config.edit_rule(user, code, p.get("rule"), reason=p.get("reason", ""), **fields)
                flash.success(request, "已修改：新版本自今日起适用，此前的积分记录不变")
            elif action == "retire":
                config.retire_rule(user, code, p.get("rule"), p.get("reason", ""))
                flash.success(request, "已停用该事项")
            else:
                raise ValidationError(gettext("未知的操作"))
        except ValidationError as exc:
            flash.error(request, _errors(exc))
            form = dict(p.items())
        else:
            return redirect("community:point_rules", code=code)
    all_rules = list(PointRule.objects.filter(village_code=code).order_by("category", "-points"))
    return render(
        request,
        "community/point_rules.html",
        {
            "v": v,
            "active": [r for r in all_rules if r.active],
            "retired": [r for r in all_rules if not r.active],
            "history": list(config.changes(code, ["point_rule"], 100)),
            "can_edit": can_edit,
            "form": form,
        },
    )


@login_required
def mine(request, code: str):
    v = access.village(code)
    hh = points.my_household(request.user)
    if hh is None or hh[0] != code:
        raise PermissionDenied(gettext("您的账号尚未登记户号，请联系村委会"))
    entries = points.history(code, hh[1])
    approved = [e for e in entries if e.state == "approved"]
    months: dict[date, int] = {}
    for e in approved:
        months[e.month] = months.get(e.month, 0) + e.points
    return render(
        request,
        "community/points_mine.html",
        {
            "v": v,
            "number": hh[1],
            "entries": entries,
            "total": sum(e.points for e in approved),
            "months": sorted(months.items(), reverse=True),
        },
    )


def agreements(request, code: str):
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    staff = access.staff_covers(request.user, code, "community.publish")
    if request.method == "POST":
        if not staff:
            raise PermissionDenied(gettext("您不能发起共建协议"))
        try:
            a = cobuild.start(
                request.user,
                code,
                partner=request.POST.get("partner", ""),
                title=request.POST.get("title", ""),
            )
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            return redirect("community:agreement_co", code=code, pk=a.pk)
    return render(
        request,
        "community/cobuild.html",
        {"v": v, "items": cobuild.for_village(code, public_only=not staff), "staff": staff},
    )


def agreement(request, code: str, pk: int):
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    staff = access.staff_covers(request.user, code, "community.publish")
    a = get_object_or_404(cobuild.for_village(code, public_only=not staff), pk=pk)
    if request.method == "POST":
        if not staff:
            raise PermissionDenied(gettext("您不能修改共建协议"))
        p = request.POST
        try:
            action = p.get("action", "")
            if action == "commit":
                due = date.fromisoformat(p["due"]) if p.get("due") else None
                cobuild.add_commitment(
                    request.user, a, p.get("text", ""), p.get("by") != "community", due
                )
            elif action == "fulfil":
                c = get_object_or_404(Commitment, pk=p.get("commitment") or 0, agreement=a)
                cobuild.fulfil(request.user, c, p.get("note", ""))
            elif action == "advance":
                ratings = {
                    int(k[2:]): int(val)
                    for k, val in p.items()
                    if k.startswith("r_") and val.isdigit()
                }
                cobuild.advance(request.user, a, p.get("evaluation", ""), ratings)
            else:
                raise ValidationError(gettext("未知的操作"))
        except ValueError:
            flash.error(request, "日期格式不正确")
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            flash.success(request, "已保存")
        return redirect("community:agreement_co", code=code, pk=pk)
    stages = [
        (label, getattr(a, cobuild.STAMP[s]) if s in cobuild.STAMP else a.negotiated_at)
        for s, label in CoAgreement.Stage.choices
    ]
    i = cobuild.ORDER.index(CoAgreement.Stage(a.stage))
    return render(
        request,
        "community/cobuild_detail.html",
        {
            "v": v,
            "a": a,
            "stages": stages,
            "staff": staff,
            "next": CoAgreement.Stage(cobuild.ORDER[i + 1]).label
            if i + 1 < len(cobuild.ORDER)
            else None,
            "evaluating": a.stage == "performing",
            "commitments": list(a.commitments.all()),
        },
    )
