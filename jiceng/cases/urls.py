from django.urls import path

from jiceng.cases import ops_views, views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("report/", views.report, name="report"),
    path("hotline/", views.hotline, name="hotline"),
    path("alarm/", views.alarm, name="alarm"),
    path("board/", views.board, name="board"),
    path("inbox/", views.inbox, name="inbox"),
    path("overdue/", views.overdue, name="overdue"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("track/", views.track, name="track"),
    path("outbox/", ops_views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", ops_views.outbox_retry, name="outbox-retry"),
    path("rules/", ops_views.rules, name="rules"),
    path("rules/<int:pk>/", ops_views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/toggle/", ops_views.rule_toggle, name="rule-toggle"),
    path("lookup/phone/", views.lookup_phone, name="lookup-phone"),
    path("lookup/duplicates/", views.lookup_duplicates, name="lookup-duplicates"),
    path("attachment/<int:pk>/", views.attachment, name="attachment"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/move/<str:name>/", views.move, name="move"),
]
