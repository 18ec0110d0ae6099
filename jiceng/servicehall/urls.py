from django.urls import path

from jiceng.servicehall import views

app_name = "servicehall"
urlpatterns = [
    path("", views.start, name="start"),
    path("guide/", views.guide, name="guide"),
    path("item/<str:code>/", views.item, name="item"),
    path("catalogue.xlsx", views.export_catalogue, name="export"),
    path("import/", views.import_catalogue, name="import"),
    path("desk/", views.desk, name="desk"),
    path("a/<str:number>/", views.application, name="application"),
    path("a/<str:number>/file/<int:pk>/", views.material_file, name="file"),
    path("vain/", views.vain, name="vain"),
    path("agent/", views.agent, name="agent"),
    path("board/", views.board, name="board"),
    path("figures/", views.figures, name="figures"),
    path("returncalls/", views.returncalls, name="returncalls"),
    path("returncalls/<int:pk>/", views.returncall, name="returncall"),
    path("whereabouts/", views.whereabouts_board, name="whereabouts"),
    path("rectify/<int:pk>/", views.rectify, name="rectify"),
    # the resident's pages (no login)
    path("track/", views.track, name="track"),
    path("book/", views.book, name="book"),
]
