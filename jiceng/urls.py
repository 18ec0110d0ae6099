from __future__ import annotations

import importlib

from django.contrib import admin
from django.urls import include, path

from jiceng.api import api
from jiceng.views import favicon, home

# an API address no route matches answers in the API's error shape (jiceng.views.not_found)
handler404 = "jiceng.views.not_found"

urlpatterns = [
    path("", home, name="home"),
    # Browsers and tools ask for /favicon.ico whatever the page says.
    path("favicon.ico", favicon),
    path("accounts/", include("jiceng.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Apps with pages expose `urlpatterns` in urls.py under their own prefix.
for app, prefix in [
    ("territory", "territory/"),
    ("people", "people/"),
    ("cases", "cases/"),
    ("open311", "open311/"),
    ("command", "command/"),
    ("assessment", "assessment/"),
    ("servicehall", "servicehall/"),
    ("community", "community/"),
    ("dispatch", "dispatch/"),
]:
    try:
        importlib.import_module(f"jiceng.{app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"jiceng.{app}", f"jiceng.{app}.urls"):
            raise
        continue
    urlpatterns.append(path(prefix, include(f"jiceng.{app}.urls")))
