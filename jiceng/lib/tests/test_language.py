"""Pages in English when English is chosen, in Chinese otherwise (issue 17 item 17).

A page passes in English when every Chinese run left in its visible text is *data*
(a value stored in the database: region, unit, user names…) or a model choice label that
has no English yet (listed in docs/decisions/0051). Any Chinese that comes from a template,
and any choice label shown in Chinese although the catalogue translates it, is a failure.
Elements marked lang="zh-CN" (the switch's "中文", import file headers) are skipped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from jiceng.lib.language import chosen_language
from jiceng.testing import client_for

CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
VISIBLE_ATTRS = ("placeholder", "title", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """Text a person sees: element text and a few attributes, without scripts, styles and
    elements marked lang="zh…" (the language switch names Chinese in Chinese on purpose)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        # lang="zh-CN" marks Chinese kept on purpose: the switch's "中文", file headers.
        if tag in ("script", "style") or (a.get("lang") or "").startswith("zh"):
            self._skip.append(tag)
            return
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.append(tag)
            return
        self.parts += [a[k] or "" for k in VISIBLE_ATTRS if k in a]

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag == self._skip[-1]:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _untranslated(label: str) -> bool:
    with translation.override("en"):
        return gettext(label) == label


def _data_strings() -> list[str]:
    """Every stored string, and the model choice labels that have no English yet: Chinese
    allowed on an English page. A choice label the catalogue translates is not allowed —
    a page showing it in Chinese forgot to translate it."""
    out: list[str] = []
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        for f in model._meta.concrete_fields:
            with translation.override("zh-hans"):
                labels = [str(label) for _, label in (f.flatchoices or [])]
            out += [label for label in labels if _untranslated(label)]
        if fields:
            for row in model._default_manager.values_list(*[f.attname for f in fields]):
                out += [v for v in row if isinstance(v, str)]
    return out


