"""`jiceng backup` / `jiceng restore` through the commands an operator runs: a restore
reproduces every case, event and household exactly, the media folder too, and intake works
after it (issue 9 item 16). Runs on SQLite and on PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiceng.cases import deadlines, services
from jiceng.cases.models import Case, CaseEvent
from jiceng.lib import idcard
from jiceng.people import services as people
from jiceng.people.models import Household, Resident

ID = idcard.make("610921", date(1970, 1, 1), 1)


def _rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def _snapshot() -> dict:
    return {m.__name__: _rows(m) for m in (Case, CaseEvent, Household, Resident)}


def _forget() -> None:
    """What a fresh server process starts with (the restore runs with the server stopped)."""
    services.forget_centres()
    services.forget_limits()
    deadlines.invalidate()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "cases").mkdir(parents=True)
    return Path(settings.MEDIA_ROOT)


def _county(users, territory, cats, in_grid, units):
    h = people.create_household(
        users.district,
        {"number": "HY-B-1", "grid_code": territory.grid3a.code, "address": "城关社区9号"},
    )
    people.create_resident(
        users.district,
        {
            "household_id": h.id,
            "name": "刘备份",
            "id_number": ID,
            "relation": "head",
            "phone": "13700000001",
        },  # fmt: skip
    )
    for i in range(3):
        c = services.intake(
            channel="hotline",
            request_type="complaint",
            category=cats.road,
            description=f"第{i}个诉求：路面破损",
            reporter_phone="13912345678",
            user=users.street,
            **in_grid,
        )
        services.transition(c, "dispatch", user=users.street, unit=units.dept)


@pytest.mark.django_db(transaction=True)
def test_restore_reproduces_cases_events_households_and_media_and_intake_works_after(
    users, territory, cats, in_grid, units, media, tmp_path
):
    _county(users, territory, cats, in_grid, units)
    (media / "cases" / "photo.jpg").write_bytes(b"\xff\xd8photo")
    before = _snapshot()
    assert len(before["CaseEvent"]) >= 6 and before["Household"]

    archive = tmp_path / "b.tar.gz"
    out = StringIO()
    call_command("backup", output=str(archive), stdout=out)
    assert "JICENG_PII_KEY" in out.getvalue() and archive.stat().st_size > 0

    # life goes on after the backup: a new case, an edited household, a lost photo
    services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="备份之后的诉求",
        user=users.street,
        **in_grid,
    )
    people.update_household(users.district, Household.objects.get(), {"address": "改过的地址"})
    (media / "cases" / "photo.jpg").unlink()
    assert _snapshot() != before

    out = StringIO()
    call_command("restore", str(archive), yes=True, stdout=out)
    assert "行数与备份一致" in out.getvalue()
    assert _snapshot() == before
    assert (media / "cases" / "photo.jpg").read_bytes() == b"\xff\xd8photo"

    _forget()
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="恢复之后的诉求",
        user=users.street,
        **in_grid,
    )
    assert case.number not in {c["number"] for c in before["Case"]}
    assert Case.objects.count() == len(before["Case"]) + 1
    found = people.search_residents(users.district, ID)
    assert [r.name for r in found] == ["刘备份"]


@pytest.mark.django_db(transaction=True)
def test_a_restore_with_another_search_key_is_refused(users, territory, settings, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive), stdout=StringIO())
    settings.JICENG_PII_KEY = "another-key-entirely"
    with pytest.raises(CommandError, match="JICENG_PII_KEY"):
        call_command("restore", str(archive), yes=True, stdout=StringIO())


@pytest.mark.django_db
def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(CommandError, match="不是 jiceng 备份文件"):
        call_command("restore", str(bad), yes=True, stdout=StringIO())
