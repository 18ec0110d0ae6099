"""The village board: versions never change in place, a board shows only its village,
public or members-only per village, finance tables whole-or-nothing, policy publicity."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from openpyxl import Workbook

from jiceng.community import board
from jiceng.community.board import Row
from jiceng.community.models import (
    PolicyRead,
    Publication,
    PublicationVersion,
    VillageSettings,
)
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def _pub(users, territory, **kw):
    args: dict[str, Any] = dict(
        kind="village",
        title="2026年第三季度村务公开",
        body="修建村道 1.2 公里",
        period_label="2026年第三季度",
    )
    args.update(kw)
    return board.publish(users.community, territory.village1.code, **args)


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["类别", "项目", "金额"])
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12,345.60", Decimal("12345.60")),
        (12000, Decimal("12000.00")),
        (15400.5, Decimal("15400.50")),
        ("１２３元", Decimal("123.00")),
    ],
)
def test_amounts_are_read_exactly(raw, expected):
    assert board.parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "-5", "1.234", "NaN", None, True])
def test_bad_amounts_are_refused_in_chinese(raw):
    with pytest.raises(ValueError) as exc:
        board.parse_amount(raw)
    assert "金额" in str(exc.value)


def test_a_total_row_that_does_not_add_up_names_its_line():
    rows = [
        Row(2, "income", "土地租金", "100"),
        Row(3, "income", "补助", "50"),
        Row(4, "income", "合计", "160"),
        Row(5, "spending", "修路", "x"),
    ]
    with pytest.raises(ValidationError) as exc:
        board.build_tables(rows)
    msgs = exc.value.messages
    assert any(m.startswith("第 4 行") and "160.00" in m and "150.00" in m for m in msgs)
    assert any(m.startswith("第 5 行") for m in msgs)


@pytest.mark.parametrize("label", ["收入合计", "收入 合计：", "本期小计", "总计"])
def test_a_labelled_total_row_is_checked_not_counted_as_an_item(label):
    rows = [Row(2, "income", "土地租金", "48600"), Row(3, "income", "上级转移支付", "60000")]
    with pytest.raises(ValidationError) as exc:
        board.build_tables([*rows, Row(4, "income", label, "100000")])
    (msg,) = exc.value.messages
    assert msg.startswith("第 4 行：收入") and "100,000.00" in msg and "108,600.00" in msg
    assert "收入收入" not in msg
    t = board.build_tables([*rows, Row(4, "income", label, "108600")])
    assert [r["item"] for r in t["income"]] == ["土地租金", "上级转移支付"]
    # an item that merely mentions a total is an item
    t = board.build_tables([Row(2, "income", "上年结转资金合计数调整", "5")])
    assert t["income"][0]["item"] == "上年结转资金合计数调整"


def test_tables_keep_items_and_drop_checked_totals():
    t = board.build_tables(
        [
            Row(2, "income", "租金", "100"),
            Row(3, "income", "合计", "100"),
            Row(4, "assets", "办公楼", "5"),
        ]
    )
    assert t == {
        "income": [{"item": "租金", "amount": "100.00"}],
        "assets": [{"item": "办公楼", "amount": "5.00"}],
    }
    shown = board.table_totals(t)
    assert shown["balance"] == Decimal("100.00")


def test_a_correction_is_a_new_version_and_the_first_stays_as_published(users, territory):
    pub = _pub(users, territory)
    v1 = pub.current
    board.correct(
        users.community,
        pub,
        reason="道路长度填错",
        title="2026年第三季度村务公开（更正）",
        body="修建村道 1.5 公里",
    )
    pub.refresh_from_db()
    assert pub.versions_count == 2
    first = PublicationVersion.objects.get(pk=v1.pk)
    assert (first.number, first.body, first.reason) == (1, "修建村道 1.2 公里", "")
    assert pub.current.body == "修建村道 1.5 公里" and pub.current.reason == "道路长度填错"
    first.body = "悄悄改掉"
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(ValueError):
        first.delete()


def test_a_correction_needs_a_reason(users, territory):
    pub = _pub(users, territory)
    with pytest.raises(ValidationError):
        board.correct(users.community, pub, reason=" ", title="x", body="y")
    assert pub.versions.count() == 1


def test_three_affairs_need_their_period(users, territory):
    with pytest.raises(ValidationError) as exc:
        _pub(users, territory, period_label="")
    assert "期间" in exc.value.messages[0]


def test_a_board_shows_only_its_own_village(users, territory):
    _pub(users, territory)
    board.publish(
        users.street, territory.village2.code, kind="notice", title="五一村通知", body="开会"
    )
    c = client_for(users.street)
    body = c.get(f"/community/v/{territory.village1.code}/").content.decode()
    assert "2026年第三季度村务公开" in body and "五一村通知" not in body


def test_a_village_board_is_open_without_login_only_if_the_village_chose_so(
    users, territory, people
):
    _pub(users, territory)
    url = f"/community/v/{territory.village1.code}/"
    anon = Client()
    assert anon.get(url).status_code == 302  # to the login page
    assert client_for(people.resident).get(url).status_code == 200  # a member
    VillageSettings.objects.create(village_code=territory.village1.code, public_board=True)
    r = anon.get(url)
    assert r.status_code == 200 and "2026年第三季度村务公开" in r.content.decode()
    pub = Publication.objects.get()
    assert anon.get(f"{url}p/{pub.pk}/").status_code == 200


def test_a_resident_of_another_village_is_refused_a_members_only_board(users, territory, people):
    pub = _pub(users, territory)
    c = client_for(people.other_resident)
    assert c.get(f"/community/v/{territory.village1.code}/").status_code == 404
    assert c.get(f"/community/v/{territory.village1.code}/p/{pub.pk}/").status_code == 404


def test_a_street_user_of_another_street_may_not_publish_there(users, territory):
    with pytest.raises(Http404):
        board.publish(
            users.other_street, territory.village1.code, kind="notice", title="t", body="b"
        )
    c = client_for(users.other_street)
    assert c.get(f"/community/v/{territory.village1.code}/publish/").status_code == 404
    assert c.get(f"/community/v/{territory.village1.code}/").status_code == 404
    # a resident may read but not publish
    assert (
        client_for(users.resident)
        .get(f"/community/v/{territory.village1.code}/publish/")
        .status_code
        == 403
    )


def test_finance_import_from_excel_is_whole_or_nothing(users, territory):
    c = client_for(users.community)
    url = f"/community/v/{territory.village1.code}/publish/"
    bad = _xlsx(
        [
            ("收入", "土地租金", 12000),
            ("收入", "补助", 30000),
            ("收入", "合计", 41000),
            ("支出", "修路", 500),
        ]
    )
    form = {"kind": "finance", "title": "2026年第三季度财务公开", "period_label": "2026年第三季度"}
    r = c.post(url, {**form, "excel": _file("f.xlsx", bad)}, follow=True)
    text = r.content.decode()
    assert "第 4 行" in text and "41,000.00" in text and "42,000.00" in text
    assert Publication.objects.count() == 0
    good = _xlsx(
        [
            ("收入", "土地租金", 12000),
            ("收入", "补助", 30000),
            ("收入", "合计", 42000),
            ("支出", "修路", 500.5),
        ]
    )
    r = c.post(url, {**form, "excel": _file("f.xlsx", good)})
    assert r.status_code == 302
    pub = Publication.objects.get()
    assert pub.current.tables["spending"] == [{"item": "修路", "amount": "500.50"}]
    page = c.get(r["Location"]).content.decode()
    assert "42,000.00" in page and "41,499.50" in page  # total and balance


def test_finance_rows_typed_on_the_page(users, territory):
    c = client_for(users.community)
    r = c.post(
        f"/community/v/{territory.village1.code}/publish/",
        {
            "kind": "finance",
            "title": "财务",
            "period_label": "2026年9月",
            "t_income": "土地租金 1,000\n合计 1000",
            "t_spending": "办公费\t200.5",
        },
    )
    assert r.status_code == 302
    assert Publication.objects.get().current.tables["income"] == [
        {"item": "土地租金", "amount": "1000.00"}
    ]


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_attachments_are_carried_to_a_correction(users, territory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pub = _pub(users, territory, files=[_file("账目.pdf", b"%PDF-1.4 x")])
    board.correct(users.community, pub, reason="补充说明内容", title="t2", body="b2")
    pub.refresh_from_db()
    assert [a.name for a in pub.current.attachments.all()] == ["账目.pdf"]
    with pytest.raises(ValidationError):
        _pub(users, territory, files=[_file("virus.exe", b"MZ")])


def test_policy_publicity_records_who_read_it(users, territory):
    p = board.publish_policy(
        users.street,
        title="关于2026年农业补贴的通知",
        body="凡在本镇种植粮食作物的农户均可申请每亩 120 元补贴。",
        region_codes=[territory.village1.code, territory.village2.code],
        companies=[("汉阴县富硒茶业有限公司", territory.town1.code)],
    )
    t1 = p.targets.get(region_code=territory.village1.code)
    board.mark_read(t1, user=users.community)
    company = p.targets.get(kind="company")
    r = Client().post(f"/community/policy/r/{company.key}/", {"name": "王经理"})
    assert r.status_code == 302
    report = {x["name"]: [y.reader_name for y in x["reads"]] for x in board.read_report(p)}
    assert report == {"城关社区": ["community"], "五一村": [], "汉阴县富硒茶业有限公司": ["王经理"]}
    # staff of another village are not addressees
    with pytest.raises(ValidationError):
        board.mark_read(p.targets.get(region_code=territory.village2.code), user=users.community)
    assert PolicyRead.objects.count() == 2


def test_policy_targets_outside_the_publishers_scope_are_refused(users, territory):
    with pytest.raises(ValidationError):
        board.publish_policy(
            users.other_street,
            title="t",
            body="一二三四五六七八九十",
            region_codes=[territory.village1.code],
        )
    c = client_for(users.community)  # village staff do not publish policies
    assert c.get("/community/policies/new/").status_code == 403


def test_a_policy_sent_to_a_public_village_is_read_on_its_board_without_login(users, territory):
    p = board.publish_policy(
        users.street,
        title="耕地地力保护补贴",
        body="每亩 105 元，按确权面积发放到户。",
        region_codes=[territory.village1.code],
    )
    VillageSettings.objects.create(village_code=territory.village1.code, public_board=True)
    anon = Client()
    assert (
        "每亩 105 元"
        in anon.get(f"/community/v/{territory.village1.code}/policy/{p.pk}/").content.decode()
    )
    # not sent to village2: not found there
    VillageSettings.objects.create(village_code=territory.village2.code, public_board=True)
    assert anon.get(f"/community/v/{territory.village2.code}/policy/{p.pk}/").status_code == 404


def test_an_anonymous_visitor_finds_the_public_boards_and_the_tracker(territory):
    """From /community/ (→ login) a visitor on a phone, with no account, reaches the boards
    of the villages that chose to be public, and the case tracker; a private one is not
    listed."""
    VillageSettings.objects.create(village_code=territory.village1.code, public_board=True)
    VillageSettings.objects.create(village_code=territory.village2.code, public_board=False)
    c = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile Safari")
    login = c.get("/community/", follow=True)
    assert login.redirect_chain[-1][0].startswith("/accounts/login/")
    body = login.content.decode()
    assert 'href="/community/public/"' in body and 'href="/cases/track/"' in body
    assert 'name="viewport"' in body
    index = c.get("/community/public/")
    assert index.status_code == 200
    html = index.content.decode()
    board_url = f"/community/v/{territory.village1.code}/"
    assert f'href="{board_url}"' in html and territory.village1.name in html
    assert f"/community/v/{territory.village2.code}/" not in html
    assert 'href="/cases/track/"' in html
    assert c.get(board_url).status_code == 200
    assert c.get("/cases/track/").status_code == 200
    # the private board still sends the visitor to log in
    assert c.get(f"/community/v/{territory.village2.code}/").status_code == 302
