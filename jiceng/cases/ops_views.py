"""Pages for the people who run the loop (issue 17 item 14): the notification outbox (list,
state, retry) and the dispatch rules (list, add, edit, deactivate) — in Chinese, scoped,
with the models' own validation (a ModelForm's full_clean), instead of the English admin.

Scope: a street dispatcher sees the notices of their street's cases and units; a district
administrator their county's. Dispatch rules are the county's: only a district
administrator edits them, and only with a region inside their territory.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from jiceng.accounts.models import Unit, UnitKind
from jiceng.accounts.scope import require, scope_code
from jiceng.cases.models import Category, DispatchRule, Outbox
from jiceng.lib import paging, phones
from jiceng.lib.filters import Filter, on_page

# What a notice is about, in words (Outbox.kind is a code written by the moves and worker).
KIND_LABELS = {
    "alarm": gettext_noop("一键报警"),
    "closed": gettext_noop("结案告知"),
    "dispatch": gettext_noop("派单"),
    "escalate": gettext_noop("上报升级"),
    "remind": gettext_noop("黄牌催办"),
    "supervise": gettext_noop("红牌督办"),
    "whistle": gettext_noop("吹哨"),
    "return_visit": gettext_noop("回访"),
    "step": gettext_noop("办理进度"),
}


def outbox_for(user: Any) -> QuerySet[Outbox]:
    """The notices this user may see: those of cases in their territory, or addressed to
    a unit of it. A superuser sees all; a user without territory none."""
    qs = Outbox.objects.all()
    if user.is_superuser:
        return qs
    code = scope_code(user)
    if code is None:
        return qs.none()
    return qs.filter(Q(case__region_code__under=code) | Q(to_unit__region__code__under=code))


OUTBOX_STATE = Filter("state", gettext_noop("状态"), lambda: Outbox.STATES)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """通知发送记录: filter by state, failed first; retry a failed notice."""
    require(request.user, "cases.outbox")
    # an unknown state is named with the choices, not the whole outbox shown as if filtered
    state = on_page(request, [OUTBOX_STATE])["state"]
    qs = outbox_for(request.user).select_related("case", "to_unit")
    counts = {s: 0 for s, _ in Outbox.STATES}
    for row in qs.values("state").order_by().distinct():
        counts[row["state"]] = qs.filter(state=row["state"]).count()
    if state:
        qs = qs.filter(state=state)
    page = paging.page_for(request, qs.order_by("-created_at", "-id"), 50)
    rows = [
        {
            "o": o,
            "kind": KIND_LABELS.get(o.kind, o.kind),
            "phone": phones.mask(o.to_phone) if o.to_phone else "",
        }
        for o in page.object_list
    ]
    return render(
        request,
        "cases/outbox.html",
        {"page": page, "rows": rows, "state": state, "states": Outbox.STATES, "counts": counts},
    )


@login_required
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed notice again: back to pending, due now, attempts from zero (the
    worker's next pass sends it, with its dedupe key)."""
    require(request.user, "cases.outbox")
    n = (
        outbox_for(request.user)
        .filter(pk=pk, state=Outbox.FAILED)
        .update(state=Outbox.PENDING, attempts=0, next_attempt_at=timezone.now(), claim="")
    )
    if n:
        messages.success(request, gettext("已重新排队，将在下一轮发送"))
    else:
        messages.error(request, gettext("只能重发本辖区内发送失败的通知"))
    return redirect("cases:outbox")


class RuleForm(forms.ModelForm):
    """A dispatch rule, checked by the model (full_clean) and by the editor's territory."""

    class Meta:
        model = DispatchRule
        fields = ["category", "region_prefix", "lead_unit", "helper_units", "note", "active"]
        labels = {
            "category": _("诉求分类（留空为全部分类）"),
            "region_prefix": _("适用区域代码（留空为全县）"),
            "lead_unit": _("主办单位"),
            "helper_units": _("协办单位"),
            "note": _("备注"),
            "active": _("启用"),
        }
        help_texts = {"region_prefix": _("区划或网格代码，如 610921001（城关镇）")}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cat = self.fields["category"]
        lead, helpers = self.fields["lead_unit"], self.fields["helper_units"]
        assert isinstance(cat, forms.ModelChoiceField)
        assert isinstance(lead, forms.ModelChoiceField)
        assert isinstance(helpers, forms.ModelMultipleChoiceField)
        cat.queryset = Category.objects.filter(active=True).order_by("path")
        cat.empty_label = _("全部分类")
        lead.empty_label = _("请选择")
        cat.label_from_instance = lambda c: c.path  # type: ignore[method-assign,assignment]
        # departments first: most rules name a department as lead
        units = (
            Unit.objects.filter(active=True)
            .annotate(
                first=DbCase(
                    When(kind=UnitKind.DEPARTMENT, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("first", "kind", "name")
        )
        lead.queryset = units
        helpers.queryset = units
        helpers.required = False

    def clean_region_prefix(self) -> str:
        from jiceng.territory.models import Region

        code = (self.cleaned_data.get("region_prefix") or "").strip()
        mine = scope_code(self.user) or ""
        if code and not Region.objects.filter(code=code).exists():
            raise ValidationError(gettext("区域代码 %(code)s 不存在") % {"code": code})
        if not self.user.is_superuser and not (code or mine).startswith(mine):
            raise ValidationError(gettext("只能为本辖区设置派单规则"))
        if not code and not self.user.is_superuser and len(mine) > 6:
            raise ValidationError(gettext("全县规则只能由区县管理员设置；请填写本辖区的区域代码"))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead, helpers = data.get("lead_unit"), data.get("helper_units")
        if lead is not None and helpers and lead in helpers:
            self.add_error("helper_units", "主办单位不能同时是协办单位")
        return data


def _rules_for(user: Any) -> QuerySet[DispatchRule]:
    qs = DispatchRule.objects.select_related("category", "lead_unit").prefetch_related(
        "helper_units"
    )
    if user.is_superuser:
        return qs
    code = scope_code(user)
    if code is None:
        return qs.none()
    # the county-wide rules (empty prefix) and those inside the territory
    return qs.filter(Q(region_prefix="") | Q(region_prefix__startswith=code))


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """派单规则: the list, and a form to add one."""
    require(request.user, "cases.rules")
    form = RuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, gettext("派单规则已添加"))
        return redirect("cases:rules")
    rows = _rules_for(request.user).order_by("-active", "category__path", "region_prefix")
    return render(request, "cases/rules.html", {"rows": rows, "form": form})


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "cases.rules")
    rule = _rules_for(request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404(gettext("派单规则不存在或不在您的辖区"))
    form = RuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, gettext("派单规则已保存"))
        return redirect("cases:rules")
    return render(request, "cases/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or activate again) a rule; rules are never deleted from here."""
    require(request.user, "cases.rules")
    rule = _rules_for(request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404(gettext("派单规则不存在或不在您的辖区"))
    rule.active = not rule.active
    rule.save(update_fields=["active"])
    messages.success(request, gettext("已启用") if rule.active else gettext("已停用"))
    return redirect("cases:rules")
