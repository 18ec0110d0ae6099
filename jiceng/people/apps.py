from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "jiceng.people"
    label = "people"
    verbose_name = _("人口与户")
    nav_items = [
        (_("人口与户"), "people:index", "people.view"),
        (_("居民查询"), "people:search", "people.view"),
        (_("走访"), "people:mobile", "people.visit"),
        (_("导入"), "people:import", "people.import"),
        (_("访问日志"), "people:access_log", "accesslog.view"),
    ]
