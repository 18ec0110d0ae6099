"""Small helpers: progress on stderr, percentiles, skips, memory."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import IO


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
