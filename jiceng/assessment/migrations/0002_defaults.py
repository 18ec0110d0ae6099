"""The standard metrics and the 四张清单 score items (metrics.DEFAULTS / SCORE_ITEMS)."""

from django.db import migrations


def load(apps, schema_editor):
    from jiceng.assessment.metrics import DEFAULTS, SCORE_ITEMS

    Metric = apps.get_model("assessment", "Metric")
    ScoreItem = apps.get_model("assessment", "ScoreItem")
    for d in DEFAULTS:
        Metric.objects.update_or_create(code=d["code"], defaults={k: v for k, v in d.items()
                                                                  if k != "code"})  # fmt: skip
    for i, d in enumerate(SCORE_ITEMS):
        ScoreItem.objects.update_or_create(
            code=d["code"], defaults={**{k: v for k, v in d.items() if k != "code"},
                                      "order": i})  # fmt: skip


def unload(apps, schema_editor):
    apps.get_model("assessment", "Metric").objects.all().delete()
    apps.get_model("assessment", "ScoreItem").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
