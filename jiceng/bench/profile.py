"""`jiceng bench --profile NAME`: one workload of a section, in this process, under
pyinstrument, on the generated data (rolled back afterwards). For finding out *why* a
figure misses its target; the figures themselves come from the sections."""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction

from jiceng.bench import sections
from jiceng.bench.params import ANCHOR, Params


def _user(name: str = "bench-admin"):
    from jiceng.accounts.models import User

    return User.objects.select_related("scope", "unit").get(username=name)


def intake(params: Params, n: int = 200) -> None:
    """The whole HTTP path of `POST /api/v1/cases/`, in this process, as a server thread
    runs it: Django's WSGI handler, every middleware, the API token, ninja's parsing, the
    intake transaction and its real commit, the after-commit receivers (command rollups,
    assessment's mark), the answer. Only the socket and the server's event loop are not
    here: they are what the floor (`GET /api/v1/health`) measures."""
    from jiceng.accounts.models import ApiToken
    from jiceng.bench.util import wsgi_request

    ctx = sections.Context(params=params, quick=True, say=lambda s: None)
    _, key = ApiToken.issue(_user(), "jiceng bench profile")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payloads = sections.intake_payloads(ctx, {"properties": sections.INTAKE_FIELDS}, n + 5)
    for body in payloads[:5]:  # warm: the in-process maps, the grid index
        wsgi_request("POST", "/api/v1/cases/", body, headers)
    _cpu_per_request(payloads[5:], headers)
    _profiler_start()
    for body in payloads[5:]:
        status, data = wsgi_request("POST", "/api/v1/cases/", body, headers)
        if status != 201:
            raise RuntimeError(f"intake answered {status}: {data[:300]!r}")


def _cpu_per_request(payloads: list[bytes], headers: dict[str, str]) -> None:
    """Print, before the profile, the CPU and wall time per request without a profiler:
    the floor (`GET /api/v1/health`), intake in the request's thread, and the command
    rollup applied for it by the background thread (decision 0075), amortised."""
    import sys
    import time

    from jiceng.bench.util import wsgi_request
    from jiceng.command import rollup_queue

    def run(method: str, path: str, bodies: list[bytes | None], h: dict) -> tuple[float, float]:
        c0, t0 = time.thread_time(), time.perf_counter()
        for b in bodies:
            wsgi_request(method, path, b, h)
        n = len(bodies)
        return 1000 * (time.thread_time() - c0) / n, 1000 * (time.perf_counter() - t0) / n

    rollup_queue.flush()
    floor = run("GET", "/api/v1/health", [None] * 200, {})
    before = rollup_queue.stats()
    intake = run("POST", "/api/v1/cases/", list(payloads), headers)
    rollup_queue.flush()
    time.sleep(0.3)  # the thread's batch in flight
    after = rollup_queue.stats()
    cases = after["cases"] - before["cases"]
    batches = after["batches"] - before["batches"]
    roll = 1000 * (after["cpu_s"] - before["cpu_s"]) / max(1, cases)
    print(
        f"per request, no profiler ({len(payloads)} intakes, 200 floor requests): "
        f"floor {floor[0]:.2f} ms CPU / {floor[1]:.2f} ms wall; intake {intake[0]:.2f} ms CPU "
        f"/ {intake[1]:.2f} ms wall in the request's thread + {roll:.2f} ms CPU of the "
        f"rollup thread per case ({cases} cases in {batches} batches)",
        file=sys.stderr,
    )


def intake_service(params: Params, n: int = 300) -> None:
    """`cases.services.intake` alone (no HTTP, no commit: rolled back)."""
    from jiceng.cases.models import Category

    services = importlib.import_module("jiceng.cases.services")

    user = _user()
    leaves = list(Category.objects.filter(code__startswith="B", parent__isnull=False))
    rng = random.Random(1)
    for i, (lon, lat) in enumerate(sections.sample_points(n, "profile")):
        services.intake(
            channel="hotline",
            request_type="complaint",
            category=rng.choice(leaves),
            description=f"基准测试：第{i}处道路破损，请尽快处理。",
            lon=lon,
            lat=lat,
            user=user,
        )


def case_list(params: Params, n: int = 10) -> None:
    from django.test import Client
    from django.urls import reverse

    c = Client()
    c.force_login(_user())
    for _ in range(n):
        c.get("/api/v1/cases/", {"status": "handling", "limit": "50"})
        c.get(reverse("cases:queue"), {"tab": "open", "status": "handling"})


def summary(params: Params, n: int = 5) -> None:
    found = sections.find_callable(sections.SUMMARY_CANDIDATES)
    user = _user()
    for _ in range(n):
        if found:
            found[1](user)
        else:
            sections.stand_in_summary(user, ANCHOR)


def worker(params: Params) -> None:
    """The worker's pass without delivery: the profile runs in a transaction rolled back
    afterwards, where nothing may be sent (outbox refuses), and the rollups' after-commit
    work does not run either — delivery has its own measure (`jiceng.bench.delivery`)."""
    from jiceng.cases.worker import run_pass

    run_pass(now=ANCHOR, send=False)


def import_residents(params: Params) -> None:
    ctx = sections.Context(params=params, quick=True, say=lambda s: None)
    ctx.generation = {"accounts": {"status": "reused"}}
    sections.import_residents(ctx)


def import_divisions(params: Params) -> None:
    from jiceng.territory.divisions import import_divisions as run_import

    ctx = sections.Context(params=params, quick=True, say=lambda s: None)
    directory, under, _, tmp = sections.division_source(ctx)
    try:
        run_import(directory, under, source="profile")
    finally:
        if tmp is not None:
            tmp.cleanup()


WORKLOADS: dict[str, Callable[[Params], None]] = {
    "intake": intake,
    "intake_service": intake_service,
    "case_list": case_list,
    "summary": summary,
    "worker": worker,
    "import_residents": import_residents,
    "import_divisions": import_divisions,
}


# Workloads that must commit for real (their after-commit work is part of what is
# measured); what they made is set aside afterwards, as the intake section does.
COMMITS = {"intake"}
_profiler: Any = None


def _profiler_start() -> None:
    """Start sampling here (a workload's warm-up is not in the profile)."""
    if _profiler is not None and not _profiler.is_running:
        _profiler.start()


def run(name: str, params: Params) -> str:
    import logging

    from pyinstrument import Profiler

    global _profiler
    for logger in ("jiceng.outbox", "jiceng.worker"):
        logging.getLogger(logger).setLevel(logging.WARNING)

    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name} (known: {', '.join(WORKLOADS)})")
    profiler = _profiler = Profiler(interval=0.001)
    try:
        if name in COMMITS:
            from jiceng.cases.models import Case

            max_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
            try:
                WORKLOADS[name](params)
            finally:
                if profiler.is_running:
                    profiler.stop()
                Case.objects.filter(pk__gt=max_id).update(status="cancelled")
        else:
            with transaction.atomic():
                profiler.start()
                try:
                    WORKLOADS[name](params)
                finally:
                    profiler.stop()
                raise sections.Rollback
    except sections.Rollback:
        pass
    finally:
        _profiler = None
    return profiler.output_text(unicode=True, color=False, show_all=False)
