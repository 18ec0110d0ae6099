"""Pages of resident messages: write (phone), my messages, 回音墙, staff inbox and answer,
the town's list of overdue replies."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.community import access, facts, filters, inbox
from jiceng.community.models import Message
from jiceng.lib import paging
from jiceng.lib.filters import on_page
from jiceng.territory.models import Region


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def message_new(request, code: str):
    v = access.village(code)
    access.require_resident_of(request.user, code)
    s = access.settings_for(code)
    if request.method == "POST":
        try:
            inbox.write(
                request.user,
                code,
                request.POST.get("body", ""),
                request.POST.get("public_consent") == "on",
            )
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            flash.success(request, "留言已送达村委会")
            return redirect("community:my_messages", code=code)
    return render(request, "community/message_new.html", {"v": v, "s": s, "form": request.POST})


@login_required
def my_messages(request, code: str):
    v = access.village(code)
    access.require_resident_of(request.user, code)
    items = Message.objects.filter(author=request.user, village_code=code)[:50]
    return render(
        request, "community/my_messages.html", {"v": v, "items": items, "now": timezone.now()}
    )


def echo(request, code: str):
    """回音墙: open as the village's board is (public villages without login)."""
    v = access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    page = paging.page_for(request, inbox.echo_wall(code).select_related("author"), 20)
    # the wall shows the author masked (王**); dates as local time from the objects
    rows = [(m, inbox.message_dict(m, public=True)["author"]) for m in page]
    return render(
        request,
        "community/echo.html",
        {"v": v, "page": page, "rows": rows, "is_member": access.is_member(request.user, code)},
    )


@login_required
def inbox_page(request):
    user = request.user
    qs = inbox.staff_messages(user)
    now = timezone.now()
    # a state outside its choices is named with them (and the open ones are shown)
    state = on_page(request, [filters.MESSAGE_STATE_PAGE], {"state": "open"})["state"]
    if state == "open":
        qs = qs.filter(replied_at__isnull=True, case_number="").order_by("due_at")
    elif state == "overdue":
        qs = qs.filter(inbox.overdue_q(now)).order_by("due_at")
    elif state == "answered":
        qs = qs.exclude(replied_at__isnull=True, case_number="").order_by("-created_at")
    page = paging.page_for(request, qs, 30)
    names = dict(
        Region.objects.filter(code__in={m.village_code for m in page}).values_list("code", "name")
    )
    for m in page:
        m.village_name = names.get(m.village_code, m.village_code)  # type: ignore[attr-defined]
    return render(
        request,
        "community/inbox.html",
        {"page": page, "state": state, "now": now},
    )


@login_required
def message_detail(request, pk: int):
    m = get_object_or_404(Message.objects.select_related("author", "replied_by"), pk=pk)
    user = request.user
    is_author = m.author_id == user.pk
    if not is_author:
        access.require_staff(user, m.village_code, "community.reply")
    v = access.village(m.village_code)
    if request.method == "POST":
        if is_author and not scope.can(user, "community.reply"):
            raise PermissionDenied(gettext("您不能答复留言"))
        try:
            if request.POST.get("action") == "case":
                inbox.to_case(user, m, request.POST.get("request_type", "complaint"))
                flash.success(request, "已转为诉求案件，进入诉求办理流程")
            else:
                inbox.answer(user, m, request.POST.get("reply", ""))
                flash.success(request, "已答复")
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        return redirect("community:message", pk=pk)
    can_open = m.case_number in facts.visible_case_numbers(
        user, [m.case_number] if m.case_number else []
    )
    return render(
        request,
        "community/message.html",
        {
            "m": m,
            "v": v,
            "now": timezone.now(),
            "is_author": is_author,
            "can_reply": not is_author and not m.settled,
            "types": facts.request_types(),
            "can_open_case": can_open,
        },
    )


@login_required
def overdue(request):
    """The town's view: overdue replies of its villages, grouped by village."""
    user = request.user
    qs = inbox.staff_messages(user).filter(inbox.overdue_q(timezone.now())).order_by("due_at")
    rows = list(qs[:500])
    names = dict(
        Region.objects.filter(code__in={m.village_code for m in rows}).values_list("code", "name")
    )
    groups: dict[str, list[Message]] = {}
    for m in rows:
        groups.setdefault(m.village_code, []).append(m)
    return render(
        request,
        "community/overdue.html",
        {"groups": [(names.get(c, c), ms) for c, ms in sorted(groups.items())], "total": len(rows)},
    )
