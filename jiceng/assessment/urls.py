from django.urls import path

from jiceng.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.rankings_page, name="rankings"),
    path("working/", views.working_page, name="working"),
    path("publish/", views.publish_view, name="publish"),
    path("periods/<int:pk>/correct/", views.correct_view, name="correct"),
    path("metrics/", views.metrics_page, name="metrics"),
    path("exclusions/", views.exclusions_page, name="exclusions"),
    path("dispatch-rating/", views.dispatch_rating_page, name="dispatch_rating"),
    path("scorecards/", views.scorecards_page, name="scorecards"),
    path("exports/", views.exports_page, name="exports"),
    path("exports/<int:pk>/status/", views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
