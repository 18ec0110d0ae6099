"""Pages of the village board and policy publicity (Chinese; phone first for residents).

Every page goes through `access` for who may see it and `board` for what is written; the
JSON API (api.py) calls the same functions.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from jiceng.accounts import scope
from jiceng.accounts.models import Role
from jiceng.community import access, board, filters
from jiceng.community.models import Membership, Policy, PolicyTarget, Publication, VillageSettings
from jiceng.lib.filters import on_page
from jiceng.territory.models import Level, Region


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _date(raw: str | None, label: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            gettext("%(label)s日期格式应为 2026-07-01") % {"label": label}
        ) from None


@login_required
def index(request):
    """/community/: a resident goes to their village's board; staff see their villages."""
    user = request.user
    code = access.member_code(user)
    if user.role == Role.RESIDENT:
        if code is None:
            return render(request, "community/no_village.html", {})
        return redirect("community:board", code=code)
    scope.require(user, "community.view")
    prefix = scope.scope_code(user)
    if prefix is None and not user.is_superuser:
        raise PermissionDenied(gettext("您没有管辖区域"))
    villages = Region.objects.filter(level=Level.VILLAGE)
    if not user.is_superuser:
        assert prefix is not None
        # a grid worker's scope lies below the village: their village is its 12-digit prefix
        villages = villages.filter(Q(code__under=prefix) | Q(code=prefix[:12]))
    village_list = list(villages.order_by("code")[:300])
    from jiceng.community import stats

    return render(
        request,
        "community/index.html",
        {
            "villages": stats.village_rows(village_list),
            "can_policy": scope.can(user, "community.policy"),
        },
    )


def public_boards(request):
    """/community/public/: the villages that chose a public board, for anyone (a phone, no
    login) — the way in to their boards, and to the public case tracker."""
    codes = VillageSettings.objects.filter(public_board=True).values("village_code")
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__in=codes).order_by("code")[:500]
    )
    return render(request, "community/public_boards.html", {"villages": villages})


def board_page(request, code: str):
    """A village's board: open to anyone if the village chose so (phone, no login)."""
    v = access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    kind = on_page(request, [filters.BOARD_KIND])["kind"]  # an unknown kind is named
    pubs = list(board.board(code, kind)[:100])
    user = request.user
    return render(
        request,
        "community/board.html",
        {
            "v": v,
            "pubs": pubs,
            "kind": kind,
            "kinds": Publication.Kind.choices,
            "settings": access.settings_for(code),
            "policies": list(board.policies_for_village(code)[:20]) if not kind else [],
            "can_publish": access.staff_covers(user, code, "community.publish"),
            "is_member": access.is_member(user, code),
        },
    )


def publication_page(request, code: str, pk: int):
    v = access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    pub = get_object_or_404(Publication.objects.select_related("current"), pk=pk, village_code=code)
    versions = list(pub.versions.order_by("-number").prefetch_related("attachments"))
    shown = versions[0]
    want = request.GET.get("v")
    if want and want.isdigit():
        shown = next((x for x in versions if x.number == int(want)), shown)
    return render(
        request,
        "community/publication.html",
        {
            "v": v,
            "pub": pub,
            "shown": shown,
            "versions": versions,
            "t": board.table_totals(shown.tables) if shown.tables else None,
            "can_publish": access.staff_covers(request.user, code, "community.publish"),
        },
    )


def _tables_from_form(request) -> dict | None:
    """Excel upload (whole or nothing) or the three textareas of the page."""
    f = request.FILES.get("excel")
    if f:
        if not f.name.lower().endswith(".xlsx"):
            raise ValidationError(gettext("请上传 .xlsx 格式的 Excel 文件"))
        return board.build_tables(board.rows_from_xlsx(f.read()))
    rows = []
    for key in board.TABLES:
        rows += board.rows_from_text(key, request.POST.get(f"t_{key}", ""))
    return board.build_tables(rows) if rows else None


