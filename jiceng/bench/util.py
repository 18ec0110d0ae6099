"""Small helpers: progress on stderr, percentiles, skips, memory."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any


class Skip(Exception):
    """A section cannot run yet; the message says why (shown in the table and the JSON)."""


class Progress:
    """Rows done, rate and ETA on stderr, at most a few times a second."""

    def __init__(self, label: str, total: int, out: IO[str] | None = None, every: float = 0.5):
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.out = out if out is not None else sys.stderr
        self.every = every
        self.started = time.perf_counter()
        self._last = 0.0
        self._tty = hasattr(self.out, "isatty") and self.out.isatty()

    def add(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last >= self.every or self.done >= self.total:
            self._last = now
            self._show(final=False)

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        pct = 100.0 * self.done / self.total if self.total else 100.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"  {self.label}: {self.done:,}/{self.total:,} ({pct:5.1f}%) "
            f"{rate:,.0f} rows/s, {elapsed:,.1f} s, ETA {left:,.0f} s"
        )

    def _show(self, final: bool) -> None:
        line = self._line()
        if self._tty and not final:
            self.out.write("\r" + line + "   ")
        elif not self._tty and not final:
            # Logs (CI): a line every 5 seconds at most.
            if time.perf_counter() - getattr(self, "_logged", 0.0) < 5:
                return
            self._logged = time.perf_counter()
            self.out.write(line + "\n")
        else:
            self.out.write(("\r" if self._tty else "") + line + "\n")
        self.out.flush()

    def finish(self) -> float:
        self._show(final=True)
        return time.perf_counter() - self.started


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """median, p95, p99, min, max and n of samples (seconds in, milliseconds out)."""
    if not samples:
        return {"n": 0}
    s = sorted(samples)
    n = len(s)

    def pick(q: float) -> float:
        # nearest rank: the smallest value with at least q of the samples at or below it
        idx = min(n - 1, max(0, math.ceil(q * n - 1e-9) - 1))
        return s[idx]

    return {
        "n": n,
        "median_ms": round(statistics.median(s) * 1000, 3),
        "p95_ms": round(pick(0.95) * 1000, 3),
        "p99_ms": round(pick(0.99) * 1000, 3),
        "min_ms": round(s[0] * 1000, 3),
        "max_ms": round(s[-1] * 1000, 3),
    }


def rss_mb(pid: int) -> float | None:
    """Current resident set of a process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set (VmHWM) of a live process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children_of(pid: int) -> list[int]:
    """Direct children of a process (uvicorn's worker processes)."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used so far, from /proc (Linux;
    0 for a process that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


# Statements that only open or close a transaction (SQLite's `BEGIN IMMEDIATE` goes through
# the cursor; PostgreSQL's BEGIN is implicit in the driver): not counted as queries.
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})


@dataclass
class Counted:
    """What a block cost the database: its statements and its transactions."""

    queries: list[str] = field(default_factory=list)
    commits: int = 0  # explicit COMMITs (transaction.atomic blocks)
    autocommitted: int = 0  # statements outside any transaction: each its own

    @property
    def transactions(self) -> int:
        return self.commits + self.autocommitted

    def listing(self, width: int = 150) -> str:
        return "\n".join(q[:width] for q in self.queries)

    def as_dict(self) -> dict[str, int]:
        return {
            "queries": len(self.queries),
            "commits": self.commits,
            "autocommitted": self.autocommitted,
        }


@contextmanager
def count_queries(using: str = "default") -> Iterator[Counted]:
    """Every statement and every commit on this thread's connection inside the block,
    after-commit receivers included (they run on the same connection)."""
    from django.db import connections

    conn: Any = connections[using]
    got = Counted()

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            got.queries.append(sql)
            if conn.get_autocommit():
                got.autocommitted += 1
        return execute(sql, params, many, context)

    real_commit = conn._commit

    def commit():  # type: ignore[no-untyped-def]
        got.commits += 1
        return real_commit()

    conn._commit = commit
    try:
        with conn.execute_wrapper(wrapper):
            yield got
    finally:
        del conn._commit


def wsgi_request(
    method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request through Django's WSGI handler in this process — every middleware, the
    URL resolver, the view — as the server's threads run it (without the socket)."""
    import io
    from urllib.parse import urlsplit

    from django.core.handlers.wsgi import WSGIHandler

    global _handler
    if _handler is None:
        _handler = WSGIHandler()
    url = urlsplit(path)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": url.path,
        "QUERY_STRING": url.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body or b"")),
    }
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            environ["CONTENT_TYPE"] = v
        else:
            environ["HTTP_" + k.upper().replace("-", "_")] = v
    status: list[str] = []

    def start_response(s: str, _h: list, _exc: Any = None) -> None:
        status.append(s)

    result = _handler(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()  # request_finished: the connection goes back, as in the server
    return int(status[0].split()[0]), data


_handler: Any = None


def backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) used so far by this connection's PostgreSQL backend, from
    /proc/<pg_backend_pid()>/stat; None on SQLite (the work is in this process) or when the
    server is on another machine (no such pid here)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # fields after the command name: state is [0]; utime, stime are the 14th and 15th of
    # the whole line, [11] and [12] here; in clock ticks
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuClock:
    """Wall and CPU seconds of a piece of work: this process (`process_time`) and its
    PostgreSQL backend (see backend_cpu_seconds), with the load average at the end — on a
    shared machine the wall clock alone says more about the neighbours than the code."""

    wall: float = 0.0
    client: float = 0.0
    server: float | None = None
    load: float = 0.0

    @property
    def cpu(self) -> float:
        return self.client + (self.server or 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall, 3),
            "cpu_client_s": round(self.client, 3),
            "cpu_db_s": None if self.server is None else round(self.server, 3),
            "cpu_s": round(self.cpu, 3),
            "load_avg_1m": round(self.load, 2),
        }


@contextmanager
def cpu_clock() -> Iterator[CpuClock]:
    """Measure the block: `with cpu_clock() as clock: …`, then clock.wall, clock.cpu…"""
    out = CpuClock()
    s0 = backend_cpu_seconds()
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out.wall = time.perf_counter() - w0
        out.client = time.process_time() - c0
        s1 = backend_cpu_seconds() if s0 is not None else None
        out.server = None if s0 is None or s1 is None else s1 - s0
        out.load = os.getloadavg()[0]
