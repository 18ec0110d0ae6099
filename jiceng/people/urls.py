from django.urls import path

from jiceng.people import views

app_name = "people"
urlpatterns = [
    path("", views.start, name="start"),
    # the overview of the user's territory and of each region inside it (one prefix, so the
    # navigation entry is active on all of them)
    path("overview/", views.index, name="index"),
    path("overview/<str:code>/", views.region, name="region"),
    path("overview/<str:code>/export.<str:fmt>", views.export, name="export"),
    path("exports/<str:token>/", views.export_job, name="export_job"),
    path("exports/<str:token>/state", views.export_state, name="export_state"),
    path("exports/<str:token>/file", views.export_file, name="export_file"),
    path("search/", views.search, name="search"),
    path("h/<int:pk>/", views.household, name="household"),
    path("h/<int:pk>/reveal/", views.household_reveal, name="household_reveal"),
    path("h/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("h/<int:pk>/visits/", views.visit_create, name="visit_create"),
    path("h/<int:pk>/members/", views.member_add, name="member_add"),
    path("r/<int:pk>/", views.resident, name="resident"),
    path("r/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("r/<int:pk>/tags/", views.tag_add, name="tag_add"),
    path("tags/<int:pk>/end/", views.tag_end, name="tag_end"),
    path("m/", views.mobile, name="mobile"),
    path("m/h/<int:pk>/", views.mobile_household, name="mobile_household"),
    path("import/", views.import_page, name="import"),
    path("import/template.<str:fmt>", views.import_template, name="import_template"),
    path("access-log/", views.access_log, name="access_log"),
]
