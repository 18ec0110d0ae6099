from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The start page: what this user may do, by role."""
    return render(request, "home.html", {})


def csrf_failure(request, reason=""):
    """A Chinese page instead of Django's English CSRF error."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
