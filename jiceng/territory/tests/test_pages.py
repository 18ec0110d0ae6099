"""Territory pages: scoped like the API; the import page for district administrators only."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import shapely
from django.test import Client

from jiceng.lib import geo
from jiceng.territory.models import GridStaff, ImportRun, Region
from jiceng.testing import client_for

G3A = "610921001001001001001"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def post(territory):
    return GridStaff.objects.create(
        grid=territory.grid3a, role="grid_worker", name="陈晓梅", phone="13991500001"
    )


def town1_pages(post) -> list[str]:
    return [
        "/territory/r/610921001/",
        "/territory/map/610921001/",
        f"/territory/grid/{G3A}/",
        f"/territory/staff/{post.pk}/card/",
        "/territory/sizing/?under=610921001",
    ]


@pytest.mark.django_db
def test_the_street_dispatcher_sees_the_pages_of_their_town(users, post):
    c = client_for(users.street)
    for url in town1_pages(post):
        assert c.get(url).status_code == 200, url
    page = c.get(f"/territory/grid/{G3A}/").content.decode()
    assert "陈晓梅" in page and 'href="tel:13991500001"' in page and "连心卡" in page
    region = c.get("/territory/r/610921001/").content.decode()
    assert "城关社区" in region and "五一村" in region and "三级网格" in region
    assert c.get("/territory/").url == "/territory/r/610921001/"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_street", "other_district", "no_scope"])
def test_users_outside_the_town_get_404_on_its_pages(users, post, who):
    c = client_for(getattr(users, who))
    for url in town1_pages(post):
        assert c.get(url).status_code == 404, url


@pytest.mark.django_db
def test_a_street_dispatcher_cannot_open_a_grid_of_another_town(users, territory):
    assert (
        client_for(users.street).get(f"/territory/grid/{territory.grid_v3.code}/").status_code
        == 404
    )


@pytest.mark.django_db
def test_a_resident_is_refused_every_territory_page(users, post):
    c = client_for(users.resident)
    for url in [*town1_pages(post), "/territory/", "/territory/map/", "/territory/imports/"]:
        assert c.get(url).status_code == 403, url


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(post):
    r = Client().get("/territory/r/610921001/")
    assert r.status_code == 302 and "/accounts/login/" in r.url


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["street", "community", "grid_worker", "auditor", "department"])
def test_only_a_district_administrator_may_import(users, who):
    c = client_for(getattr(users, who))
    assert c.get("/territory/imports/").status_code == 403
    assert c.post("/territory/imports/", {"what": "grids"}).status_code == 403


@pytest.mark.django_db
def test_the_map_page_loads_the_geojson_of_its_region_only(users, territory):
    page = client_for(users.street).get("/territory/map/").content.decode()
    assert "/api/v1/territory/geojson?under=610921001" in page
    assert "leaflet.js" in page


def _zip(directory: Path) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in directory.glob("*.csv"):
            zf.write(f, f"divisions/{f.name}")
    buf.seek(0)
    buf.name = "divisions.zip"
    return buf


@pytest.mark.django_db
def test_a_district_administrator_uploads_divisions_and_sees_the_counts(users, territory):
    c = client_for(users.district)
    r = c.post("/territory/imports/", {"what": "divisions", "under": "610921", "files": _zip(FIXTURES / "divisions-small")}, follow=True)  # fmt: skip
    page = r.content.decode()
    assert r.status_code == 200 and "区划导入完成" in page
    assert "社区/村" in page
    assert Region.objects.get(code="610921100200").name == "东南村"
    assert "记录" in c.get("/territory/imports/").content.decode()


@pytest.mark.django_db
def test_a_malformed_upload_shows_the_rejected_lines_and_imports_nothing(users, territory):
    c = client_for(users.district)
    before = Region.objects.count()
    files = [
        open(p, "rb")  # noqa: SIM115  closed by the test client
        for p in sorted((FIXTURES / "divisions-bad").glob("*.csv"))
    ]
    r = c.post("/territory/imports/", {"what": "divisions", "files": files}, follow=True)
    for f in files:
        f.close()
    page = r.content.decode()
    assert "未导入任何数据" in page and "streets.csv" in page and "6109211O1" in page
    assert Region.objects.count() == before
    assert not ImportRun.objects.get().ok


@pytest.mark.django_db
def test_a_district_administrator_may_not_import_outside_their_county(users, territory):
    c = client_for(users.district)
    r = c.post("/territory/imports/", {"what": "divisions", "under": "61", "files": _zip(FIXTURES / "divisions-small")}, follow=True)  # fmt: skip
    assert "只能导入您管辖区域" in r.content.decode()
    assert not Region.objects.filter(code="610702").exists()


@pytest.mark.django_db
def test_a_grid_upload_in_gcj02_is_imported_and_its_run_is_shown(users, territory):
    geom = geo.convert_geometry(shapely.box(108.45, 32.80, 108.50, 32.85), "wgs84", "gcj02")
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "610921001002001", "name": "五一村一级网格", "households": 300}, "geometry": geo.to_geojson(geom)}]}  # fmt: skip
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "wuyi.geojson"
    r = client_for(users.district).post("/territory/imports/", {"what": "grids", "crs": "gcj02", "geojson": upload}, follow=True)  # fmt: skip
    assert "网格导入完成：新增 1" in r.content.decode()
    grid = Region.objects.get(code="610921001002001")
    assert abs(grid.min_lon - 108.45) < 2e-6
    # Another county's administrator does not see this run.
    run = ImportRun.objects.get()
    assert client_for(users.other_district).get(f"/territory/imports/{run.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_grid_upload_for_another_county_is_refused(users, territory):
    data = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "610922001001001", "name": "红星社区一级网格"}, "geometry": geo.to_geojson(shapely.box(108.1, 32.9, 108.2, 33.0))}]}  # fmt: skip
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "x.geojson"
    r = client_for(users.district).post("/territory/imports/", {"what": "grids", "geojson": upload}, follow=True)  # fmt: skip
    assert "不在您的管辖区域内" in r.content.decode()
    assert not Region.objects.filter(code="610922001001001").exists()
