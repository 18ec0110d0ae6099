"""Issue 11: the queue page and the list API never count all matching rows, each of their
filters is served by an index on PostgreSQL, and text search is indexed on both databases
(pg_trgm on PostgreSQL, FTS5 trigrams on SQLite) — in Chinese, and within the viewer's scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.cases import services, views
from jiceng.cases.models import Case
from jiceng.testing import client_for


def _case(users, cats, description: str, title: str = "", **where):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        title=title,
        description=description,
        user=users.district,
        **(where or {"lon": 108.405, "lat": 32.805}),
    )


@pytest.fixture
def texts(users, cats):
    home = _case(users, cats, "城关社区解放路下水道堵塞，污水漫到路面积水严重", title="下水道堵塞")
    away = _case(users, cats, "双河口村通村公路被山体滑坡阻断，车辆无法通行", lon=108.52, lat=32.82)
    return home, away


def _api(user, q: str) -> set[str]:
    r = client_for(user).get("/api/v1/cases/", {"q": q})
    assert r.status_code == 200, r.content
    return {c["number"] for c in r.json()}


def _page(user, q: str) -> str:
    r = client_for(user).get("/cases/", {"tab": "all", "q": q})
    assert r.status_code == 200
    return r.content.decode()


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(
    "q",
    ["污水漫到路面", "山体滑坡阻断", "积水", "下水道", '路面"积水', "路面积水"],
)
def test_a_chinese_substring_of_a_description_finds_its_case_in_scope_only(users, texts, q):
    """Three characters or more go through the index (trigrams on both databases); two
    fall back to a scan; a quote in the query is text, not syntax. The street user of
    城关镇 never finds the case of 涧池镇, nor does the other county's district."""
    home, away = texts
    expect = {c.number for c in (home, away) if q in c.title or q in c.description}
    assert _api(users.district, q) == expect
    assert _api(users.street, q) == expect - {away.number}
    assert _api(users.other_district, q) == set()
    page = _page(users.street, q)
    assert (home.number in page) == (home.number in expect)
    assert away.number not in page
    assert away.number not in _page(users.other_district, q)


@pytest.mark.django_db
def test_sqlite_searches_through_the_fts5_trigram_table_kept_in_step_by_triggers(users, texts):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has pg_trgm (test_perf_paths)")
    from jiceng.cases.queries import FTS_TABLE, text_q

    home, away = texts
    plan = str(Case.objects.filter(text_q("山体滑坡")).explain())
    assert FTS_TABLE in plan and "VIRTUAL TABLE" in plan, plan
    # and the list API's whole query (scope, order, the page's ids, then the rows) too
    with CaptureQueriesContext(connection) as ctx:
        assert _api(users.street, "滑坡阻断") == set()
    [sql] = [q["sql"] for q in ctx.captured_queries if 'FROM "cases_case"' in q["sql"]]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(str(r) for r in cur.fetchall())
    assert FTS_TABLE in plan and "VIRTUAL TABLE" in plan, plan
    # an edited description is found by its new words only; a deleted case is gone
    Case.objects.filter(pk=away.pk).update(title="公路塌方", description="通村公路塌方，已设置警示")
    assert _api(users.district, "山体滑坡") == set()
    assert _api(users.district, "塌方，已设") == {away.number}
    Case.objects.filter(pk=home.pk).delete()
    assert _api(users.district, "下水道堵塞") == set()
    with connection.cursor() as cur:  # the index agrees with the table after all that
        cur.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.django_db
def test_the_queue_pages_by_reading_one_row_more_never_counting_every_match(
    users, cats, monkeypatch
):
    monkeypatch.setattr(views.Window, "PAGE", 2)
    made = [_case(users, cats, f"第{i}处路灯不亮，请尽快修复") for i in range(5)]
    c = client_for(users.district)
    with CaptureQueriesContext(connection) as ctx:
        first = c.get("/cases/", {"tab": "all"})
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in s.upper() for s in counts), counts  # bounded
    body = first.content.decode()
    assert "page=2" in body and made[-1].number in body and made[0].number not in body
    last = c.get("/cases/", {"tab": "all", "page": "3"}).content.decode()
    assert made[0].number in last and "page=4" not in last
    with CaptureQueriesContext(connection) as ctx:
        c.get("/cases/", {"tab": "all", "page": "3"})
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    # an old link past the end, or nonsense, shows the first page
    assert made[-1].number in c.get("/cases/", {"tab": "all", "page": "99"}).content.decode()
    assert c.get("/cases/", {"tab": "all", "page": "x"}).status_code == 200


