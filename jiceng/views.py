from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/v1/"


@login_required
def home(request):
    """Each role lands on its work (issue 17 item 15): district and street users on the
    command centre's live wall, a department on its inbox, a resident on their own cases,
    a grid worker on today's visits and the open cases of their grid; everyone else on
    the links of what they may do."""
    user = request.user
    role = getattr(user, "role", "")
    if role in ("district_admin", "street_dispatcher") and user.scope_id:
        return redirect("command:wall")
    if role == "department_handler" and not user.is_superuser:
        return redirect("cases:inbox")
    if role == "resident":
        return redirect("cases:queue")
    ctx: dict = {}
    if role == "grid_worker" and user.scope_id:
        ctx["grid_day"] = _grid_day(user)
    return render(request, "home.html", ctx)


def _grid_day(user) -> dict:
    """What the grid worker's day holds: households due a visit, their grid's open cases
    waiting for them, and the open cases they reported themselves."""
    from jiceng.cases import services as cases
    from jiceng.cases.workflow import OPEN_STATES, todo_states
    from jiceng.people import services as people

    visible = cases.visible_cases(user).filter(status__in=OPEN_STATES)
    return {
        "visits": people.visits_due(user),
        "todo": list(
            visible.filter(tier=1, status__in=todo_states("grid")).order_by("deadline")[:8]
        ),
        "mine": list(visible.filter(taken_by=user).order_by("-created_at")[:8]),
    }


def csrf_failure(request, reason=""):
    """A Chinese page instead of Django's English CSRF error."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links; answer with the site icon."""
    return HttpResponsePermanentRedirect(static("jiceng/favicon.svg"))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler (`handler404`, used when DEBUG is off). Under the API's prefix
    an address no route matches (a trailing slash on a detail, a typo) answers in the
    API's own error shape — `{"error": {"code": "not_found", "message": <Chinese>}}` — not
    an HTML page a client cannot parse; everywhere else Django's page (templates/404.html
    when present)."""
    if request.path.startswith(API_PREFIX):
        message = _("API 没有这个地址：%(path)s（请检查路径，详情地址末尾不带 /）") % {
            "path": request.path
        }
        return JsonResponse({"error": {"code": "not_found", "message": message}}, status=404)
    return defaults.page_not_found(request, exception)
