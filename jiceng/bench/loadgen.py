"""A small closed-loop load generator: N threads, each with one keep-alive connection,
sending requests back to back for a fixed time. Latency is measured at the client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jiceng.bench.util import cpu_seconds, percentiles

# A request: (method, path, body bytes or None, headers)
Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Result:
    concurrency: int
    seconds: float
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""
    cpu_s: float | None = None  # the server's CPU seconds in the measured window

    def summary(self) -> dict:
        n = self.ok + self.errors
        cpu = {}
        if self.cpu_s is not None and n:
            # CPU the server spent per request (all its processes and threads: the
            # rollup thread's share included), and the cores it kept busy
            cpu = {
                "cpu_ms_per_request": round(1000 * self.cpu_s / n, 3),
                "server_cores": round(self.cpu_s / self.seconds, 2),
            }
        return {
            "concurrency": self.concurrency,
            "requests": n,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
            **percentiles(self.latencies),
            **cpu,
            **({"first_error": self.first_error} if self.first_error else {}),
        }


def run(
    port: int,
    make_request: Callable[[int, int], Request],
    concurrency: int,
    seconds: float,
    warmup: float = 0.5,
    ok_status: tuple[int, ...] = (200, 201),
    server_pids: Callable[[], list[int]] | None = None,
) -> Result:
    """Drive the server at `concurrency` for `seconds` (after `warmup` not counted).
    `server_pids`: the server's processes, whose CPU is read at the start and the end of
    the measured window (Result.cpu_s)."""
    result = Result(concurrency=concurrency, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    t_begin = [0.0]

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        lat: list[float] = []
        ok = err = 0
        statuses: dict[int, int] = {}
        first_error = ""
        i = 0
        start.wait()
        measure_from = t_begin[0] + warmup
        stop_at = measure_from + seconds
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            method, path, body, headers = make_request(k, i)
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, data = 0, str(exc).encode()
            t1 = time.perf_counter()
            if t0 < measure_from:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if status in ok_status:
                ok += 1
                lat.append(t1 - t0)
            else:
                err += 1
                if not first_error:
                    first_error = f"HTTP {status}: {data[:300].decode(errors='replace')}"
        conn.close()
        with lock:
            result.ok += ok
            result.errors += err
            result.latencies += lat
            for s, n in statuses.items():
                result.statuses[s] = result.statuses.get(s, 0) + n
            if first_error and not result.first_error:
                result.first_error = first_error

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(concurrency)]
    for t in threads:
        t.start()
    t_begin[0] = time.perf_counter()
    start.wait()
    if server_pids is not None:
        time.sleep(max(0.0, t_begin[0] + warmup - time.perf_counter()))
        pids = server_pids()
        c0 = cpu_seconds(pids)
        time.sleep(max(0.0, t_begin[0] + warmup + seconds - time.perf_counter()))
        result.cpu_s = cpu_seconds(pids) - c0
    for t in threads:
        t.join()
    return result


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    """One request on a fresh connection: (status, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    conn.close()
    return r.status, data, dt


def get_json(port: int, path: str, headers: dict[str, str] | None = None):
    status, data, _ = get(port, path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status} {data[:300]!r}")
    return json.loads(data)
