"""The helper every list outside the case queue checks its closed-set filters with
(jiceng/lib/filters.py, decision 0103): the message, the page's warning, the API's 400; and
the notification outbox (/cases/outbox/), whose unknown state used to show everything."""

from __future__ import annotations

import html

import pytest
from django.test import RequestFactory
from django.utils import translation

from jiceng.lib import filters
from jiceng.testing import client_for

F = filters.Filter("colour", "颜色", lambda: [("red", "连心户"), ("green", "放心户")], multi=False)
MULTI = filters.Filter("colour", "颜色", F.choices, multi=True)


@pytest.mark.parametrize(
    "f,raw,bad",
    [
        (F, "", []),
        (F, "red", []),
        (F, "blue", ["blue"]),
        (F, "red,green", ["red,green"]),  # one value, not a list
        (MULTI, "red,green", []),
        (MULTI, "red,,blue, pink", ["blue", "pink"]),
    ],
)
def test_bad_values(f, raw, bad):
    assert f.bad_values(raw) == bad


def test_the_message_names_the_parameter_the_value_cut_and_the_choices():
    with translation.override("zh-hans"):
        msg = F.message(["x" * 100])
    assert msg == f"“颜色”没有“{'x' * 40}”这个值；可选：连心户（red）、放心户（green）"


def test_in_english_the_parameter_is_english():
    with translation.override("en"):
        msg = F.message(["blue"])
    assert "Colour" in msg and "“blue”" in msg and "颜色" not in msg


def test_check_and_on_api():
    assert filters.check({"colour": "red"}, [F]) == {}
    assert list(filters.check({"colour": "blue"}, [F])) == ["colour"]
    with pytest.raises(filters.InvalidFilter) as e:
        filters.on_api({"colour": "blue"}, [F])
    assert e.value.details() == [
        {"loc": ["query", "colour"], "msg": str(e.value), "type": "invalid_choice"}
    ]
    filters.on_api({"colour": None}, [F])  # absent: no condition


@pytest.mark.django_db
def test_on_page_warns_and_gives_the_default(rf: RequestFactory):
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.get("/", {"colour": "blue"})
    setattr(request, "session", {})  # noqa: B010 (mypy: a dict is not a SessionBase)
    setattr(request, "_messages", FallbackStorage(request))  # noqa: B010
    assert filters.on_page(request, [F], {"colour": "red"}) == {"colour": "red"}
    said = [str(m) for m in getattr(request, "_messages")]  # noqa: B009
    assert len(said) == 1 and "“blue”" in said[0] and "下面的列表未按此条件筛选" in said[0]
    request = rf.get("/", {"colour": "green"})
    assert filters.on_page(request, [F], {"colour": "red"}) == {"colour": "green"}
    assert filters.on_page(rf.get("/"), [F], {"colour": "red"}) == {"colour": "red"}


def test_answer_400_is_declared_with_a_string_key():
    answer = filters.answer_400(F, also="more")
    assert list(answer) == ["400"]
    assert "`colour`" in answer["400"]["description"] and "more" in answer["400"]["description"]


# ---- the notification outbox (/cases/outbox/) --------------------------------------------


@pytest.fixture
def notices(users, cats, in_grid):
    from django.utils import timezone

    from jiceng.cases import services
    from jiceng.cases.models import Outbox

    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        user=users.street,
        **in_grid,
    )
    for state, body in [(Outbox.FAILED, "请办理 A"), (Outbox.SENT, "请办理 B")]:
        Outbox.objects.create(
            kind="dispatch",
            body=body,
            case=case,
            to_phone="13900001111",
            dedupe_key=body,
            state=state,
            next_attempt_at=timezone.now(),
        )


def _said(r) -> str:
    return " ".join(str(m) for m in r.context["messages"])


@pytest.mark.django_db
def test_the_outbox_names_an_unknown_state_and_the_choices(users, notices):
    r = client_for(users.district).get("/cases/outbox/", {"state": "<b>lost</b>"})
    assert r.status_code == 200
    said = _said(r)
    for text in ["“状态”", "“<b>lost</b>”", "发送失败（failed）", "已发送（sent）"]:
        assert text in said, (text, said)
    body = r.content.decode()
    assert "<b>lost</b>" not in body and html.escape("“<b>lost</b>”", quote=False) in body
    assert "请办理 A" in body and "请办理 B" in body  # the condition is dropped, and said so


@pytest.mark.django_db
@pytest.mark.parametrize("state,shown", [("failed", "请办理 A"), ("sent", "请办理 B"), ("", "")])
def test_the_outbox_filters_by_a_known_state_without_a_word(users, notices, state, shown):
    r = client_for(users.district).get("/cases/outbox/", {"state": state})
    assert r.status_code == 200 and not _said(r)
    body = r.content.decode()
    if shown:
        assert shown in body and ({"请办理 A", "请办理 B"} - {shown}).pop() not in body