def leftover_chinese(html: str) -> list[str]:
    """Chinese runs of the visible text that are neither data nor choice labels."""
    data = _data_strings()
    text = visible_text(html)
    # "、" joins lists of data or choice labels ("居民身份证、护照…"): check each item.
    runs = [part for run in CJK_RUN.findall(text) for part in run.split("、") if part]
    return sorted({run for run in runs if not any(run in d for d in data)})


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# (user in the `users` fixture or None for anonymous, url with {names} from `territory`)
PAGES: list = [
    # machinery, error pages, accounts
    (None, "/accounts/login/"),
    ("district", "/accounts/me/"),
    ("district", "/territory/r/999999999999/"),  # 404 page
    ("resident", "/territory/imports/"),  # 403 page
    # command
    ("district", "/command/"),
    ("district", "/command/map/"),
    ("district", "/command/screen/"),
    ("district", "/command/notices/"),
    ("district", "/command/notices/new/"),
    ("grid_worker", "/command/field/"),
    ("district", "/command/field/supervise/"),
    # people
    ("district", "/people/overview/"),
    ("district", "/people/overview/{county}/"),
    ("district", "/people/search/"),
    ("grid_worker", "/people/m/"),
    ("district", "/people/import/"),
    ("district", "/people/access-log/"),
    # territory
    ("district", "/territory/r/{county}/"),
    ("district", "/territory/r/{village1}/"),
    ("district", "/territory/map/"),
    ("district", "/territory/grid/{grid3a}/"),
    ("district", "/territory/sizing/"),
    ("district", "/territory/imports/"),
    # community
    ("district", "/community/"),
    ("district", "/community/v/{village1}/"),
    ("district", "/community/v/{village1}/publish/"),
    ("district", "/community/v/{village1}/settings/"),
    ("district", "/community/v/{village1}/echo/"),
    ("district", "/community/v/{village1}/topics/"),
    ("district", "/community/v/{village1}/points/"),
    ("district", "/community/v/{village1}/cobuild/"),
    ("district", "/community/policies/"),
    ("district", "/community/policies/new/"),
    ("district", "/community/messages/"),
    ("district", "/community/messages/overdue/"),
    ("district", "/community/disputes/"),
    ("district", "/community/disputes/new/"),
    ("district", "/community/disputes/committees/"),
    ("district", "/community/disputes/stats/"),
    # servicehall
    (None, "/servicehall/guide/"),
    (None, "/servicehall/track/"),
    (None, "/servicehall/book/"),
    ("district", "/servicehall/board/"),
    ("district", "/servicehall/desk/"),
    ("district", "/servicehall/vain/"),
    ("district", "/servicehall/whereabouts/"),
    # assessment (count labels, formula text and exclusion reasons are translated)
    ("district", "/assessment/"),
    ("district", "/assessment/metrics/"),
    ("district", "/assessment/exclusions/"),
    ("district", "/assessment/scorecards/"),
    ("district", "/assessment/exports/"),
    ("department", "/assessment/dispatch-rating/"),
    # open311
    ("district", "/open311/keys/"),
    # every role's landing page (home sends district/street to the wall, the department
    # to its inbox, the resident to their cases, the grid worker to today's work)
    ("resident", "/"),
    ("grid_worker", "/"),
    ("community", "/"),
    ("street", "/"),
    ("department", "/"),
    ("district", "/"),
    ("auditor", "/"),
    # cases
    ("district", "/cases/"),
    ("street", "/cases/"),
    ("resident", "/cases/"),
    ("resident", "/cases/report/"),
    ("grid_worker", "/cases/report/"),
    ("grid_worker", "/cases/alarm/"),
    ("street", "/cases/hotline/"),
    ("street", "/cases/board/"),
    ("department", "/cases/inbox/"),
    ("district", "/cases/overdue/"),
    ("district", "/cases/calendar/"),
    ("district", "/cases/outbox/"),
    ("district", "/cases/rules/"),
    (None, "/cases/track/"),
    # dispatch
    ("district", "/dispatch/suggest/"),
    ("district", "/dispatch/hotwords/"),
]


def _get(users, territory, who: str | None, url: str, english: bool):
    codes = {k: v.code for k, v in vars(territory).items() if hasattr(v, "code")}
    client = client_for(getattr(users, who)) if who else Client()
    if english:
        _english(client)
    resp = client.get(url.format(**codes), follow=True)
    assert resp.status_code in (200, 403, 404), (url, resp.status_code)
    return resp


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), PAGES)
def test_every_page_reads_in_english_when_english_is_chosen(users, territory, who, url):
    resp = _get(users, territory, who, url, english=True)
    html = resp.content.decode()
    assert '<html lang="en">' in html, url
    assert leftover_chinese(html) == [], url


# The Chinese default holds for every page, including those whose English is incomplete.
ALL_PAGES = [p.values if hasattr(p, "values") else p for p in PAGES]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url"), ALL_PAGES)
def test_every_page_stays_chinese_by_default_even_for_an_english_browser(
    users, territory, who, url
):
    client = client_for(getattr(users, who)) if who else Client()
    codes = {k: v.code for k, v in vars(territory).items() if hasattr(v, "code")}
    resp = client.get(url.format(**codes), follow=True, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = resp.content.decode()
    assert '<html lang="zh-CN">' in html, url
    assert "Grassroots Governance Platform" not in html, url
    assert resp["Content-Language"] == "zh-hans"


def test_the_leftover_check_can_fail():
    """The English check flags template Chinese, and ignores scripts and the switch."""
    html = (
        '<p>Households</p><p>户数</p><script>var a="中文";</script>'
        '<form><button lang="zh-CN">中文</button></form><input placeholder="姓名">'
    )
    assert CJK_RUN.findall(visible_text(html)) == ["户数", "姓名"]


@pytest.mark.django_db
def test_the_switch_sets_a_cookie_and_returns_to_the_page(users):
    client = client_for(users.district)
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/people/search/"})
    assert resp.status_code == 302 and resp["Location"] == "/people/search/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/people/search/").content.decode()
    assert "Resident search" in page and 'value="zh-hans"' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/people/search/"})
    assert "居民查询" in client.get("/people/search/").content.decode()


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        (None, "zh-hans"),
        ("en", "en"),
        ("zh-hans", "zh-hans"),
        ("fr", "zh-hans"),
        ("<x>", "zh-hans"),
    ],
)
def test_chosen_language_falls_back_to_chinese(rf, cookie, expected):
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="en")
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    assert chosen_language(request) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        (None, "请填写客户端应用名称（不超过 100 个字）。"),
        ("en", "Please enter the client application name"),
    ],
)
def test_a_flash_message_follows_the_chosen_language(users, cookie, expected):
    client = client_for(users.district)
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    resp = client.post("/open311/keys/", {"action": "create", "name": ""}, follow=True)
    assert expected in resp.content.decode()