QUEUE = [
    {"tab": "todo"},
    {"tab": "open"},
    {"tab": "late"},
    {"tab": "visit"},
    {"tab": "all"},
    {"tab": "all", "page": "2"},
    {"tab": "all", "status": "handling"},
    {"tab": "open", "card": "red"},
    {"tab": "all", "channel": "hotline"},
    {"tab": "open", "category": "10"},
    {"tab": "all", "q": "下水道堵塞"},
    {"tab": "all", "q": "13900001111"},
    {"tab": "todo", "q": "610921-2026"},
]
API = [
    {},
    {"status": "handling"},
    {"status": "dispatched,returned"},
    {"card": "yellow"},
    {"open": "true"},
    {"q": "下水道堵塞"},
    {"q": "610921-2026"},
    {"q": "610921-2026", "cursor": "next"},
    {"cursor": "next"},
    {"open": "true", "cursor": "next"},
    {"offset": "1"},
    {"phone": "13900001111"},
    {"channel": "hotline"},
    {"category": "10"},
    {"category": "1001", "channel": "hotline"},
    {"category": "10", "cursor": "next"},
]


def _explain(sql_or_qs) -> str:
    """The plan with sequential scans priced out (SQL text, or a queryset)."""
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            if not isinstance(sql_or_qs, str):
                return str(sql_or_qs.explain())
            cur.execute("EXPLAIN " + sql_or_qs)
            return "\n".join(r[0] for r in cur.fetchall())
        finally:
            cur.execute("SET enable_seqscan = on")


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("who", ["district", "street", "community"])
@pytest.mark.parametrize(("path", "params"), [("/cases/", p) for p in QUEUE] + [
    ("/api/v1/cases/", p) for p in API
])  # fmt: skip
def test_every_filter_of_the_queue_and_the_list_api_reads_cases_through_an_index(
    users, cats, texts, who, path, params
):
    """With sequential scans priced out (the test tables are tiny), each query the page or
    the API runs on cases_case must have an index to use: a filter without one would
    still show `Seq Scan on cases_case`. For the county (a prefix of every code), a town
    and a village (their prefix, or the cases they took in themselves); the cursor's next
    page too."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    for i in range(2):  # a second page in every scope, for the cursor and offset paths
        _case(users, cats, f"第{i}处路灯不亮，请尽快修复")
    c = client_for(getattr(users, who))
    if params.get("cursor") == "next":
        first = c.get(path, {**params, "cursor": "", "limit": 1})
        params = {**params, "limit": 1, "cursor": first.headers.get("X-Next-Cursor", "")}
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path, params).status_code == 200
    selects = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "cases_case"' in q["sql"]
    ]
    assert selects
    for sql in selects:
        plan = _explain(sql)
        assert "Seq Scan on cases_case" not in plan, f"{sql}\n{plan}"


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("who", ["street", "community", "grid_worker"])
def test_a_scope_below_the_county_is_an_index_range_of_the_region_code(users, texts, who):
    """`region_code LIKE '<prefix>%'` must be a range of the pattern-ops index (the C.UTF-8
    collation is not "C" to PostgreSQL: a plain B-tree would not serve the LIKE), and the
    "or taken in by me" half an index of its own (0078)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    qs = services.visible_cases(getattr(users, who)).values("pk")
    plan = _explain(qs)
    assert "case_region_prefix" in plan and "~>=~" in plan, plan
    if "taken_by" in str(qs.query):
        assert "case_taken_by" in plan, plan


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_number_search_reads_the_numbers_index(users, texts):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from jiceng.cases import queries

    qs = Case.objects.filter(queries.number_q("610921-2026")).order_by(*queries.BY_NUMBER)
    plan = _explain(qs[:51])
    assert "cases_case_number" in plan, plan


