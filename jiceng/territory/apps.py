from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "jiceng.territory"
    label = "territory"
    verbose_name = _("区划与网格")
    nav_items = [
        (_("区划"), "territory:region-root", "territory.view"),
        (_("网格地图"), "territory:map", "territory.view"),
        (_("网格规模"), "territory:sizing", "territory.view"),
        (_("数据导入"), "territory:imports", "territory.import"),
    ]

    def ready(self) -> None:
        from jiceng.territory import (
            fields,  # noqa: F401  registers the `under` lookup
            locate,  # noqa: F401  connects the index-version signals
        )
