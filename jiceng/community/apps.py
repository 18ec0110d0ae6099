from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "jiceng.community"
    label = "community"
    verbose_name = "村务与自治"
    nav_items = [
        ("村务公开", "community:index", "community.view"),
        ("我的村", "community:index", "community.resident"),
        ("留言", "community:inbox", "community.reply"),
        ("矛盾调处", "community:disputes", "community.mediate"),
        ("调处成效", "community:mediation_stats", "community.mediation_stats"),
    ]