# ---------------------------------------------------------------- keyset paging (issue 11)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("610921-20261122-0042", True),
        ("610921-2026", True),
        ("610921-", True),
        (" 610921-20261122- ", True),
        ("610921", False),  # a bare code: also a title's digits, a phone's beginning
        ("13900001111", False),
        ("下水道", False),
        ("610921-2026-积水", False),
        ("61092-2026", False),
        ("", False),
    ],
)
def test_what_counts_as_a_number_search(typed, number):
    from jiceng.cases.queries import looks_like_number

    assert looks_like_number(typed) is number


def _all_pages(c, params: dict, limit: int = 2, between=None) -> list[str]:
    """Every page of the list API through its cursor; `between()` runs after each page."""
    seen: list[str] = []
    cursor = ""
    for _ in range(100):
        r = c.get(
            "/api/v1/cases/", {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.content
        rows = r.json()
        assert len(rows) <= limit
        seen += [row["number"] for row in rows]
        cursor = r.headers.get("X-Next-Cursor", "")
        if not cursor:
            return seen
        if between:
            between()
    raise AssertionError("the cursor never ended")


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("params", [{}, {"q": "this-year"}, {"open": "true"}])
def test_cursor_paging_returns_every_case_once_while_cases_come_in(users, cats, params):
    """Seven cases, three of them created in the same instant (a tie the order settles by
    id), paged two at a time; between pages new cases come in, one of them committed late
    with an older creation time. Every case that was there at the start comes exactly once,
    nothing comes twice, in the list's order."""
    from django.utils import timezone

    first = [_case(users, cats, f"第{i}处井盖缺失，请尽快处理") for i in range(7)]
    if params.get("q") == "this-year":  # the numbers' year prefix, whatever year it is now
        params = {**params, "q": first[0].number[:11]}
    same = timezone.now() - timezone.timedelta(minutes=5)
    Case.objects.filter(pk__in=[c.pk for c in first[2:5]]).update(created_at=same)
    c = client_for(users.district)
    made: list[Case] = []

    def more() -> None:
        made.append(_case(users, cats, "新来的诉求：路灯不亮"))
        late = _case(users, cats, "晚提交的诉求：护栏损坏")
        Case.objects.filter(pk=late.pk).update(created_at=same)
        made.append(late)

    seen = _all_pages(c, params, between=more)
    assert len(seen) == len(set(seen)), seen
    assert {x.number for x in first} <= set(seen)
    if params.get("q"):
        assert seen == sorted(seen, reverse=True)  # number order, newest number first
    else:
        rows = {x.number: x for x in Case.objects.filter(number__in=seen)}
        keys = [(rows[n].created_at, rows[n].pk) for n in seen]
        assert keys == sorted(keys, reverse=True)


@pytest.mark.django_db
def test_offset_still_pages_and_a_bad_or_mixed_cursor_is_a_structured_400(users, cats):
    made = [_case(users, cats, f"第{i}处路面塌陷") for i in range(3)]
    c = client_for(users.district)
    by_offset = [r["number"] for r in c.get("/api/v1/cases/", {"limit": 2, "offset": 1}).json()]
    assert by_offset == [made[1].number, made[0].number]
    first = c.get("/api/v1/cases/", {"limit": 2})
    cursor = first.headers["X-Next-Cursor"]
    assert [r["number"] for r in c.get("/api/v1/cases/", {"cursor": cursor}).json()] == [
        made[0].number
    ]
    # the last page has no cursor
    assert "X-Next-Cursor" not in c.get("/api/v1/cases/", {"cursor": cursor}).headers
    bad: tuple[dict[str, str | int], ...] = (
        {"cursor": cursor, "offset": 2},
        {"cursor": "not-a-cursor"},
        {"cursor": cursor, "q": made[0].number[:11]},  # a cursor of another order
    )
    for params in bad:
        r = c.get("/api/v1/cases/", params)
        assert r.status_code == 400, params
        err = r.json()["error"]
        assert err["code"] == "invalid_cursor" and err["message"], params
    doc = c.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/cases/"]["get"]
    assert {"cursor", "offset", "limit"} <= {p["name"] for p in op["parameters"]}
    assert "X-Next-Cursor" in op["responses"]["200"]["headers"]
    assert op["responses"]["400"]["content"]["application/json"]["schema"]


@pytest.mark.django_db
def test_refused_users_see_nothing_through_cursors_and_number_search(users, cats):
    """A cursor is a position, not a permission: the other county's district, a user
    without a scope and the other town's dispatcher get no case of 城关镇 whatever cursor
    or number prefix they send."""
    made = [_case(users, cats, f"第{i}处排水沟堵塞") for i in range(3)]
    mine = client_for(users.district).get("/api/v1/cases/", {"limit": 1})
    cursor = mine.headers["X-Next-Cursor"]
    for user in (users.other_district, users.no_scope, users.other_street):
        c = client_for(user)
        for params in ({}, {"cursor": cursor}, {"q": made[0].number[:11]}, {"q": made[0].number}):
            r = c.get("/api/v1/cases/", params)
            assert r.status_code == 200, (user, params)
            assert r.json() == [] and "X-Next-Cursor" not in r.headers, (user, params)
        page = c.get("/cases/", {"tab": "all", "q": made[0].number[:11]}).content.decode()
        assert not any(m.number in page for m in made), user


@pytest.mark.django_db
def test_a_number_search_on_the_page_lists_numbers_newest_first_in_every_tab(users, cats):
    made = [_case(users, cats, f"第{i}处违章搭建") for i in range(3)]
    c = client_for(users.district)
    for tab in ("todo", "open", "all"):
        body = c.get("/cases/", {"tab": tab, "q": made[0].number[:11]}).content.decode()
        at = [body.index(m.number) for m in made]
        assert at == sorted(at, reverse=True), tab  # the newest number first


@pytest.mark.django_db
def test_a_case_summoned_twice_is_in_the_departments_todo_once(users, cats):
    """The todo tab reads the whistle calls through a subquery (no join, no DISTINCT): a
    case whose two whistles both call the department is listed once."""
    from django.utils import timezone

    from jiceng.cases.models import Whistle, WhistleCall

    case = _case(users, cats, "小区电梯停运，多部门协调")
    Case.objects.filter(pk=case.pk).update(unit=users.dept)  # the department sees it
    now = timezone.now()
    for _ in range(2):
        w = Whistle.objects.create(case=case, unit=users.dept, at=now)
        WhistleCall.objects.create(whistle=w, unit=users.dept, due_at=now)
    body = client_for(users.department).get("/cases/", {"tab": "todo"}).content.decode()
    assert body.count(f">{case.number}</a>") == 1


@pytest.mark.django_db
def test_the_todo_tab_pages_through_open_work_then_return_visits_each_case_once(
    users, cats, monkeypatch
):
    """The todo tab reads its open work, then its return visits (two queries, each in
    deadline order): paged two at a time, every case comes once, open work first, and the
    count is the sum of the two."""
    import re

    from django.utils import timezone

    from jiceng.cases.models import Status

    monkeypatch.setattr(views.Window, "PAGE", 2)
    made = [_case(users, cats, f"第{i}处道路积水") for i in range(6)]
    soon = timezone.now() + timezone.timedelta(days=1)
    for i, c in enumerate(made):  # deadlines in reverse order of intake
        Case.objects.filter(pk=c.pk).update(deadline=soon - timezone.timedelta(hours=i))
    visits = made[:3]
    Case.objects.filter(pk__in=[c.pk for c in visits]).update(status=Status.CLOSED)
    c = client_for(users.district)
    seen: list[str] = []
    for n in (1, 2, 3):
        body = c.get("/cases/", {"tab": "todo", "page": n}).content.decode()
        if n == 1:
            assert "共 6 件" in body
        seen += re.findall(r">(610921-\d{8}-\d{4})</a>", body)
    open_work = [x.number for x in reversed(made[3:])]  # nearest deadline first
    assert seen == open_work + [x.number for x in reversed(visits)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "narrow"),
    [
        ("district", False),  # the county: a trigram lookup beats a scan of every case
        ("department", False),  # assigned across the county
        ("street", True),
        ("community", True),
        ("grid_worker", True),
        ("resident", True),
        ("no_scope", True),  # only what they took in themselves
    ],
)
def test_whose_text_search_scans_their_scope_instead_of_the_trigram_index(users, who, narrow):
    from jiceng.cases.access import narrow_scope

    assert narrow_scope(getattr(users, who)) is narrow
