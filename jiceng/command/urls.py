from django.urls import path

from jiceng.command import views

app_name = "command"

urlpatterns = [
    path("", views.wall_page, name="wall"),
    path("summary.json", views.summary_json, name="summary"),
    path("stream/", views.stream, name="stream"),
    path("alarms/<int:case_id>/take/", views.take_alarm, name="take-alarm"),
    path("map/", views.map_page, name="map"),
    path("screen/", views.screen_page, name="screen"),
    path("notices/", views.notices_page, name="notices"),
    path("notices/new/", views.notice_new, name="notice-new"),
    path("notices/<int:pk>/", views.notice_page, name="notice"),
    path("field/", views.field_page, name="field"),
    path("field/points/", views.field_points, name="field-points"),
    path("field/supervise/", views.supervise_page, name="supervise"),
    path("field/track/<int:user_id>.json", views.track_json, name="track"),
    path("screen.json", views.screen_json, name="screen-data"),
    path("map/features.json", views.map_features, name="map-features"),
    path("map/region/<str:code>.json", views.map_region, name="map-region"),
]
