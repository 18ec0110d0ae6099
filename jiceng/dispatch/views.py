"""Pages: a standalone suggestion page (try the classifier, and the way the hotline form is
hooked) and the hot-words page (ECharts, vendored)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from jiceng.accounts import scope
from jiceng.dispatch import services, store


@login_required
def suggest_page(request):
    scope.require(request.user, "dispatch.suggest")
    from jiceng.territory.models import Region

    mine = scope.scope_code(request.user)
    regions = (
        Region.objects.filter(code__startswith=mine).order_by("code").values("code", "name")[:300]
        if mine is not None
        else []
    )
    entry = store.current_entry(services.county_code()) or store.current_entry("")
    return render(request, "dispatch/suggest.html", {"regions": regions, "model": entry})


@login_required
def hotwords_page(request):
    scope.require(request.user, "dispatch.hotwords")
    region = request.GET.get("region", "").strip()
    try:
        days = int(request.GET.get("days", "7"))
        periods = int(request.GET.get("periods", "4"))
    except ValueError:
        days, periods = 7, 4
    error = ""
    data = None
    try:
        data = services.hot_words(request.user, region, days=days, baseline_periods=periods)
    except Http404:
        error = "该区域不在您的管辖范围内"
    except ValueError as exc:
        error = str(exc)
    from django.core.exceptions import PermissionDenied

    if data is None and not error:
        raise PermissionDenied
    return render(
        request,
        "dispatch/hotwords.html",
        {"data": data, "error": error, "region": region, "days": days, "periods": periods},
        status=200 if data else 400,
    )
