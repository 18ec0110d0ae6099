from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "jiceng.dispatch"
    label = "dispatch"
    verbose_name = "智能派单"
    nav_items = [
        ("分类建议", "dispatch:suggest", "dispatch.suggest"),
        ("高频词", "dispatch:hotwords", "dispatch.hotwords"),
    ]
