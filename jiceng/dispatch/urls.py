from django.urls import path

from jiceng.dispatch import views

app_name = "dispatch"
urlpatterns = [
    path("suggest/", views.suggest_page, name="suggest"),
    path("hotwords/", views.hotwords_page, name="hotwords"),
]
