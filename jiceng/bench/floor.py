"""The serving floor: `GET /api/v1/health` under each candidate server, interleaved.

    python -m jiceng.bench.floor --seconds 5 --rounds 3 --concurrency 16 [--only a,b]

Each round starts every candidate in turn on a free loopback port (on the database of
DATABASE_URL / JICENG_SQLITE_PATH), drives it with `wrk` (Debian package; one thread,
`--concurrency` keep-alive connections) and stops it, so slow moments of a shared machine
fall on every candidate alike; the report is the median over rounds of each candidate and
its ratio to the first. Used for docs/decisions/0048-perf-server.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

from jiceng.bench.server import free_port

PY = sys.executable
WORKERS = str(min(os.cpu_count() or 1, 4))


def candidates(port: int) -> dict[str, list[str]]:
    bind = f"127.0.0.1:{port}"
    gunicorn = [PY, "-m", "gunicorn", "-b", bind, "-w", WORKERS, "--log-level", "warning"]
    granian = [PY, "-m", "granian", "--host", "127.0.0.1", "--port", str(port)]
    granian += ["--workers", WORKERS, "--log-level", "warning", "--no-ws"]
    uvicorn = [PY, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    uvicorn += ["--workers", WORKERS, "--lifespan", "off", "--no-access-log"]
    uvicorn += ["--log-level", "warning", "--no-proxy-headers"]
    return {
        "uvicorn-asgi": [*uvicorn, "jiceng.asgi:application"],
        "uvicorn-split": [*uvicorn, "jiceng.core.serving:application"],
        "gunicorn-sync": [*gunicorn, "-k", "sync", "jiceng.wsgi:application"],
        "gunicorn-gthread8": [
            *gunicorn,
            *("-k", "gthread", "--threads", "8"),
            "jiceng.wsgi:application",
        ],
        "gunicorn-uvicorn-split": [
            *gunicorn,
            *("-k", "uvicorn.workers.UvicornWorker"),
            "jiceng.core.serving:application",
        ],
        "granian-wsgi": [
            *granian,
            *("--interface", "wsgi", "--blocking-threads", "8"),
            "jiceng.wsgi:application",
        ],
        "granian-asgi": [*granian, "--interface", "asgi", "jiceng.asgi:application"],
        "granian-split": [*granian, "--interface", "asgi", "jiceng.core.serving:application"],
    }


def wait_ready(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/health")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("not ready")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(port: int, concurrency: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency"]
        + [f"http://127.0.0.1:{port}/api/v1/health"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(pct.get("50", "")),
        "p99_ms": _ms(pct.get("99", "")),
        "non2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": sock.group(1) if sock else "",  # type: ignore[dict-item]
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--only", default="")
    ap.add_argument("--output", default="")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    names = list(candidates(0))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for rnd in range(args.rounds):
        for name in names:
            port = free_port(8300)
            proc = subprocess.Popen(
                candidates(port)[name],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            try:
                wait_ready(proc, port)
                wrk(port, args.concurrency, 1)  # warm every worker
                r = wrk(port, args.concurrency, args.seconds)
                runs[name].append(r)
                print(
                    f"round {rnd + 1} {name:24} {r['rps']:8.0f} req/s "
                    f"p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms {r['socket_errors']}",
                    flush=True,
                )
            except Exception as exc:  # noqa: BLE001 — report and go on with the others
                err = (
                    proc.stderr.read().decode(errors="replace")[-500:]
                    if proc.poll() is not None and proc.stderr
                    else ""
                )
                print(f"round {rnd + 1} {name}: failed: {exc} {err}", flush=True)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
    base = None
    summary = {}
    for name in names:
        if not runs[name]:
            continue
        med = statistics.median(r["rps"] for r in runs[name])
        base = base or med
        summary[name] = {
            "rps_median": round(med),
            "ratio_to_first": round(med / base, 2),
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in runs[name]), 1),
            "rounds": runs[name],
        }
        print(
            f"{name:24} median {med:8.0f} req/s  ×{med / base:.2f}  "
            f"p99 {summary[name]['p99_ms_median']} ms"
        )
    load = os.getloadavg()
    print(f"load average at end: {load}")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(
                {
                    "concurrency": args.concurrency,
                    "seconds": args.seconds,
                    "load_average_end": load,
                    "candidates": summary,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