@login_required
def publish_page(request, code: str):
    v = access.village(code)
    access.require_staff(request.user, code, "community.publish")
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            kind = request.POST.get("kind", "")
            tables = _tables_from_form(request) if kind == Publication.Kind.FINANCE else None
            pub = board.publish(
                request.user,
                code,
                kind=kind,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                tables=tables,
                period_start=_date(request.POST.get("period_start"), gettext("期间起")),
                period_end=_date(request.POST.get("period_end"), gettext("期间止")),
                period_label=request.POST.get("period_label", ""),
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已发布"))
            return redirect("community:publication", code=code, pk=pub.pk)
    return render(
        request,
        "community/publish.html",
        {"v": v, "kinds": Publication.Kind.choices, "form": form, "pub": None},
    )


@login_required
def correct_page(request, code: str, pk: int):
    v = access.village(code)
    access.require_staff(request.user, code, "community.publish")
    pub = get_object_or_404(Publication.objects.select_related("current"), pk=pk, village_code=code)
    cur = pub.current
    assert cur is not None
    if request.method == "POST":
        form = request.POST
        try:
            tables = _tables_from_form(request) if pub.kind == Publication.Kind.FINANCE else None
            board.correct(
                request.user,
                pub,
                reason=request.POST.get("reason", ""),
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                tables=tables,
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("更正已发布，原版本保留可查"))
            return redirect("community:publication", code=code, pk=pub.pk)
    else:
        texts = {
            f"t_{k}": "\n".join(f"{r['item']} {r['amount']}" for r in cur.tables.get(k, []))
            for k in board.TABLES
        }
        form = {"title": cur.title, "body": cur.body, **texts}
    return render(
        request,
        "community/publish.html",
        {"v": v, "kinds": Publication.Kind.choices, "form": form, "pub": pub},
    )


@login_required
def finance_template(request):
    scope.require(request.user, "community.publish")
    resp = HttpResponse(
        board.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = 'attachment; filename="finance-template.xlsx"'
    return resp


@login_required
def settings_page(request, code: str):
    """The village's own choices, and who belongs to the village (村民账号)."""
    v = access.village(code)
    access.require_staff(request.user, code, "community.settings")
    obj = access.settings_for(code)
    if request.method == "POST":
        action = request.POST.get("action", "settings")
        try:
            if action == "member":
                _add_member(request, code)
                messages.success(request, _("已登记为本村村民"))
            else:
                _save_settings(request, obj)
                messages.success(request, _("已保存"))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            return redirect("community:settings", code=code)
    members = Membership.objects.filter(village_code=code).select_related("user").order_by("-id")
    return render(
        request,
        "community/settings.html",
        {"v": v, "s": obj, "units": VillageSettings.ReplyUnit.choices, "members": members[:200]},
    )


def _save_settings(request, obj: VillageSettings) -> None:
    raw = (request.POST.get("reply_days") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 30:
        raise ValidationError(gettext("答复期限应为 1 到 30 天"))
    unit = request.POST.get("reply_unit", "")
    if unit not in VillageSettings.ReplyUnit.values:
        raise ValidationError(gettext("期限单位无效"))
    obj.public_board = request.POST.get("public_board") == "on"
    obj.reply_days = int(raw)
    obj.reply_unit = unit
    obj.updated_by = request.user
    obj.save()


def _add_member(request, code: str) -> None:
    name = (request.POST.get("username") or "").strip()
    u = get_user_model().objects.filter(username=name, role=Role.RESIDENT).first()
    if u is None:
        raise ValidationError(gettext("没有用户名为“%(name)s”的群众账号") % {"name": name})
    other = Membership.objects.filter(user=u).first()
    if other and other.village_code != code:
        raise ValidationError(gettext("该账号已登记在其他村，须由原村注销后再登记"))
    Membership.objects.update_or_create(
        user=u,
        defaults={
            "village_code": code,
            "household_rep": request.POST.get("household_rep") == "on",
            "household_number": (request.POST.get("household_number") or "").strip()[:40],
        },
    )


# ---------------------------------------------------------------- policies (三进)


@login_required
def policies(request):
    """Publishers see what they published with reading figures; village staff see what was
    sent to their villages and confirm reading."""
    user = request.user
    scope.require(user, "community.view")
    prefix = scope.scope_code(user) or ""
    if not prefix and not user.is_superuser:
        raise PermissionDenied(gettext("您没有管辖区域"))
    if request.method == "POST":
        try:
            t = get_object_or_404(PolicyTarget, pk=request.POST.get("target", 0))
            board.mark_read(t, user=user)
            messages.success(request, _("已确认阅读"))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return redirect("community:policies")
    mine = Policy.objects.filter(issuer_code__under=prefix) if prefix else Policy.objects.all()
    received = PolicyTarget.objects.filter(
        region_code__under=prefix, kind__in=["community", "village"]
    ).select_related("policy")
    read_ids = set(
        PolicyTarget.objects.filter(pk__in=received.values("pk"), reads__user=user).values_list(
            "pk", flat=True
        )
    )
    return render(
        request,
        "community/policies.html",
        {
            "mine": [
                (p, len(p.targets.all()), sum(1 for t in p.targets.all() if t.reads.all()))
                for p in mine.prefetch_related("targets__reads")[:50]
            ]
            if scope.can(user, "community.policy")
            else [],
            "received": [
                (t, t.pk in read_ids) for t in received.order_by("-policy__published_at")[:50]
            ],
            "can_policy": scope.can(user, "community.policy"),
        },
    )


@login_required
def policy_new(request):
    scope.require(request.user, "community.policy")
    prefix = scope.scope_code(request.user) or ""
    villages = Region.objects.filter(level=Level.VILLAGE, code__under=prefix).order_by("code")[:500]
    if request.method == "POST":
        companies = []
        for line in (request.POST.get("companies") or "").splitlines():
            name, _sep, where = line.strip().partition(" ")
            if name:
                companies.append((name, where.strip() or prefix))
        try:
            p = board.publish_policy(
                request.user,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                region_codes=request.POST.getlist("regions"),
                companies=companies,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已发布并送达所选对象"))
            return redirect("community:policy", pk=p.pk)
    return render(
        request, "community/policy_new.html", {"villages": villages, "form": request.POST}
    )


@login_required
def policy_detail(request, pk: int):
    p = get_object_or_404(Policy, pk=pk)
    user = request.user
    scope.require(user, "community.view")
    if not (user.is_superuser or scope.can_see_code(user, p.issuer_code)):
        # a village sees a policy sent to it, but not the publisher's reading report
        if not p.targets.filter(region_code__under=scope.scope_code(user) or "-").exists():
            raise Http404(gettext("未找到"))
        return render(request, "community/policy.html", {"p": p, "report": None})
    return render(request, "community/policy.html", {"p": p, "report": board.read_report(p)})


def village_policy(request, code: str, pk: int):
    """A policy sent to this village, read under the board's rule (residents too)."""
    access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    p = get_object_or_404(board.policies_for_village(code), pk=pk)
    return render(request, "community/policy.html", {"p": p, "report": None, "code": code})


def policy_company(request, key: str):
    """A company's contact opens the link sent to them (no account) and confirms reading."""
    t = get_object_or_404(
        PolicyTarget.objects.select_related("policy"), key=key, kind=PolicyTarget.Kind.COMPANY
    )
    if request.method == "POST":
        try:
            board.mark_read(t, reader_name=request.POST.get("name", ""))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("已确认阅读，谢谢"))
        return redirect("community:policy_company", key=key)
    return render(request, "community/policy_company.html", {"t": t, "p": t.policy})
