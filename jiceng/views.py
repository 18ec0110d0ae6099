from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


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
