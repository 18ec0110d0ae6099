from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from jiceng.bench import generate as gen
from jiceng.bench.params import Params
from jiceng.bench.sections import SECTIONS
from jiceng.bench.util import percentiles


def numbers_in(obj) -> list[float]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [obj]
    if isinstance(obj, dict):
        return [n for v in obj.values() for n in numbers_in(v)]
    if isinstance(obj, list):
        return [n for v in obj for n in numbers_in(v)]
    return []


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_reports_every_section_with_figures_or_a_reason(tmp_path, capsys):
    out = tmp_path / "bench.json"
    call_command(
        "bench", "--quick", "--scale", "0.001", "--reps", "2", "--load-seconds", "0.3",
        "--output", str(out),
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert result["ok"] is True
    for key in ("date", "machine", "python", "database", "git_commit"):
        assert result["meta"][key]
    assert result["meta"]["machine"]["cpu_count"] >= 1
    assert set(result["sections"]) == set(SECTIONS)
    for name, section in result["sections"].items():
        assert section["status"] in ("ok", "skipped"), (name, section)
        if section["status"] == "ok":
            assert numbers_in({k: v for k, v in section.items() if k != "section_seconds"}), name
        else:
            assert section["reason"].strip(), name
    assert result["generation"]["territory"]["status"] == "made"
    assert result["generation"]["territory"]["counts"]["grids"] > 0
    table = capsys.readouterr().out
    assert "targets:" in table and "locate" in table


@pytest.mark.django_db(transaction=True)
def test_a_second_run_reuses_the_generated_data(tmp_path):
    args = ["bench", "--quick", "--scale", "0.001", "--sections", "locate", "--reps", "1"]
    call_command(*args, "--output", str(tmp_path / "a.json"))
    call_command(*args, "--output", str(tmp_path / "b.json"))
    second = json.loads((tmp_path / "b.json").read_text())
    assert second["generation"]["territory"]["status"] == "reused"
    assert second["generation"]["accounts"]["status"] == "reused"


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_refuses_a_database_with_data_it_did_not_make(territory, tmp_path):
    with pytest.raises(CommandError, match="不是基准测试生成的"):
        call_command("bench", "--quick", "--scale", "0.001", "--sections", "locate")


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_refuses_data_generated_at_another_scale(tmp_path):
    call_command("bench", "--quick", "--scale", "0.001", "--sections", "locate", "--reps", "1")
    with pytest.raises(CommandError, match="另一组参数"):
        call_command("bench", "--quick", "--scale", "0.002", "--sections", "locate")


def test_an_unknown_section_is_refused():
    with pytest.raises(CommandError, match="unknown sections"):
        call_command("bench", "--quick", "--sections", "nonsense")


def test_generated_residents_are_the_same_on_every_run_and_carry_valid_unique_id_numbers():
    idcard = pytest.importorskip("jiceng.lib.idcard")

    grids = [(1, "610999001001001001001", 40), (2, "610999001001001001002", 40)]
    p = Params(scale=0.001)
    first = list(gen.resident_rows(p, grids))
    again = list(gen.resident_rows(p, grids))
    assert first == again
    numbers = [m["id_number"] for _, ms in first for m in ms]
    assert len(numbers) == len(set(numbers))
    for n in numbers[:50]:
        assert idcard.parse(n).number == n


@pytest.mark.parametrize(
    "samples, median, p95, p99",
    [
        ([0.001], 1.0, 1.0, 1.0),
        ([0.001 * i for i in range(1, 101)], 50.5, 95.0, 99.0),
        ([0.010, 0.020, 0.030, 0.040], 25.0, 40.0, 40.0),
    ],
)
def test_percentiles_are_nearest_rank_in_milliseconds(samples, median, p95, p99):
    p = percentiles(samples)
    assert (p["median_ms"], p["p95_ms"], p["p99_ms"]) == (median, p95, p99)
    assert p["n"] == len(samples)


def test_percentiles_of_no_samples_say_so():
    assert percentiles([]) == {"n": 0}


@pytest.mark.postgres
def test_the_benchmark_creates_a_missing_postgresql_database_at_once():
    """The pool must not be asked first: it would retry "does not exist" until its timeout."""
    import os
    import subprocess
    import sys
    import uuid

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg
    from psycopg import sql

    sd = connection.settings_dict
    name = f"jiceng_bench_probe_{uuid.uuid4().hex[:8]}"
    host, port = sd.get("HOST") or "127.0.0.1", sd.get("PORT") or 5432
    user = sd.get("USER") or "postgres"
    env = {**os.environ, "DATABASE_URL": f"postgres://{user}@{host}:{port}/{name}"}
    code = (
        "import django; django.setup();"
        "from jiceng.bench.runner import ensure_database; ensure_database(print)"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert name in done.stdout
        with psycopg.connect(f"host={host} port={port} user={user} dbname=postgres") as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone()
    finally:
        with psycopg.connect(
            f"host={host} port={port} user={user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.mark.django_db(transaction=True)
def test_queries_per_request_are_counted_through_the_wsgi_handler(users):
    """What the bench JSON keeps beside each timing of intake and case_list. Outside a test
    transaction, like the bench: Django's WSGI handler closes the connection at the end of
    a request, and on PostgreSQL's pool a new one cannot open inside an atomic block."""
    from jiceng.accounts.models import ApiToken
    from jiceng.bench.sections import count_request

    _, key = ApiToken.issue(users.district, "bench test")
    auth = {"Authorization": f"Bearer {key}"}
    assert count_request("GET", "/api/v1/health", None, {}) == {
        "queries": 0,
        "commits": 0,
        "autocommitted": 0,
    }
    listed = count_request("GET", "/api/v1/cases/?status=handling&limit=50", None, auth)
    assert listed["queries"] == 1  # the token is cached after the warm-up: the rows only
    with pytest.raises(RuntimeError):
        count_request("GET", "/api/v1/cases/", None, {"Authorization": "Bearer jc_nope"})


def test_the_servers_cpu_per_request_is_its_cpu_over_the_requests_of_the_window():
    """What `cpu_ms_per_request` beside each intake and floor figure means: the server's
    CPU seconds in the measured window over the requests in it; none without a reading."""
    import os

    from jiceng.bench.loadgen import Result
    from jiceng.bench.util import cpu_seconds

    r = Result(concurrency=4, seconds=2.0, ok=390, errors=10, cpu_s=1.2)
    s = r.summary()
    assert s["cpu_ms_per_request"] == 3.0 and s["server_cores"] == 0.6
    assert "cpu_ms_per_request" not in Result(concurrency=1, seconds=1.0, ok=5).summary()
    # read from /proc: this process has used some, a process that is gone counts nothing
    before = cpu_seconds([os.getpid()])
    sum(i * i for i in range(300_000))
    assert cpu_seconds([os.getpid()]) >= before > 0
    assert cpu_seconds([2**22 + 7]) == 0
