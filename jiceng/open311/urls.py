from django.urls import path, re_path

from jiceng.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[^./]*)"
urlpatterns = [
    path("keys/", views.keys, name="keys"),
    path("v2/", views.root, name="root"),
    re_path(rf"^v2/discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^discovery{FMT}$", views.discovery),
    re_path(rf"^v2/services{FMT}$", views.services, name="services"),
    re_path(rf"^v2/services/(?P<code>.+){FMT}$", views.service_definition, name="service"),
    re_path(rf"^v2/requests{FMT}$", views.requests_, name="requests"),
    re_path(rf"^v2/requests/(?P<sid>.+){FMT}$", views.request_detail, name="request"),
    re_path(rf"^v2/tokens/(?P<token>.+){FMT}$", views.token, name="token"),
    re_path(r"^(?P<path>v2/.*)$", views.not_found),
]