@pytest.mark.django_db
def test_a_refusal_follows_the_chosen_language(users):
    """The 403 page's reason comes from scope.require (Python), in the chosen language."""
    client = _english(client_for(users.resident))
    html = client.get("/territory/imports/").content.decode()
    assert "Your role is not allowed to do this" in html
    assert (
        "您的角色无权执行此操作"
        in client_for(users.resident).get("/territory/imports/").content.decode()
    )


@pytest.mark.django_db
def test_a_translated_choice_label_left_in_chinese_is_flagged():
    """Choice labels with English are not data: a page showing 已结案 forgot to translate."""
    assert leftover_chinese("<p>已结案</p><p>Closed</p>") == ["已结案"]


@pytest.mark.django_db
def test_a_refused_report_explains_itself_in_the_chosen_language(users):
    """Errors raised while taking a report in (views, intake, phones) reach the page
    translated: a resident who chose English is told in English what to fix."""
    form = {"description": "路灯坏了一个多星期", "category": "", "token": "t1"}
    zh = client_for(users.resident).post("/cases/report/", form).content.decode()
    assert "请选择诉求分类" in zh
    en = _english(client_for(users.resident)).post("/cases/report/", form).content.decode()
    assert "Please choose a category" in en and "请选择诉求分类" not in en


@pytest.mark.django_db
def test_refusals_raised_in_services_follow_the_chosen_language(users, territory):
    """Decision 0072: the texts that services of cases, servicehall, assessment and
    community raise (PermissionDenied, Http404, ValidationError) reach the page in the
    chosen language, and stay Chinese by default."""
    village = territory.village1.code
    cases = [
        # cases: a role that may not keep the working calendar (403 page)
        ("grid_worker", "get", "/cases/calendar/", {}, "只有区县管理员可以维护工作日历",
         "Only the district administrator may maintain the working calendar"),
        # servicehall: an application that is not there, on the tracking form
        (None, "post", "/servicehall/track/", {"number": "SX-0000", "phone": "13900000000"},
         "未找到该办件，请核对办件编号和手机号",
         "Application not found; please check the application number and the mobile phone"),
        # assessment: a custom range without its end (flash message)
        ("district", "get", "/assessment/?kind=range&start=2026-01-01", {},
         "自定义区间需要结束日期", "A custom range needs an end date"),
        # community: a resident with no household number on their village's points page
        ("resident", "get", f"/community/v/{village}/points/mine/", {},
         "您的账号尚未登记户号，请联系村委会",
         "Your account has no household number yet; please contact the village committee"),
    ]  # fmt: skip

    def client(who):
        return client_for(getattr(users, who)) if who else Client()

    for who, method, url, data, zh, en in cases:
        chinese = getattr(client(who), method)(url, data, follow=True).content.decode()
        assert zh in chinese, url
        english = getattr(_english(client(who)), method)(url, data, follow=True).content.decode()
        assert en in english and zh not in english, url
