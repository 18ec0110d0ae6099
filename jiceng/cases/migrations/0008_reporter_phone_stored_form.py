"""Reporter phones in the one stored form of `jiceng.lib.phones.normalise` (13912345678,
0915-5212345), as intake now stores them: before, cases kept digits only (09155212345)
while people kept the dashed form, so one phone was two. A value the normaliser refuses
is left as it was (shown and searched as before)."""

from django.db import migrations


def forward(apps, schema_editor):
    from jiceng.lib.phones import PhoneError, normalise

    Case = apps.get_model("cases", "Case")
    changed = []
    rows = Case.objects.exclude(reporter_phone="").only("pk", "reporter_phone")
    for c in rows.iterator(chunk_size=2000):
        try:
            stored = normalise(c.reporter_phone)
        except PhoneError:
            continue
        if stored != c.reporter_phone:
            c.reporter_phone = stored
            changed.append(c)
        if len(changed) >= 2000:
            Case.objects.bulk_update(changed, ["reporter_phone"])
            changed = []
    if changed:
        Case.objects.bulk_update(changed, ["reporter_phone"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_outbox_claim")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
