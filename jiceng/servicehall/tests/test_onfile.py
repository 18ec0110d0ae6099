"""免证办: materials satisfied by records on file (the people app's resident and household,
the applicant's earlier finished applications) — the reference stored, the retrieval
logged, and a refusal wherever the record is not the applicant's or not in the territory."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from jiceng.accounts.models import AccessLog
from jiceng.lib import idcard
from jiceng.servicehall import applications as apps
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import MaterialReference, MaterialState, Status
from jiceng.servicehall.schemas import MaterialIn
from jiceng.servicehall.tests.test_applications import MON, form, mv
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
ID_NUMBER = idcard.make("610921", date(1940, 3, 8), 123)
BOTH = {"居民身份证": "on_file", "户口簿": "on_file"}


@pytest.fixture
def resident(hall):
    """任春早, head of household HY-0001 in 五一村 (the people app's records)."""
    from jiceng.people.models import Household, Resident
    from jiceng.people.services import id_hash

    v = hall.t.village2
    h = Household.objects.create(
        number="HY-0001", grid=v, grid_code=v.code, address="五一村三组8号"
    )
    return Resident.objects.create(
        household=h, relation=Resident.Relation.HEAD, grid=v, grid_code=v.code, name="任春早",
        id_number=ID_NUMBER, id_hash=id_hash(Resident.IdType.ID_CARD, ID_NUMBER),
    )  # fmt: skip


def test_id_card_and_household_register_are_taken_from_the_people_records(hall, resident):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH,
                      applicant_id_number=ID_NUMBER.lower()), now=MON)  # fmt: skip
    assert app.status == Status.ACCEPTED and app.applicant_id_last4 == ID_NUMBER[-4:]
    states = dict(app.materials.values_list("material__name", "state"))
    assert states["居民身份证"] == states["户口簿"] == MaterialState.ON_FILE
    refs = {r.material.name: r for r in MaterialReference.objects.select_related("material")}
    assert refs["居民身份证"].record_type == "people.resident"
    assert refs["居民身份证"].record_id == str(resident.pk)
    assert refs["户口簿"].record_type == "people.household"
    assert refs["户口簿"].record_id == str(resident.household_id)
    assert refs["户口簿"].by == hall.village_clerk and refs["户口簿"].at == MON
    # the label never carries the full number
    assert ID_NUMBER not in refs["居民身份证"].label and idcard.mask(ID_NUMBER) in refs[
        "居民身份证"].label  # fmt: skip
    assert "户主 任春早" in refs["户口簿"].label
    logs = AccessLog.objects.filter(viewer=hall.village_clerk, reason__startswith="免证办调取")
    assert sorted(logs.values_list("subject_type", flat=True)) == [
        "people.household", "people.resident"]  # fmt: skip
    # the reference is history: never edited
    with pytest.raises(ValueError):
        refs["户口簿"].save()


def test_the_clerk_sees_retrieved_from_file_with_its_source(hall, resident):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH,
                      applicant_id_number=ID_NUMBER), now=MON)  # fmt: skip
    page = client_for(hall.town_clerk).get(f"/servicehall/a/{app.number}/").content.decode()
    assert page.count("已调取（免提交）") == 2
    assert "来源：居民档案 任春早" in page and "户籍档案 户号 HY-0001" in page
    assert ID_NUMBER not in page


def test_without_a_record_on_file_every_failure_is_said_at_once(hall, resident):
    with pytest.raises(Refused, match="免提交须录入申请人身份证号码"):
        apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH), now=MON)
    with pytest.raises(Refused, match="身份证号码不正确"):
        apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH,
                    applicant_id_number="610921194003081230"), now=MON)  # fmt: skip
    # the number is someone's, but not this applicant's name
    with pytest.raises(Refused, match="人口库中未找到申请人（任春晚）") as e:
        apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH, name="任春晚",
                    applicant_id_number=ID_NUMBER), now=MON)  # fmt: skip
    assert "「居民身份证」须当场提交" in str(e.value) and "「户口簿」须当场提交" in str(e.value)
    assert not MaterialReference.objects.exists() and not AccessLog.objects.exists()


