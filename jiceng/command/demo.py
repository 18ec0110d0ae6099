"""The command centre's part of `jiceng demo`: the deadline worker runs beside the server
so that cards turn yellow and red on the wall while a person watches."""

from __future__ import annotations

import subprocess
import sys

DEMO_WORKER_INTERVAL = 10.0  # seconds between worker passes in the demo


def start_worker(interval: float = DEMO_WORKER_INTERVAL) -> subprocess.Popen:
    """Start `jiceng worker --interval N` as a child process (same environment, so the
    same database); the caller terminates it when the server stops."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from jiceng.cli import main; main()",
            "worker",
            "--interval",
            str(interval),
        ]
    )


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
