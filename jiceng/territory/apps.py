from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "jiceng.territory"
    label = "territory"
    verbose_name = "区划与网格"
    nav_items = [
        ("区划", "territory:region-root", "territory.view"),
        ("网格地图", "territory:map", "territory.view"),
        ("网格规模", "territory:sizing", "territory.view"),
        ("数据导入", "territory:imports", "territory.import"),
    ]

    def ready(self) -> None:
        from jiceng.territory import (
            fields,  # noqa: F401  registers the `under` lookup
            locate,  # noqa: F401  connects the index-version signals
        )
