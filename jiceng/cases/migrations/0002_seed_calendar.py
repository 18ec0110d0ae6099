from django.db import migrations


def forwards(apps, schema_editor):
    from jiceng.cases.calendar_seed import seed

    seed(apps.get_model("cases", "CalendarYear"), apps.get_model("cases", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
