"""Delivering the Outbox through a pluggable gateway.

`JICENG_SMS_BACKEND`: ``console`` (default: log lines), ``file`` (append JSON lines to
``JICENG_SMS_FILE``) or ``http`` (POST JSON to ``JICENG_SMS_URL`` with an optional bearer
``JICENG_SMS_TOKEN``). Every message carries its dedupe key (`key` in the file, `id` and
the `Idempotency-Key` header over HTTP) so a gateway can drop a repeat.

The order is healthchecks': claim due rows in one short transaction (compare-and-set to
`sending` with this pass's token and a lease), commit, hand them to the gateway with no
transaction open — a slow gateway never holds the database's write lock — then mark
them sent, or pending again with backoff, or failed after MAX_ATTEMPTS. Delivery is
batched (decision 0081): a gateway takes up to its `batch` messages per call (the file
gateway appends them with one open and one fsync; the HTTP gateway POSTs them as one JSON
list on a kept-alive connection when `JICENG_SMS_BATCH` > 1), and the call's messages
are marked with one UPDATE. A worker killed between a call and its mark leaves those
rows `sending`; they are claimed again when their lease ends, so at most the messages of
the call in flight repeat, under the same keys (at-least-once).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from jiceng.cases.models import Outbox

log = logging.getLogger("jiceng.outbox")
MAX_ATTEMPTS = 5


class Gateway:
    """Where messages go. `send` one message (raises on failure); `send_many` a list of up
    to `batch` messages in one call, returning per message None (sent) or the error."""

    batch = 1

    def send(self, msg: Outbox) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def send_many(self, msgs: list[Outbox]) -> list[Exception | None]:
        out: list[Exception | None] = []
        for msg in msgs:
            try:
                self.send(msg)
                out.append(None)
            except Exception as exc:  # one bad message never stops the others
                out.append(exc)
        return out


class ConsoleGateway(Gateway):
    def send(self, msg: Outbox) -> None:
        target = msg.to_phone or (msg.to_unit.name if msg.to_unit is not None else "") or "站内"
        log.info("[%s] → %s: %s", msg.kind, target, msg.body)


class FileGateway(Gateway):
    """JSON lines appended to a file another process reads; a call's lines are written with
    one open and reach the disk (fsync) before the call returns: "sent" means on disk."""

    batch = 1000

    def __init__(self, path: str):
        self.path = Path(path)

    def send(self, msg: Outbox) -> None:
        err = self.send_many([msg])[0]
        if err is not None:
            raise err

    def send_many(self, msgs: list[Outbox]) -> list[Exception | None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(
            json.dumps(
                {"id": m.pk, "key": m.dedupe_key, "to": m.to_phone, "body": m.body},
                ensure_ascii=False,
            )
            + "\n"
            for m in msgs
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        return [None] * len(msgs)


class HttpGateway(Gateway):
    """POST JSON on a kept-alive connection (one per thread; a new connection per message
    cost more than the message on loopback). `batch` 1 (JICENG_SMS_BATCH, the default):
    one message per request, `{"phone", "text", "id"}` with the `Idempotency-Key` header.
    `batch` > 1, for a gateway that takes lists: up to `batch` messages per request, a
    JSON list of the same objects (each with its `id`, the dedupe key), the header naming
    the first and last keys; any 2xx answer means every message of the list was taken,
    anything else that none was (all go again later, under the same keys)."""

    def __init__(self, url: str, token: str = "", batch: int = 1):
        self.url, self.token = url, token
        self.batch = max(1, batch)
        parts = urllib.parse.urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = cls(self._host, timeout=10)
        return conn

    @staticmethod
    def _payload(msg: Outbox) -> dict[str, str]:
        return {"phone": msg.to_phone, "text": msg.body, "id": msg.dedupe_key}

    def send(self, msg: Outbox) -> None:
        body = json.dumps(self._payload(msg), ensure_ascii=False).encode()
        self._post(body, msg.dedupe_key)

    def send_many(self, msgs: list[Outbox]) -> list[Exception | None]:
        if self.batch <= 1:
            return super().send_many(msgs)
        body = json.dumps([self._payload(m) for m in msgs], ensure_ascii=False).encode()
        try:
            self._post(body, f"{msgs[0].dedupe_key}..{msgs[-1].dedupe_key}")
        except Exception as exc:  # the gateway took none of them
            return [exc] * len(msgs)
        return [None] * len(msgs)

    def _post(self, body: bytes, key: str) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": key[:250],
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            reused = getattr(self._local, "conn", None) is not None
            conn = self._conn()
            try:
                conn.request("POST", self._path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                # a kept-alive connection the gateway closed meanwhile: once more on a new
                # one (same idempotency key); a new connection failing is the answer
                if not reused or attempt == 2:
                    raise
        if resp.status >= 300:
            raise RuntimeError(f"短信网关返回 {resp.status}")


_gateway: Gateway | None = None


def gateway() -> Gateway:
    global _gateway
    if _gateway is None:
        kind = settings.JICENG_SMS_BACKEND
        if kind == "file":
            _gateway = FileGateway(settings.JICENG_SMS_FILE)
        elif kind == "http":
            _gateway = HttpGateway(
                settings.JICENG_SMS_URL,
                settings.JICENG_SMS_TOKEN,
                batch=settings.JICENG_SMS_BATCH,
            )
        else:
            _gateway = ConsoleGateway()
    return _gateway


def set_gateway(gw: Gateway | None) -> None:
    """For tests and embedding: replace the gateway (None: back to the setting)."""
    global _gateway
    _gateway = gw


def lease_seconds() -> int:
    """How long a claimed row is left to its pass before another pass may claim it again
    (JICENG_OUTBOX_LEASE_SECONDS, default 300: well above a gateway's 10 s timeout)."""
    return max(1, settings.JICENG_OUTBOX_LEASE_SECONDS)


def _locked(qs: QuerySet[Outbox]) -> QuerySet[Outbox]:
    if connection.vendor == "postgresql":
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs.select_for_update()


def claim(batch: int, now: datetime, ids: list[int] | None = None) -> tuple[str, list[Outbox]]:
    """Claim up to `batch` due rows for this pass, in one short transaction, and return
    (token, rows) after it commits.

    Due: pending rows whose time has come, and rows left `sending` by a pass whose lease
    has ended (a killed worker). The claim is compare-and-set — only rows still due are
    marked, with this pass's token — so two passes never hold the same row (PostgreSQL
    also skips rows another pass has locked)."""
    token = uuid.uuid4().hex
    due = Q(state__in=[Outbox.PENDING, Outbox.SENDING], next_attempt_at__lte=now)
    with transaction.atomic():
        qs = Outbox.objects.filter(due)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        picked = list(
            _locked(qs.order_by("next_attempt_at", "id")).values_list("pk", flat=True)[:batch]
        )
        if not picked:
            return token, []
        Outbox.objects.filter(due, pk__in=picked).update(
            state=Outbox.SENDING,
            claim=token,
            next_attempt_at=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    rows = Outbox.objects.filter(pk__in=picked, claim=token, state=Outbox.SENDING)
    return token, list(rows.select_related("to_unit").order_by("id"))


def in_transaction() -> bool:
    """Whether a transaction of the code's own is open on the default connection (the
    atomic blocks a Django test case wraps around each test are not the code's: they stand
    for the commit the test cannot make)."""
    return any(not getattr(a, "_from_testcase", False) for a in connection.atomic_blocks)


def _send_claimed(token: str, rows: list[Outbox], now: datetime) -> tuple[int, int]:
    """Hand claimed rows to the gateway, `gateway.batch` per call, outside any transaction
    (refused inside one: nothing is sent while a transaction is open), marking each call's
    rows as soon as it answers: a kill between a call and its marks repeats that call's
    messages, under the same keys."""
    if in_transaction():
        raise RuntimeError("outbox: nothing is sent while a transaction is open")
    gw = gateway()
    step = max(1, int(getattr(gw, "batch", 1)))
    sent = failed = 0
    with _marks_without_fsync():
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            try:
                errors = gw.send_many(chunk)
            except Exception as exc:  # the whole call failed: none of them went
                errors = [exc] * len(chunk)
            s, f = _mark(token, chunk, errors, now)
            sent += s
            failed += f
    return sent, failed


def _mark(
    token: str, msgs: list[Outbox], errors: list[Exception | None], now: datetime
) -> tuple[int, int]:
    """Mark one gateway call's rows: the sent ones with one UPDATE, each failed one pending
    again with backoff (failed after MAX_ATTEMPTS). Returns (sent, failed)."""
    ok = [m.pk for m, e in zip(msgs, errors, strict=True) if e is None]
    sent = 0
    if ok:
        sent = Outbox.objects.filter(pk__in=ok, claim=token, state=Outbox.SENDING).update(
            state=Outbox.SENT, sent_at=now
        )
    failed = 0
    for msg, exc in zip(msgs, errors, strict=True):
        if exc is None:
            continue
        failed += 1
        attempts = msg.attempts
        Outbox.objects.filter(pk=msg.pk, claim=token, state=Outbox.SENDING).update(
            last_error=str(exc)[:1000],
            state=Outbox.FAILED if attempts >= MAX_ATTEMPTS else Outbox.PENDING,
            next_attempt_at=now + timedelta(minutes=2**attempts),
        )
    return sent, failed


@contextlib.contextmanager
def _marks_without_fsync() -> Iterator[None]:
    """On PostgreSQL, the marks of this loop commit without waiting for the disk
    (`synchronous_commit = off`, this session, reset afterwards): each mark is still
    committed at once — visible to other passes, kept if the worker is killed — only a
    crash of the database server itself could lose the last fraction of a second of marks,
    and those messages are sent again under the same dedupe key (the gateway's
    idempotency key). One fsync per message was the delivery's whole cost."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET synchronous_commit")


def deliver_due(batch: int = 1000, now: datetime | None = None) -> tuple[int, int]:
    """Send due rows, a claimed batch at a time, until none are left; (sent, failed).

    Call it outside a transaction: the claim commits before anything is sent, and nothing
    is sent while this function holds a transaction (healthchecks' order: claim, commit,
    send, mark)."""
    now = now or timezone.now()
    sent = failed = 0
    while True:
        token, rows = claim(batch, now)
        s, f = _send_claimed(token, rows, now)
        sent += s
        failed += f
        if len(rows) < batch:
            return sent, failed


def deliver_ids(ids: list[int]) -> None:
    """Send these rows now (the one-key alarm does not wait for the worker's next pass);
    called after commit. A failure leaves them to the worker."""
    try:
        now = timezone.now()
        token, rows = claim(len(ids), now, ids=ids)
        _send_claimed(token, rows, now)
    except Exception:  # the worker will pick them up
        log.exception("immediate delivery failed; left for the worker")
