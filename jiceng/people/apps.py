from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "jiceng.people"
    label = "people"
    verbose_name = "人口与户"
    nav_items = [
        ("人口与户", "people:index", "people.view"),
        ("居民查询", "people:search", "people.view"),
        ("走访", "people:mobile", "people.visit"),
        ("导入", "people:import", "people.import"),
        ("访问日志", "people:access_log", "accesslog.view"),
    ]
