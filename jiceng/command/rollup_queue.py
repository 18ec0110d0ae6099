"""The command centre's rollups, applied off the request's thread (decision 0075).

`case_changed` (after commit) used to apply the rollups and write the wall's live event in
the thread that served the move: 42 % of an intake's CPU, one more transaction and commit
per case. Now the listener only puts the case here —

  - `enqueue(case_id, written)`: a dict of case id → the facts of a case just taken in
    (`written`, no Tally row can exist yet: no reads) or None (read the case at flush);
    a later move of a queued case drops its written facts (they would be stale);
  - one daemon thread per process wakes at the first case after a pause, waits
    `INTERVAL` seconds so that the cases of that interval gather, then applies them all
    with one `rollup.apply_cases` (one transaction, one upsert per key for the whole
    batch, one live event insert and one NOTIFY), and closes its database connection
    (back to the pool on PostgreSQL) — never inside anyone's transaction;
  - a case lost here (the process dies, an apply fails) is applied by `rollup.catch_up`
    from the case history (the live hub every 10 s, `jiceng command-sync --loop`), and
    `jiceng command-sync --rebuild` rebuilds everything; applying a case twice is a no-op.

Modes (`set_mode`): "thread" (servers, the default), "manual" (tests: nothing runs until
`flush()`), "now" (apply in the calling thread, as before: scripts that want the rollups
at once, and tests of other apps that read the wall straight after a page's move).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from django.db import connection

from jiceng.command.facts import CaseFacts

log = logging.getLogger("jiceng.command")

# Seconds a case waits for others before its batch is applied: the wall sees a new case
# about this much later (its stream wakes at the commit of the batch).
INTERVAL = 0.1
Mode = Literal["thread", "manual", "now"]


class RollupQueue:
    """Case ids waiting for the rollups, and the thread that applies them (per process)."""

    def __init__(self) -> None:
        self.mode: Mode = "thread"
        self._reset()

    def _reset(self) -> None:
        # also the child's state after a fork: no thread, nothing inherited to apply twice
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.pending: dict[int, CaseFacts | None] = {}
        self.thread: threading.Thread | None = None
        self.applying = threading.Lock()  # one apply at a time in a process (flush vs thread)
        self.pid = os.getpid()
        # what the thread did, for the benchmark: batches, cases, CPU and wall seconds
        self.batches = 0
        self.cases = 0
        self.cpu = 0.0
        self.wall = 0.0
        self.failed = 0

    def enqueue(self, case_id: int, written: CaseFacts | None = None) -> None:
        """Queue a case for the rollups. `written`: its facts as just inserted (intake)."""
        if self.mode == "now":
            with self.applying:
                self._apply({case_id: written})
            return
        with self.lock:
            if case_id in self.pending:
                self.pending[case_id] = None  # moved again: read its state at flush
            else:
                self.pending[case_id] = written
            if self.mode == "thread":
                self._ensure_thread()
                self.wake.notify()

    def _ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="jiceng-rollup", daemon=True)
            self.thread.start()

    def _take(self) -> dict[int, CaseFacts | None]:
        with self.lock:
            batch, self.pending = self.pending, {}
        return batch

    def _run(self) -> None:
        while True:
            with self.lock:
                while not (self.pending and self.mode == "thread"):
                    self.wake.wait()
            time.sleep(INTERVAL)  # let the cases of this interval gather
            with self.applying:
                if self.mode != "thread":
                    continue  # switched to manual meanwhile (a test): its flush() applies
                try:
                    self._apply(self._take(), own_connection=True)
                except Exception:  # noqa: BLE001 — never let the thread die; catch-up repairs
                    log.exception("command rollup thread")

    def _apply(self, batch: dict[int, CaseFacts | None], own_connection: bool = False) -> int:
        if not batch:
            return 0
        from jiceng.command import rollup

        c0, t0 = time.thread_time(), time.perf_counter()
        written = {cid: f for cid, f in batch.items() if f is not None}
        try:
            return rollup.apply_cases(batch, written=written or None)
        except Exception:  # noqa: BLE001 — the moves are committed; the catch-up repairs
            self.failed += 1
            log.exception("command rollup failed for %s cases", len(batch))
            return 0
        finally:
            if own_connection:
                # this thread's connection: back to the pool (PostgreSQL) or closed, so a
                # quiet process holds none and a broken one is not reused
                connection.close()
            self.batches += 1
            self.cases += len(batch)
            self.cpu += time.thread_time() - c0
            self.wall += time.perf_counter() - t0

    def flush(self) -> int:
        """Apply every queued case now, in the calling thread (tests; process exit).
        Waits for a batch the thread is applying. Returns the cases whose contribution
        changed."""
        with self.applying:
            return self._apply(self._take())

    def stats(self) -> dict[str, float]:
        """{'batches', 'cases', 'cpu_s', 'wall_s', 'failed', 'waiting'} since start."""
        return {
            "batches": self.batches,
            "cases": self.cases,
            "cpu_s": round(self.cpu, 4),
            "wall_s": round(self.wall, 4),
            "failed": self.failed,
            "waiting": len(self.pending),
        }


queue = RollupQueue()


def enqueue(case_id: int, written: CaseFacts | None = None) -> None:
    """Queue a committed case for the rollups (see the module's docstring)."""
    queue.enqueue(case_id, written)


def flush() -> int:
    """Apply every queued case now, in this thread; returns the cases changed."""
    return queue.flush()


def discard() -> int:
    """Drop every queued case without applying it (tests: a rolled-back test's cases);
    returns how many were dropped."""
    return len(queue._take())


def set_mode(mode: Mode) -> Mode:
    """Switch how queued cases are applied; returns the previous mode. Leaving "manual"
    or "thread" flushes nothing: call `flush()` first if the queue must be empty."""
    with queue.lock:
        old, queue.mode = queue.mode, mode
        queue.wake.notify()
    return old


def stats() -> dict[str, float]:
    """What this process's rollup thread did (see RollupQueue.stats)."""
    return queue.stats()


def _after_fork() -> None:
    queue._reset()


def _at_exit() -> None:
    # a server stopping normally applies what it holds (a killed one leaves it to catch-up)
    try:
        if queue.pending and queue.pid == os.getpid():
            queue.flush()
    except Exception:  # noqa: BLE001 — the catch-up repairs
        log.warning("command rollup flush at exit failed", exc_info=True)


def _on_process_exit(*_args: object) -> None:
    # a multiprocessing child started by fork (gunicorn-like servers) ends with os._exit:
    # atexit does not run there, multiprocessing's finalizers do (in a main process they
    # run from atexit; flushing twice finds nothing the second time). A forked child drops
    # the registry: register again after the fork.
    multiprocessing.util.Finalize(None, _at_exit, exitpriority=10)


os.register_at_fork(after_in_child=_after_fork)
atexit.register(_at_exit)
_on_process_exit()
multiprocessing.util.register_after_fork(queue, _on_process_exit)


@contextmanager
def manual_mode() -> Iterator[None]:
    """Tests: the queue as servers use it, without its thread — cases queued after commit
    are applied by `flush()` only; emptied on entry and on exit (a rolled-back test's
    cases must not reach the next one), the previous mode restored."""
    old = set_mode("manual")
    discard()
    try:
        yield
    finally:
        discard()
        set_mode(old)
