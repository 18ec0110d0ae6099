"""GLOSSARY: the level that handles a case (网格自循环 / 社区小循环 / 街镇中循环 / 区级大循环) is
its *tier*; `Level` is the region ladder of jiceng.territory. Column renames only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_reporter_phone_stored_form")]

    operations = [
        migrations.RenameField("case", "level", "tier"),
        migrations.RenameField("case", "closed_level", "closed_tier"),
        migrations.RenameField("case", "supervised_level", "supervised_tier"),
        migrations.RenameField("caseevent", "level", "tier"),
        migrations.AlterField(
            model_name="case",
            name="supervised_tier",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[(1, "网格"), (2, "社区/村"), (3, "街镇"), (4, "区县")],
                help_text="督办 by this tier",
                null=True,
            ),
        ),
    ]
