from django.urls import path

from jiceng.community import (
    deliberation_views,
    mediation_views,
    message_views,
    points_views,
    views,
)

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("public/", views.public_boards, name="public"),
    path("v/<str:code>/", views.board_page, name="board"),
    path("v/<str:code>/p/<int:pk>/", views.publication_page, name="publication"),
    path("v/<str:code>/publish/", views.publish_page, name="publish"),
    path("v/<str:code>/p/<int:pk>/correct/", views.correct_page, name="correct"),
    path("v/<str:code>/settings/", views.settings_page, name="settings"),
    path("finance-template.xlsx", views.finance_template, name="finance_template"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("v/<str:code>/policy/<int:pk>/", views.village_policy, name="village_policy"),
    path("policy/r/<str:key>/", views.policy_company, name="policy_company"),
    path("v/<str:code>/message/", message_views.message_new, name="message_new"),
    path("v/<str:code>/mine/", message_views.my_messages, name="my_messages"),
    path("v/<str:code>/echo/", message_views.echo, name="echo"),
    path("messages/", message_views.inbox_page, name="inbox"),
    path("messages/<int:pk>/", message_views.message_detail, name="message"),
    path("messages/overdue/", message_views.overdue, name="overdue"),
    path("disputes/", mediation_views.disputes, name="disputes"),
    path("disputes/new/", mediation_views.dispute_new, name="dispute_new"),
    path("disputes/committees/", mediation_views.committees, name="committees"),
    path("disputes/stats/", mediation_views.mediation_stats, name="mediation_stats"),
    path("disputes/<str:number>/", mediation_views.dispute_detail, name="dispute"),
    path("disputes/<str:number>/agreement/", mediation_views.agreement_print, name="agreement"),
    path("v/<str:code>/topics/", deliberation_views.topics, name="topics"),
    path("v/<str:code>/topics/<int:pk>/", deliberation_views.topic, name="topic"),
    path("v/<str:code>/points/", points_views.board, name="points"),
    path("v/<str:code>/points/rules/", points_views.rules, name="point_rules"),
    path("v/<str:code>/points/mine/", points_views.mine, name="points_mine"),
    path("v/<str:code>/cobuild/", points_views.agreements, name="cobuild"),
    path("v/<str:code>/cobuild/<int:pk>/", points_views.agreement, name="agreement_co"),
]
