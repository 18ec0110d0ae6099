# Default grid sizing rules (安康 "321": a rural level-3 grid holds 20–30 households or
# 70–120 people; urban grids 300–500 households). Data, editable in the admin.

from django.db import migrations

DEFAULTS = [
    dict(name="城镇社区网格（300–500户）", urban=True, grid_level=3, min_households=300, max_households=500),
    dict(
        name="农村网格（20–30户或70–120人）",
        urban=False,
        grid_level=3,
        min_households=20,
        max_households=30,
        min_population=70,
        max_population=120,
    ),
]


def seed(apps, schema_editor):
    SizingRule = apps.get_model("territory", "SizingRule")
    if not SizingRule.objects.exists():
        SizingRule.objects.bulk_create([SizingRule(**d) for d in DEFAULTS])


class Migration(migrations.Migration):
    dependencies = [("territory", "0002_index_version")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