def test_a_resident_of_another_village_is_not_found_from_this_village(hall, resident):
    """The record must live where the applicant says they live: 五一村's resident cannot be
    pulled in by an application made for another village."""
    with pytest.raises(Refused, match="人口库中未找到申请人"):
        apps.intake(hall.other_village_clerk, form(hall, "MZ-001", village=hall.t.village3,
                    states=BOTH, applicant_id_number=ID_NUMBER), now=MON)  # fmt: skip
    assert not AccessLog.objects.exists()


def test_a_resident_without_a_household_cannot_give_the_household_register(hall, resident):
    resident.household = None
    resident.save()
    with pytest.raises(Refused, match="未登记户籍信息"):
        apps.intake(hall.village_clerk, form(hall, "MZ-001", states=BOTH,
                    applicant_id_number=ID_NUMBER), now=MON)  # fmt: skip


def test_an_earlier_certificate_of_the_applicant_is_reused(hall):
    """生育登记 asks for 结婚证: the applicant's finished 结婚登记 is the reference."""
    wed = apps.intake(hall.county_clerk, form(hall, "MZ-005"), now=MON)
    with pytest.raises(Refused, match="未找到申请人此前办结的相关办件"):
        apps.intake(hall.village_clerk, form(hall, "WJ-001", states={"结婚证": "on_file"}),
                    now=MON)  # fmt: skip
    mv(hall.county_clerk, wed, "approve", now=MON)
    # another person's (another phone's) certificate is not theirs
    with pytest.raises(Refused, match="未找到申请人此前办结"):
        apps.intake(hall.village_clerk, form(hall, "WJ-001", states={"结婚证": "on_file"},
                    phone="13700000000"), now=MON)  # fmt: skip
    app = apps.intake(hall.village_clerk, form(hall, "WJ-001", states={"结婚证": "on_file"}),
                      now=MON)  # fmt: skip
    ref = app.references.get()
    assert ref.record_type == "servicehall.application" and ref.record_id == wed.number
    assert "结婚登记" in ref.label
    assert AccessLog.objects.get().subject_id == wed.number


def test_a_material_without_a_source_cannot_be_on_file_and_sources_are_checked(hall):
    with pytest.raises(Refused, match="不在可免提交之列"):
        apps.intake(hall.town_clerk, form(hall, "SC-001", states={"个体工商户登记申请书":
                    "on_file"}), now=MON)  # fmt: skip
    with pytest.raises(ValidationError, match="可免提交来源只能是"):
        MaterialIn(name="结婚证", copies=1, on_file_kind="marriage")
    assert MaterialIn(name="x", copies=1, on_file_kind="id_card").on_file_kind == "resident_id"
    assert MaterialIn(name="x", copies=1, on_file_kind="earlier_result:MZ-005").on_file_kind


def test_on_file_through_the_api_shows_the_source_and_logs_the_api_channel(hall, resident):
    from jiceng.servicehall.tests.test_api import API, body

    b = body(hall, applicant_id_number=ID_NUMBER)
    for m in b["materials"]:
        if m["material_id"] in set(
            hall.items["MZ-001"].current.materials.filter(on_file_kind__in=["resident_id",
                                                          "household"]).values_list("id", flat=True)
        ):  # fmt: skip
            m["state"] = "on_file"
    r = client_for(hall.village_clerk).post(f"{API}/applications", b,
                                            content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    mats = {m["name"]: m for m in r.json()["materials"]}
    assert mats["居民身份证"]["on_file"]["record"] == f"people.resident:{resident.pk}"
    assert mats["居民身份证"]["state_label"] == "已调取（免提交）"
    assert set(AccessLog.objects.values_list("channel", flat=True)) == {"api"}
    # refused: the same request without the number is a structured 400
    b.pop("applicant_id_number")
    r = client_for(hall.village_clerk).post(f"{API}/applications", b,
                                            content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_materials"
