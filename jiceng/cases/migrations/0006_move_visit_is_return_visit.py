"""The move 回访 is called `return_visit` (GLOSSARY: 走访 is `visit`): existing event rows
and queued notices are renamed. Events are append-only for the application; a rename of
the move's name is a schema change of history, made once here."""

from django.db import migrations


def forward(apps, schema_editor):
    apps.get_model("cases", "CaseEvent").objects.filter(move="visit").update(move="return_visit")
    apps.get_model("cases", "Outbox").objects.filter(kind="visit").update(kind="return_visit")


def backward(apps, schema_editor):
    apps.get_model("cases", "CaseEvent").objects.filter(move="return_visit").update(move="visit")
    apps.get_model("cases", "Outbox").objects.filter(kind="return_visit").update(kind="visit")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_status_indexes")]

    operations = [migrations.RunPython(forward, backward)]
