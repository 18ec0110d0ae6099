"""Material uploads through the API, the clerk's desk and the applicant's phone page: the
type is read from the content, the size is a setting, every refusal is a Chinese message
(a structured 400 in the API) and nothing else of the form is lost."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiceng.accounts.models import AccessLog
from jiceng.servicehall import applications as apps
from jiceng.servicehall import uploads
from jiceng.servicehall.models import Application, MaterialFile, MaterialState, Status
from jiceng.servicehall.tests.test_applications import MON, form
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
API = "/api/v1/servicehall"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.JICENG_MATERIAL_MAX_MB = 1
    return tmp_path


def png(w=20, h=10) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 90, 200)).save(buf, "JPEG")
    return buf.getvalue()


def pdf() -> bytes:
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    xref = len(body)
    return (
        body
        + b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R >>\n"
        + (b"startxref\n%d\n%%%%EOF\n" % xref)
    )


def awaiting(hall, missing=("居民身份证", "户口簿")) -> Application:
    return apps.intake(hall.village_clerk, form(hall, "MZ-001", states=dict.fromkeys(missing,
                       "missing")), now=MON)  # fmt: skip


def mat(app: Application, name: str) -> int:
    return app.version.materials.get(name=name).id


def up(client, app, mid, name, data):
    return client.post(f"{API}/applications/{app.number}/materials/{mid}/files",
                       {"file": SimpleUploadedFile(name, data)})  # fmt: skip


# ------------------------------------------------------------------ the checks themselves


def test_the_type_is_read_from_the_content_not_the_name():
    assert uploads.check("scan.pdf", png()).content_type == "image/png"  # a PNG named .pdf
    assert uploads.check("scan.pdf", png()).name == "scan.png"
    assert uploads.check("照片", jpeg()).content_type == "image/jpeg"
    assert uploads.check("证明.pdf", pdf()).content_type == "application/pdf"
    for name, data in [("x.png", b"just text, not a picture"), ("x.pdf", pdf()[:40]),
                       ("x.gif", b"GIF89a" + b"\0" * 40), ("x.exe", b"MZ\x90\0" * 20)]:  # fmt: skip
        with pytest.raises(uploads.UploadRefused) as e:
            uploads.check(name, data)
        assert (
            e.value.code == "wrong_type"
            and "不是 PDF、JPEG 或 PNG" in str(e.value)
            or ("不是完整的 PDF" in str(e.value))
        )


def test_the_size_limit_is_a_setting(settings):
    big = pdf() + b"%" * (1024 * 1024)
    with pytest.raises(uploads.UploadRefused, match="超过 1 MB") as e:
        uploads.check("big.pdf", big)
    assert e.value.code == "too_large"
    settings.JICENG_MATERIAL_MAX_MB = 2
    assert uploads.check("big.pdf", big[:-20] + pdf()[-40:]).size > 1024 * 1024


# ------------------------------------------------------------------ API


def test_a_file_uploaded_through_the_api_counts_for_the_material_and_is_listed(hall, data_dir):
    app = awaiting(hall)
    c = client_for(hall.village_clerk)
    r = up(c, app, mat(app, "居民身份证"), "身份证正反面.jpg", jpeg())
    assert r.status_code == 201, r.content
    f = r.json()
    assert f["content_type"] == "image/jpeg" and len(f["sha256"]) == 64
    stored = data_dir / "servicehall" / "materials" / f["sha256"][:2] / f["sha256"]
    assert stored.read_bytes() == jpeg()
    out = c.get(f"{API}/applications/{app.number}").json()
    row = next(m for m in out["materials"] if m["name"] == "居民身份证")
    assert row["state"] == "provided" and row["files"][0]["name"] == "身份证正反面.jpg"
    assert out["status"] == "awaiting"  # 户口簿 still missing: still 待补正
    assert up(c, app, mat(app, "户口簿"), "户口簿.pdf", pdf()).status_code == 201
    # all there: the window accepts with 补齐材料, no ticking needed
    r = c.post(f"{API}/applications/{app.number}/moves", {"move": "supplement"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.content


@pytest.mark.parametrize(
    "name,data,code,words",
    [
        ("a.pdf", b"hello, this is not a pdf", "wrong_type", "不是 PDF、JPEG 或 PNG"),
        ("a.pdf", b"%" * (1024 * 1024 + 1), "too_large", "超过 1 MB"),
        ("a.pdf", b"", "empty_file", "空文件"),
    ],
)
def test_a_bad_file_is_a_declared_400_and_nothing_is_stored(hall, name, data, code, words):
    app = awaiting(hall)
    r = up(client_for(hall.village_clerk), app, mat(app, "居民身份证"), name, data)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == code and words in err["message"], err
    assert not MaterialFile.objects.exists()
    assert app.materials.get(material__name="居民身份证").state == MaterialState.MISSING


def test_a_file_for_a_material_the_item_does_not_have_is_refused(hall):
    app = awaiting(hall)
    other = hall.items["SC-001"].current.materials.first().id  # another item's material
    r = up(client_for(hall.village_clerk), app, other, "a.png", png())
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_material"
    assert "该事项没有这项材料" in r.json()["error"]["message"]


def test_the_upload_errors_are_declared_in_the_openapi_document(hall):
    doc = client_for(hall.village_clerk).get("/api/v1/openapi.json").json()
    op = doc["paths"][f"{API}/applications/{{number}}/materials/"
                      "{material_id}/files"]["post"]  # fmt: skip
    assert {"201", "400", "403", "404"} <= set(op["responses"])


def test_another_towns_clerk_can_neither_upload_nor_download(hall):
    app = awaiting(hall)
    f = up(client_for(hall.village_clerk), app, mat(app, "居民身份证"), "a.png", png()).json()
    outsider = client_for(hall.other_town_clerk)
    assert up(outsider, app, mat(app, "户口簿"), "b.png", png()).status_code == 404
    assert outsider.get(f"{API}/applications/{app.number}/files/{f['id']}").status_code == 404
    assert outsider.get(f"/servicehall/a/{app.number}/file/{f['id']}/").status_code == 404
    assert not AccessLog.objects.filter(subject_type="servicehall.materialfile").exists()
    # an auditor of the county sees the application but carries no materials
    assert up(client_for(hall.users.auditor), app, mat(app, "户口簿"), "b.png",
              png()).status_code == 403  # fmt: skip


def test_a_download_is_served_to_those_who_see_it_and_logged(hall):
    app = awaiting(hall)
    f = up(client_for(hall.village_clerk), app, mat(app, "居民身份证"), "a.png", png()).json()
    town = client_for(hall.town_clerk)
    r = town.get(f"{API}/applications/{app.number}/files/{f['id']}")
    assert r.status_code == 200 and r.content == png() and r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff"
    r = town.get(f"/servicehall/a/{app.number}/file/{f['id']}/")
    assert r.status_code == 200 and r.content == png()
    logs = AccessLog.objects.filter(subject_type="servicehall.materialfile", viewer=hall.town_clerk)
    assert sorted(logs.values_list("channel", flat=True)) == ["api", "page"]
    assert Client().get(f"/servicehall/a/{app.number}/file/{f['id']}/").status_code == 302


# ------------------------------------------------------------------ the clerk's desk


def desk_post(hall, files=None, **over):
    item = hall.items["MZ-001"].current
    data = {"item_code": "MZ-001", "applicant_name": "任春早", "applicant_phone": "13912345678",
            "applicant_id_last4": "123X", "region_code": hall.t.village2.code,
            "delivery": "post"}  # fmt: skip
    for m in item.materials.all():
        data[f"m{m.id}"] = "missing" if m.name in ("居民身份证", "户口簿") else "provided"
    data.update(over)
    for mname, (fname, content) in (files or {}).items():
        data[f"f{item.materials.get(name=mname).id}"] = SimpleUploadedFile(fname, content)
    return data


def test_a_file_given_at_the_desk_makes_the_material_provided(hall):
    c = client_for(hall.village_clerk)
    r = c.post("/servicehall/desk/", desk_post(hall, {"居民身份证": ("id.jpg", jpeg())}))
    app = Application.objects.get()
    assert r.status_code == 302 and app.status == Status.AWAITING
    assert app.materials.get(material__name="居民身份证").state == MaterialState.PROVIDED
    assert app.notices.get().missing == ["户口簿"]  # the notice lists only what is missing
    page = c.get(f"/servicehall/a/{app.number}/").content.decode()
    assert "id.jpg" in page and f"/servicehall/a/{app.number}/file/" in page


@pytest.mark.parametrize(
    "fname,content,words",
    [
        ("id.png", b"not an image at all", "不是 PDF、JPEG 或 PNG"),
        ("id.pdf", b"%" * (1024 * 1024 + 5), "超过 1 MB"),
        ("id.pdf", b"", "空文件"),
    ],
)
def test_a_bad_file_at_the_desk_is_a_chinese_error_and_the_form_is_kept(hall, fname, content,
                                                                          words):  # fmt: skip
    c = client_for(hall.village_clerk)
    data = desk_post(hall, {"居民身份证": (fname, content), "户口簿": ("hr.pdf", pdf())})
    r = c.post("/servicehall/desk/", data)
    page = r.content.decode()
    assert r.status_code == 200 and words in page and not Application.objects.exists()
    # what was typed and chosen is still there …
    assert 'value="任春早"' in page and 'value="123X"' in page
    assert re.search(r'<option value="post" selected>', page)
    assert re.search(r'<option value="missing" selected>', page)
    # … and the good file is kept, so it need not be chosen again
    token = re.search(r'name="staged(\d+)" value="([^"]+)"', page)
    assert token and "已收到 hr.pdf" in page
    again = desk_post(hall, **{f"staged{token.group(1)}": token.group(2)})
    again[f"m{hall.items['MZ-001'].current.materials.get(name='居民身份证').id}"] = "provided"
    assert c.post("/servicehall/desk/", again).status_code == 302
    app = Application.objects.get()
    assert app.status == Status.ACCEPTED
    assert app.files.get().name == "hr.pdf"


def test_a_staged_file_of_another_material_or_a_forged_token_is_ignored(hall):
    c = client_for(hall.village_clerk)
    mats = hall.items["MZ-001"].current.materials
    id_m, hr_m = mats.get(name="居民身份证").id, mats.get(name="户口簿").id
    token = uploads.stage(uploads.check("hr.pdf", pdf()), hr_m)
    data = desk_post(hall, **{f"staged{id_m}": token, f"staged{hr_m}": token + "x"})
    c.post("/servicehall/desk/", data)
    app = Application.objects.get()
    assert not app.files.exists() and app.status == Status.AWAITING


def test_a_file_field_for_a_material_the_item_does_not_have_is_refused_at_the_desk(hall):
    c = client_for(hall.village_clerk)
    other = hall.items["SC-001"].current.materials.first().id
    data = desk_post(hall)
    data[f"f{other}"] = SimpleUploadedFile("x.png", png())
    page = c.post("/servicehall/desk/", data).content.decode()
    assert "该事项没有这项材料" in page and not Application.objects.exists()


def test_uploading_on_the_application_page_and_a_refused_user(hall):
    app = awaiting(hall)
    c = client_for(hall.village_clerk)
    r = c.post(f"/servicehall/a/{app.number}/", {"action": "upload",
               "material_id": mat(app, "户口簿"), "file": SimpleUploadedFile("hr", jpeg())},
               follow=True)  # fmt: skip
    assert "已上传 hr.jpg" in r.content.decode()
    r = c.post(f"/servicehall/a/{app.number}/", {"action": "upload",
               "material_id": mat(app, "居民身份证"), "file": SimpleUploadedFile("x.pdf", b"?")},
               follow=True)  # fmt: skip
    assert "不是 PDF、JPEG 或 PNG" in r.content.decode()
    # the county's clerk sees it but does not carry its materials
    r = client_for(hall.county_clerk).post(f"/servicehall/a/{app.number}/", {
        "action": "upload", "material_id": mat(app, "居民身份证"),
        "file": SimpleUploadedFile("id.png", png())}, follow=True)  # fmt: skip
    assert "您不能为此办件上传材料" in r.content.decode()
    assert app.files.count() == 1


# ------------------------------------------------------------------ the applicant's phone page


def test_the_applicant_uploads_what_the_notice_asked_for_on_the_phone(hall):
    app = awaiting(hall)
    pub = Client()
    base = {"number": app.number, "phone": "13912345678", "action": "upload"}
    page = pub.post("/servicehall/track/", {"number": app.number, "phone": "13912345678"})
    assert "拍照或选择文件上传" in page.content.decode()
    r = pub.post("/servicehall/track/", {**base, "material_id": mat(app, "居民身份证"),
                 "file": SimpleUploadedFile("IMG_0001.JPG", jpeg())})  # fmt: skip
    assert "已上传「IMG_0001.jpg」" in r.content.decode()
    r = pub.post("/servicehall/track/", {**base, "material_id": mat(app, "户口簿"),
                 "file": SimpleUploadedFile("hr.png", b"text")})  # fmt: skip
    assert "不是 PDF、JPEG 或 PNG" in r.content.decode()
    # a wrong phone finds nothing and stores nothing
    r = pub.post("/servicehall/track/", {**base, "phone": "13900000000",
                 "material_id": mat(app, "户口簿"), "file": SimpleUploadedFile("h.png", png())})  # fmt: skip
    assert "未找到该办件" in r.content.decode()
    assert app.files.count() == 1 and app.files.get().uploaded_by is None
    ev = app.events.filter(kind="upload").get()
    assert ev.actor_name == "申请人" and "居民身份证" in ev.note
    desk = client_for(hall.village_clerk).get("/servicehall/desk/").content.decode()
    assert "材料已补齐，待受理" not in desk  # 户口簿 still missing
    pub.post("/servicehall/track/", {**base, "material_id": mat(app, "户口簿"),
             "file": SimpleUploadedFile("hr.pdf", pdf())})  # fmt: skip
    desk = client_for(hall.village_clerk).get("/servicehall/desk/").content.decode()
    assert "材料已补齐，待受理" in desk
