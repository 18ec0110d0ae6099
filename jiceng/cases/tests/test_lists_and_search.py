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
    {"tab": "all", "status": "handling"},
    {"tab": "open", "card": "red"},
    {"tab": "all", "channel": "hotline"},
    {"tab": "open", "category": "10"},
    {"tab": "all", "q": "下水道堵塞"},
    {"tab": "all", "q": "13900001111"},
]
API = [
    {},
    {"status": "handling"},
    {"status": "dispatched,returned"},
    {"card": "yellow"},
    {"open": "true"},
    {"q": "下水道堵塞"},
    {"q": "610921-2026"},
    {"phone": "13900001111"},
]


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(("path", "params"), [("/cases/", p) for p in QUEUE] + [
    ("/api/v1/cases/", p) for p in API
])  # fmt: skip
def test_every_filter_of_the_queue_and_the_list_api_reads_cases_through_an_index(
    users, texts, path, params
):
    """With sequential scans priced out (the test tables are tiny), each query the page or
    the API runs on cases_case must have an index to use: a filter without one would
    still show `Seq Scan on cases_case`."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    c = client_for(users.district)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(path, params).status_code == 200
    selects = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "cases_case"' in q["sql"]
    ]
    assert selects
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            for sql in selects:
                cur.execute("EXPLAIN " + sql)
                plan = "\n".join(r[0] for r in cur.fetchall())
                assert "Seq Scan on cases_case" not in plan, f"{sql}\n{plan}"
        finally:
            cur.execute("SET enable_seqscan = on")
