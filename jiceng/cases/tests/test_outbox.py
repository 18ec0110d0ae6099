"""The outbox in healthchecks' order: claim and commit, send with no transaction open,
then mark — so a slow gateway never holds the database, and a worker killed with kill -9
repeats at most the one message that was in flight (under the same dedupe key)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from jiceng.cases import outbox, services
from jiceng.cases.models import Outbox

ROOT = Path(__file__).resolve().parents[3]


def _queue(n: int, prefix: str = "t") -> list[Outbox]:
    now = timezone.now()
    return Outbox.objects.bulk_create(
        [
            Outbox(
                kind="remind",
                channel="sms",
                to_phone=f"139{i:08d}",
                body=f"第{i}条",
                dedupe_key=f"{prefix}:{i}",
                next_attempt_at=now,
            )
            for i in range(n)
        ]
    )


class Watching(outbox.Gateway):
    """Records, for every message, whether a transaction was open when it was sent."""

    def __init__(self) -> None:
        self.in_transaction: list[bool] = []

    def send(self, msg: Outbox) -> None:
        self.in_transaction.append(connection.in_atomic_block)


@pytest.mark.django_db(transaction=True)
def test_the_outbox_sends_nothing_while_holding_a_transaction():
    _queue(5)
    gw = Watching()
    outbox.set_gateway(gw)
    try:
        sent, failed = outbox.deliver_due(batch=2)
    finally:
        outbox.set_gateway(None)
    assert (sent, failed) == (5, 0)
    assert gw.in_transaction == [False] * 5
    assert set(Outbox.objects.values_list("state", flat=True)) == {Outbox.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends():
    _queue(3)
    now = timezone.now()
    token, rows = outbox.claim(10, now)
    assert len(rows) == 3 and all(r.state == Outbox.SENDING and r.claim == token for r in rows)
    assert outbox.claim(10, now)[1] == [], "a second pass finds nothing to claim"
    later = now + timedelta(seconds=outbox.lease_seconds() + 1)
    token2, again = outbox.claim(10, later)
    assert len(again) == 3 and token2 != token, "a dead pass's rows come back after the lease"
    # the first pass, if it was only slow, can no longer mark what it no longer holds
    assert outbox._send_claimed(token, rows, now) == (0, 0)


class Slow(outbox.Gateway):
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.sent: list[str] = []

    def send(self, msg: Outbox) -> None:
        self.entered.set()
        assert self.release.wait(30), "the test never released the gateway"
        self.sent.append(msg.dedupe_key)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite write lock"
)
@pytest.mark.django_db(transaction=True)
def test_a_slow_gateway_does_not_block_intake_on_sqlite(users, cats, in_grid):
    assert connection.vendor == "sqlite"
    _queue(2)
    gw = Slow()
    outbox.set_gateway(gw)
    errors: list[BaseException] = []

    def deliver() -> None:
        from django.db import connection as conn

        try:
            outbox.deliver_due()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            conn.close()

    t = threading.Thread(target=deliver)
    t.start()
    try:
        assert gw.entered.wait(20), "the worker never reached the gateway"
        t0 = time.perf_counter()
        case = services.intake(
            channel="hotline",
            request_type="complaint",
            category=cats.road,
            description="解放路路面破损，请尽快修补",
            user=users.street,
            **in_grid,
        )
        took = time.perf_counter() - t0
    finally:
        gw.release.set()
        t.join(30)
        outbox.set_gateway(None)
    assert not errors
    assert case.pk and took < 2.0, f"intake waited {took:.1f} s for the gateway"
    assert len(gw.sent) == 2
    assert Outbox.objects.filter(dedupe_key__startswith="t:", state=Outbox.SENT).count() == 2


class _Gateway(BaseHTTPRequestHandler):
    """A local SMS gateway: records each message's dedupe key; holds the Nth request until
    the test has killed the worker (that message is the one in flight)."""

    received: list[str] = []
    hold_at = 0
    in_flight = threading.Event()
    killed = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert body["id"] == self.headers["Idempotency-Key"]
        cls = type(self)
        cls.received.append(body["id"])
        if len(cls.received) == cls.hold_at:
            cls.in_flight.set()
            cls.killed.wait(30)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass  # the worker is dead

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs `jiceng worker` on its own SQLite file",
)
def test_kill_9_of_the_worker_repeats_at_most_the_message_in_flight(tmp_path):
    n = 40
    _Gateway.received = []
    _Gateway.hold_at = 10
    _Gateway.in_flight = threading.Event()
    _Gateway.killed = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    db = tmp_path / "kill.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        JICENG_SQLITE_PATH=str(db),
        JICENG_DATA_DIR=str(tmp_path),
        JICENG_SMS_BACKEND="http",
        JICENG_SMS_URL=f"http://127.0.0.1:{server.server_address[1]}/sms",
        JICENG_OUTBOX_LEASE_SECONDS="1",
        DJANGO_SETTINGS_MODULE="jiceng.settings",
    )
    jiceng = [sys.executable, "-m", "jiceng.cli"]
    try:
        subprocess.run([*jiceng, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)
        seed = (
            "import django; django.setup()\n"
            "from django.utils import timezone\n"
            "from jiceng.cases.models import Outbox\n"
            "now = timezone.now()\n"
            f"Outbox.objects.bulk_create([Outbox(kind='remind', to_phone=f'139{{i:08d}}', "
            f"body=f'第{{i}}条', dedupe_key=f'k:{{i}}', next_attempt_at=now) for i in range({n})])\n"
        )
        subprocess.run([sys.executable, "-c", seed], env=env, cwd=ROOT, check=True, timeout=120)
        worker = subprocess.Popen(
            [*jiceng, "worker", "--interval", "0.2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert _Gateway.in_flight.wait(120), "the worker never sent"
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        finally:
            if worker.poll() is None:
                worker.kill()
            _Gateway.killed.set()
        in_flight = _Gateway.received[-1]
        before = len(_Gateway.received)
        assert before == 10
        time.sleep(1.5)  # the dead pass's lease ends
        subprocess.run(
            [*jiceng, "worker", "--once"],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
    finally:
        server.shutdown()
    counts = Counter(_Gateway.received)
    assert set(counts) == {f"k:{i}" for i in range(n)}, "every message was sent"
    repeated = {k for k, c in counts.items() if c > 1}
    assert repeated <= {in_flight} and max(counts.values()) <= 2, counts
    with sqlite3.connect(db) as con:
        states = dict(con.execute("SELECT state, count(*) FROM cases_outbox GROUP BY state"))
    assert states == {"sent": n}


class Batches(outbox.Gateway):
    """Takes up to `batch` messages per call; fails whole calls while `down` > 0."""

    def __init__(self, batch: int, down: int = 0) -> None:
        self.batch = batch
        self.down = down
        self.calls: list[list[str]] = []
        self.in_transaction: list[bool] = []

    def send_many(self, msgs: list[Outbox]) -> list[Exception | None]:
        self.in_transaction.append(outbox.in_transaction())
        if self.down > 0:
            self.down -= 1
            raise OSError("gateway unreachable")
        self.calls.append([m.dedupe_key for m in msgs])
        return [None] * len(msgs)


@pytest.mark.django_db(transaction=True)
def test_delivery_is_batched_per_gateway_call_and_at_least_once_when_calls_fail():
    _queue(25)
    gw = Batches(batch=10, down=2)  # the first two calls fail whole
    outbox.set_gateway(gw)
    now = timezone.now()
    try:
        sent, failed = outbox.deliver_due(now=now)
        assert (sent, failed) == (5, 20), "the calls that failed left their rows pending"
        pending = Outbox.objects.filter(state=Outbox.PENDING)
        assert pending.count() == 20 and {o.attempts for o in pending} == {1}
        assert set(pending.values_list("last_error", flat=True)) == {"gateway unreachable"}
        # their backoff over, the next pass sends them, two calls of 10
        sent, failed = outbox.deliver_due(now=now + timedelta(minutes=3))
    finally:
        outbox.set_gateway(None)
    assert (sent, failed) == (20, 0)
    assert [len(c) for c in gw.calls] == [5, 10, 10]
    keys = Counter(k for c in gw.calls for k in c)
    assert set(keys) == {f"t:{i}" for i in range(25)} and max(keys.values()) == 1
    assert gw.in_transaction == [False] * 5
    assert set(Outbox.objects.values_list("state", flat=True)) == {Outbox.SENT}


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_while_a_transaction_is_open():
    from django.db import transaction

    _queue(3)
    gw = Batches(batch=10)
    outbox.set_gateway(gw)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.deliver_due()
    finally:
        outbox.set_gateway(None)
    assert gw.calls == [] and gw.in_transaction == []
    # the claim went back with the transaction: the rows are due as before
    assert set(Outbox.objects.values_list("state", "attempts")) == {(Outbox.PENDING, 0)}


@pytest.mark.django_db(transaction=True)
def test_the_file_gateway_appends_a_batch_per_open_and_the_http_gateway_posts_lists(tmp_path):
    _queue(1500)
    path = tmp_path / "sms.jsonl"
    outbox.set_gateway(outbox.FileGateway(str(path)))
    opened: list[str] = []
    real_open = Path.open

    def counting_open(self, *a, **kw):
        opened.append(str(self))
        return real_open(self, *a, **kw)

    Path.open = counting_open  # type: ignore[method-assign]
    try:
        assert outbox.deliver_due() == (1500, 0)
    finally:
        Path.open = real_open  # type: ignore[method-assign]
        outbox.set_gateway(None)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(x["key"] for x in lines) == sorted(f"t:{i}" for i in range(1500))
    assert opened == [str(path)] * 2, "1,000 lines per open"

    got: list[tuple[str, list[str]]] = []

    class Lists(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.headers["Idempotency-Key"], [m["id"] for m in body]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    _queue(150, prefix="h")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Lists)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outbox.set_gateway(outbox.HttpGateway(f"http://127.0.0.1:{server.server_port}/", batch=100))
    try:
        assert outbox.deliver_due() == (150, 0)
    finally:
        outbox.set_gateway(None)
        server.shutdown()
    assert [len(ids) for _, ids in got] == [100, 50]
    assert all(key == f"{ids[0]}..{ids[-1]}" for key, ids in got)
    assert sorted(i for _, ids in got for i in ids) == sorted(f"h:{i}" for i in range(150))
