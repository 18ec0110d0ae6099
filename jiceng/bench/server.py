"""`jiceng serve` as a subprocess on a free loopback port, on the benchmark's database."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from jiceng.bench.util import Skip, children_of, peak_rss_mb, rss_mb

FIRST_PORT = 8105


def free_port(start: int = FIRST_PORT) -> int:
    for port in range(start, start + 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


def database_env() -> dict[str, str]:
    """Environment that points a child process at the database this process uses."""
    sd = connection.settings_dict
    env: dict[str, str] = {}
    if connection.vendor == "sqlite":
        name = str(sd["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise Skip("the database is in memory (a test run): no server process can share it")
        env["JICENG_SQLITE_PATH"] = name
        env.pop("DATABASE_URL", None)
    elif connection.vendor == "postgresql":
        user = sd.get("USER") or ""
        pw = f":{sd['PASSWORD']}" if sd.get("PASSWORD") else ""
        auth = f"{user}{pw}@" if user else ""
        host = sd.get("HOST") or "127.0.0.1"
        port = f":{sd['PORT']}" if sd.get("PORT") else ""
        env["DATABASE_URL"] = f"postgres://{auth}{host}{port}/{sd['NAME']}"
    else:
        raise Skip(f"database {connection.vendor} is not supported by the benchmark server")
    return env


def jiceng_command() -> list[str]:
    exe = Path(sys.executable).parent / "jiceng"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jiceng")
    return [found] if found else [sys.executable, "-m", "jiceng.cli"]


class Server:
    """A running `jiceng serve`; stop() ends it (and only it)."""

    def __init__(
        self,
        workers: int | None = None,
        env_extra: dict[str, str] | None = None,
        cwd: str | None = None,
    ):
        """`env_extra`/`cwd`: e.g. PYTHONPATH of another checkout, to serve its code (the
        before/after comparison of `jiceng.bench.intake_ab`)."""
        self.port = free_port()
        env = {**os.environ, **database_env(), **(env_extra or {})}
        if "JICENG_SQLITE_PATH" in env:
            env.pop("DATABASE_URL", None)
        cmd = [*jiceng_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if workers:
            cmd += ["--workers", str(workers)]
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.cmd = cmd
        # Own process group: stop() signals the server and its workers, nothing else.
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            cwd=cwd,
        )
        self.started = time.perf_counter()
        self._wait_ready()
        self.ready_seconds = time.perf_counter() - self.started

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(
                    f"jiceng serve exited with {self.proc.returncode}: {err[-2000:]}"
                )
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/v1/health")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jiceng serve did not answer on port {self.port} in {timeout:.0f} s")

    def pids(self) -> list[int]:
        return [self.proc.pid, *children_of(self.proc.pid)]

    def peak_rss(self) -> dict[str, float | None]:
        """Peak resident set (MB) of the server's processes (master first)."""
        return self._memory(peak_rss_mb)

    def rss(self) -> dict[str, float | None]:
        """Resident set (MB) of the server's processes now (master first)."""
        return self._memory(rss_mb)

    def _memory(self, read) -> dict[str, float | None]:
        out = {}
        k = 0
        for i, pid in enumerate(self.pids()):
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            except OSError:
                cmd = ""
            if i == 0:
                name = "master"
            elif "resource_tracker" in cmd:
                name = "resource_tracker"  # multiprocessing's helper, not a server worker
            else:
                k += 1
                name = f"worker{k}"
            out[name] = read(pid)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
