"""`jiceng import-divisions`: the command a county runs to load its territory."""

from __future__ import annotations

import shutil
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiceng.territory.divisions import street_kind, village_kind, village_name
from jiceng.territory.models import ImportRun, Level, Region

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "divisions-small"
BAD = FIXTURES / "divisions-bad"


def run(directory, under) -> str:
    out = StringIO()
    call_command("import_divisions", str(directory), under=under, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts_per_level(prefix: str = "") -> dict[int, int]:
    qs = Region.objects.all() if not prefix else Region.objects.filter(code__under=prefix)
    return {lvl: qs.filter(level=lvl).count() for lvl in range(1, 6)}


@pytest.mark.parametrize(
    "name, kind",
    [
        ("北关街道办事处", "street"),
        ("临夏路街道", "street"),
        ("城关镇", "town"),
        ("河东店乡", "township"),
        ("大河坝民族乡", "township"),
        ("经济技术开发区", ""),
    ],
)
def test_street_kind_follows_the_name(name, kind):
    assert street_kind(name) == kind


@pytest.mark.parametrize(
    "raw, name, kind",
    [
        ("南街社区居委会", "南街社区", "community"),
        ("北关居委会", "北关社区", "community"),
        ("兰家居民委员会", "兰家社区", "community"),
        ("东南村委会", "东南村", "village"),
        ("五坪村民委员会", "五坪村", "village"),
        ("八元村", "八元村", "village"),
        ("龙岭社区", "龙岭社区", "community"),
    ],
)
def test_village_names_and_kinds_are_derived_from_the_committee_name(raw, name, kind):
    assert village_name(raw) == name
    assert village_kind(raw) == kind


@pytest.mark.django_db
def test_a_county_import_keeps_its_ancestors_and_nothing_else():
    out = run(SMALL, "610921")
    assert counts_per_level() == {1: 1, 2: 1, 3: 1, 4: 2, 5: 3}
    assert "社区/村" in out and "用时" in out
    town = Region.objects.get(code="610921100")
    assert town.parent.code == "610921" and town.kind == "town"
    south = Region.objects.get(code="610921100001")
    assert (south.name, south.kind, south.urban) == ("南街社区", "community", True)
    assert Region.objects.get(code="610921100200").urban is False
    run_ = ImportRun.objects.get()
    assert run_.ok and run_.counts["village"]["created"] == 3 and run_.region_code == "610921"


@pytest.mark.django_db
@pytest.mark.parametrize("under", ["61", "610000000000"])
def test_a_province_import_takes_every_level_and_accepts_the_12_digit_form(under):
    run(SMALL, under)
    assert counts_per_level() == {1: 1, 2: 2, 3: 3, 4: 6, 5: 5}
    assert Region.objects.get(code="610702200").kind == "township"
    assert Region.objects.get(code="610702001").kind == "street"


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_a_renamed_village_is_updated():
    run(SMALL, "61")
    before = dict(Region.objects.values_list("code", "updated_at"))
    out = run(SMALL, "61")
    assert dict(Region.objects.values_list("code", "updated_at")) == before
    assert "新增      0" in out.splitlines()[-2]
    Region.objects.filter(code="610921100200").update(name="旧名字")
    run(SMALL, "61")
    assert Region.objects.get(code="610921100200").name == "东南村"
    last = ImportRun.objects.order_by("-pk").first()
    assert last.counts["village"] == {"created": 0, "updated": 1, "unchanged": 4}


@pytest.mark.django_db
def test_a_malformed_file_is_rejected_with_file_and_line_and_nothing_is_imported():
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_divisions", str(BAD), under="61", stdout=StringIO(), stderr=err)
    text = err.getvalue()
    assert "streets.csv 第 3 行" in text and "6109211O1" in text
    assert "villages-61.csv 第 3 行" in text and "列数" in text
    assert Region.objects.count() == 0
    failed = ImportRun.objects.get()
    assert not failed.ok
    assert {"file": "streets.csv", "line": 3} == {k: failed.errors[0][k] for k in ("file", "line")}


@pytest.mark.django_db
def test_missing_files_bad_codes_and_unknown_codes_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="数字"):
        run(SMALL, "61a")
    with pytest.raises(CommandError):
        run(SMALL, "6199")  # not in the data
    shutil.copytree(SMALL, tmp_path / "d")
    (tmp_path / "d" / "areas.csv").unlink()
    with pytest.raises(CommandError):
        run(tmp_path / "d", "61")
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "provinces.csv").write_text("id,title\n61,x\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_divisions", str(tmp_path / "e"), under="61", stderr=err)
    assert "provinces.csv 第 1 行：表头缺少列" in err.getvalue()
    assert Region.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.shared_data
def test_all_of_shaanxi_imports_in_seconds_and_a_second_run_changes_nothing(shared_data):
    directory = shared_data / "divisions"
    started = time.monotonic()
    out = run(directory, "61")
    elapsed = time.monotonic() - started
    print(f"\nimport of all Shaanxi: {elapsed:.2f} s\n{out}")
    assert counts_per_level("61") == {1: 1, 2: 10, 3: 107, 4: 1335, 5: 20356}
    assert Region.objects.filter(code__under="610921", level=Level.VILLAGE).count() == 160
    assert Region.objects.filter(code__under="6107", level=Level.VILLAGE).count() == 2187
    # Generous bound: the target (under 10 s on SQLite) is measured on a quiet machine.
    assert elapsed < 30
    before = dict(Region.objects.values_list("code", "updated_at"))
    out = run(directory, "61")
    assert dict(Region.objects.values_list("code", "updated_at")) == before
    assert ImportRun.objects.order_by("-pk").first().counts["village"]["unchanged"] == 20356


@pytest.mark.django_db
@pytest.mark.shared_data
def test_a_county_of_another_province_imports_from_streets_alone(shared_data):
    run(shared_data / "divisions", "110101")  # 东城区, Beijing: no villages file for it
    east = Region.objects.get(code="110101")
    assert east.name == "东城区" and east.parent.code == "1101"
    streets = Region.objects.filter(code__under="110101", level=Level.STREET)
    assert streets.count() >= 10 and set(streets.values_list("kind", flat=True)) == {"street"}
    assert Region.objects.filter(level=Level.VILLAGE).count() == 0
    assert not Region.objects.filter(code__under="61").exists()


@pytest.mark.django_db
def test_a_wider_import_links_new_regions_to_those_already_there():
    """A county first, then its province: the new rows (ids drawn ahead on PostgreSQL, read
    back by code on SQLite, decision 0085) hang under the right parents, old and new."""
    run(SMALL, "610921")
    county_ids = dict(Region.objects.values_list("code", "id"))
    run(SMALL, "61")
    assert dict(Region.objects.filter(code__in=county_ids).values_list("code", "id")) == county_ids
    for code, level, parent in Region.objects.values_list("code", "level", "parent__code"):
        want = None if level == Level.PROVINCE else code[: {2: 2, 3: 4, 4: 6, 5: 9}[level]]
        assert parent == want, code
    assert counts_per_level() == {1: 1, 2: 2, 3: 3, 4: 6, 5: 5}
    village = Region.objects.get(code="610921100001")
    assert (village.households, village.population, village.dedicated_type) == (0, 0, "")
    assert village.created_at is not None and village.urban is True
