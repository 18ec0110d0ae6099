from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static


@login_required
def home(request):
    """The start page: what this user may do, by role. District and street users land on
    the command centre's live wall."""
    user = request.user
    if getattr(user, "role", "") in ("district_admin", "street_dispatcher") and user.scope_id:
        return redirect("command:wall")
    return render(request, "home.html", {})


def csrf_failure(request, reason=""):
    """A Chinese page instead of Django's English CSRF error."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links; answer with the site icon."""
    return HttpResponsePermanentRedirect(static("jiceng/favicon.svg"))
