from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "jiceng.territory"
    label = "territory"
    verbose_name = "区划与网格"

    def ready(self) -> None:
        from jiceng.territory import fields  # noqa: F401  registers the `under` lookup
