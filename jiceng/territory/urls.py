from django.urls import path

from jiceng.territory import views

app_name = "territory"

urlpatterns = [
    path("", views.region_root, name="region-root"),
    path("r/<str:code>/", views.region_page, name="region"),
    path("map/", views.map_page, name="map"),
    path("map/<str:code>/", views.map_page, name="map-region"),
    path("grid/<str:code>/", views.grid_page, name="grid"),
    path("staff/<int:pk>/card/", views.staff_card, name="card"),
    path("sizing/", views.sizing_page, name="sizing"),
    path("imports/", views.imports_page, name="imports"),
    path("imports/<int:pk>/", views.import_run_page, name="import-run"),
]
