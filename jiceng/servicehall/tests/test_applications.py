"""Applications through the rules: intake, one-time notice, pending intake, the flow
village → town → county, time limits, signature, and a refused user for every rule."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.servicehall import applications as apps
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import (
    ApplicationEvent,
    MaterialState,
    Notice,
    ServiceItem,
    Status,
)
from jiceng.servicehall.schemas import ApplicationIn, MaterialCheck, MoveIn

pytestmark = pytest.mark.django_db
Z = ZoneInfo("Asia/Shanghai")
MON = datetime(2026, 11, 23, 9, 0, tzinfo=Z)  # Monday


def form(
    hall, code: str, village=None, states: dict[str, str] | None = None, **kw
) -> ApplicationIn:
    """An intake form with every material provided unless `states` says otherwise."""
    item = ServiceItem.objects.get(code=code)
    assert item.current is not None
    states = states or {}
    mats = [
        MaterialCheck(material_id=m.id, state=states.get(m.name, "provided"))  # type: ignore[arg-type]
        for m in item.current.materials.all()
    ]
    return ApplicationIn(
        item_code=code,
        applicant_name=kw.pop("name", "任春早"),
        applicant_phone=kw.pop("phone", "13912345678"),
        region_code=(village or hall.t.village2).code,
        materials=mats,
        **kw,
    )


def mv(user, app, move, reason="", now=None, **kw):
    return apps.move(user, app.number, MoveIn(move=move, reason=reason, **kw), now=now)


def test_a_village_clerk_takes_in_an_item_the_village_may_accept(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    assert app.status == Status.ACCEPTED and app.accepted_level == 5 and app.step == 0
    assert app.clerk == hall.village_clerk  # 首问负责
    # promised 5, legal 20 working days from Monday 09:00
    assert app.promised_due == datetime(2026, 11, 30, 9, 0, tzinfo=Z)
    assert app.legal_due == datetime(2026, 12, 21, 9, 0, tzinfo=Z)
    assert app.number.startswith("BJ20261123")


def test_an_item_not_acceptable_at_this_level_is_refused_with_where_to_go(hall):
    with pytest.raises(Refused, match="不能在村（社区）受理，请到乡镇（街道）便民服务窗口办理"):
        apps.intake(hall.village_clerk, form(hall, "SC-001"), now=MON)
    assert apps.intake(hall.town_clerk, form(hall, "SC-001"), now=MON).accepted_level == 4


def test_a_proxy_agent_takes_it_in_at_the_lowest_level_that_may_accept_it(hall):
    app = apps.intake(hall.agent_user, form(hall, "SC-001"), now=MON)
    assert app.accepted_level == 4 and app.agent == hall.agent and app.channel == "appointment"


def test_an_agent_or_clerk_outside_the_applicants_village_is_refused(hall):
    with pytest.raises(Refused, match="不在您的服务范围内"):
        apps.intake(hall.agent_user, form(hall, "MZ-001", village=hall.t.village1), now=MON)
    with pytest.raises(Refused, match="不在您的服务范围内"):
        apps.intake(hall.other_town_clerk, form(hall, "SC-001"), now=MON)


def test_a_role_without_intake_is_refused(hall):
    with pytest.raises(PermissionDenied):
        apps.intake(hall.users.street, form(hall, "MZ-001"), now=MON)
    with pytest.raises(PermissionDenied):
        apps.intake(hall.users.resident, form(hall, "MZ-001"), now=MON)


def test_every_missing_material_is_told_at_once_in_one_notice(hall):
    states = {"居民身份证": "missing", "户口簿": "missing"}
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states=states), now=MON)
    assert app.status == Status.AWAITING and app.promised_due is None
    (notice,) = Notice.objects.filter(application=app)
    assert notice.missing == ["居民身份证", "户口簿"]
    assert "1. 居民身份证" in notice.text and "2. 户口簿" in notice.text
    # both brought together: taken in, the clock starts at that moment
    later = datetime(2026, 11, 25, 10, 0, tzinfo=Z)
    ids = [m.material_id for m in app.materials.filter(state=MaterialState.MISSING)]
    app = mv(hall.village_clerk, app, "supplement", material_ids=ids, now=later)
    assert app.status == Status.ACCEPTED and app.accepted_at == later
    assert Notice.objects.filter(application=app).count() == 1


def test_pending_intake_where_allowed_and_the_decision_waits_for_the_material(hall):
    states = {"本人社会保障卡或银行卡": "pending"}
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states=states), now=MON)
    assert app.status == Status.ACCEPTED and app.pending_until is not None
    mv(hall.village_clerk, app, "pass", now=MON)
    mv(hall.town_clerk, app, "pass", now=MON)
    with pytest.raises(Refused, match="容缺材料未补齐"):
        mv(hall.county_clerk, app, "approve", now=MON)
    # a pending material is refused where the item does not allow it
    with pytest.raises(Refused, match="不允许容缺"):
        apps.intake(hall.village_clerk, form(hall, "MZ-003", states={"户口簿": "pending"}), now=MON)
    with pytest.raises(Refused, match="不在可免提交之列"):
        apps.intake(
            hall.town_clerk, form(hall, "SC-001", states={"个体工商户登记申请书": "on_file"})
        )


def test_village_town_county_each_review_appended_and_only_the_holding_level_moves_it(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    with pytest.raises(PermissionDenied):  # the town may not act while the village holds it
        mv(hall.town_clerk, app, "pass", now=MON)
    app = mv(hall.village_clerk, app, "pass", now=MON)
    assert app.current_level == 4 and app.status == Status.IN_REVIEW
    with pytest.raises(Http404):  # another town's clerk does not even see it
        mv(hall.other_town_clerk, app, "pass", now=MON)
    with pytest.raises(PermissionDenied):  # the village cannot approve for the county
        mv(hall.village_clerk, app, "approve", now=MON)
    app = mv(hall.town_clerk, app, "return", reason="照片不清晰", now=MON)
    assert app.current_level == 5 and app.status == Status.ACCEPTED
    app = mv(hall.village_clerk, app, "pass", now=MON)
    app = mv(hall.town_clerk, app, "pass", now=MON)
    with pytest.raises(Refused, match="不能审核通过"):
        mv(hall.county_clerk, app, "pass", now=MON)
    done = datetime(2026, 11, 26, 11, tzinfo=Z)
    app = mv(hall.county_clerk, app, "approve", now=done)
    assert app.status == Status.APPROVED and app.finished_at == done
    kinds = list(app.events.values_list("kind", "level"))
    assert kinds == [("accept", 5), ("pass", 5), ("return", 4), ("pass", 5), ("pass", 4),
                     ("approve", 3)]  # fmt: skip
    ev = app.events.first()
    ev.note = "改写"
    with pytest.raises(ValueError, match="append-only"):
        ev.save()
    with pytest.raises(ValueError):
        ApplicationEvent.objects.first().delete()


def test_a_reason_is_required_to_refuse_return_suspend_or_extend(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-002"), now=MON)
    for m in ("refuse", "suspend", "extend", "withdraw"):
        with pytest.raises(Refused, match="须填写理由"):
            mv(hall.village_clerk, app, m, now=MON)


def test_suspension_stops_the_clock_and_one_extension_within_its_term(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-002"), now=MON)  # promised 15, ext 10
    due0 = app.promised_due
    mv(hall.village_clerk, app, "suspend", reason="等待入户核查", now=MON)
    resumed = datetime(2026, 11, 25, 9, 0, tzinfo=Z)  # two working days later
    app = mv(hall.village_clerk, app, "resume", now=resumed)
    assert app.status == Status.ACCEPTED
    assert app.promised_due == datetime(2026, 12, 16, 9, 0, tzinfo=Z)  # due0 + 2 working days
    assert due0 == datetime(2026, 12, 14, 9, 0, tzinfo=Z)
    with pytest.raises(Refused, match="不得超过 10 个工作日"):
        mv(hall.village_clerk, app, "extend", reason="需补充调查", days=11, now=resumed)
    app = mv(hall.village_clerk, app, "extend", reason="需补充调查", days=3, now=resumed)
    assert app.promised_due == datetime(2026, 12, 21, 9, 0, tzinfo=Z)
    with pytest.raises(Refused, match="不能延期"):  # only once (Open Zaak verlenging)
        mv(hall.village_clerk, app, "extend", reason="再延", days=1, now=resumed)


def test_cards_are_queries_on_the_stored_deadlines(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    visible = apps.visible(hall.town_clerk)
    late = datetime(2026, 12, 1, 9, 0, tzinfo=Z)
    assert list(visible.filter(apps.card_q("red", late))) == [app]
    assert apps.card_of(app, late) == "red"
    assert not apps.visible(hall.other_town_clerk).filter(apps.card_q("red", late)).exists()


def test_the_signature_is_kept_only_for_the_content_it_was_drawn_on(hall):
    states = {"本人社会保障卡或银行卡": "pending"}
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001", states=states), now=MON)
    png = "data:image/png;base64,iVBORw0KGgo="
    shown = apps.content_hash(app)
    # the clerk records the pending card before the applicant signs: the content changed
    card = app.materials.get(state=MaterialState.PENDING).material_id
    mv(hall.village_clerk, app, "supplement", material_ids=[card], now=MON)
    with pytest.raises(Refused, match="申请内容已变更"):
        apps.sign(app, shown, png)
    app = apps.sign(app, apps.content_hash(app), png)
    assert app.signature == png and app.events.filter(kind="sign").exists()
    with pytest.raises(Refused, match="手写签名图片"):
        apps.sign(app, apps.content_hash(app), "<script>")


def test_a_clerk_sees_only_applications_of_their_territory(hall):
    mine = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    other = apps.intake(hall.other_village_clerk, form(hall, "MZ-001", village=hall.t.village3),
                        now=MON)  # fmt: skip
    assert list(apps.visible(hall.village_clerk)) == [mine]
    assert set(apps.visible(hall.county_clerk)) == {mine, other}
    assert list(apps.visible(hall.town_clerk)) == [mine]
    with pytest.raises(Http404):
        apps.get_visible(hall.village_clerk, other.number)
    with pytest.raises(PermissionDenied):
        apps.visible(hall.users.resident)


def test_the_village_agent_checks_and_passes_up_what_they_carry_but_no_further(hall):
    app = apps.intake(hall.agent_user, form(hall, "MZ-001"), now=MON)
    assert app.accepted_level == 5 and app.current_level == 5
    app = mv(hall.agent_user, app, "pass", now=MON)
    assert app.current_level == 4
    with pytest.raises(PermissionDenied):  # the town's step is not the agent's
        mv(hall.agent_user, app, "pass", now=MON)
    other = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    with pytest.raises(PermissionDenied):  # nor an application the agent does not carry
        mv(hall.agent_user, other, "pass", now=MON)
