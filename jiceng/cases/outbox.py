"""Delivering the Outbox through a pluggable gateway.

`JICENG_SMS_BACKEND`: ``console`` (default: log lines), ``file`` (append JSON lines to
``JICENG_SMS_FILE``) or ``http`` (POST JSON to ``JICENG_SMS_URL`` with an optional bearer
``JICENG_SMS_TOKEN``). Every message carries its dedupe key (`key` in the file, `id` and
the `Idempotency-Key` header over HTTP) so a gateway can drop a repeat.

The order is healthchecks': claim due rows in one short transaction (compare-and-set to
`sending` with this pass's token and a lease), commit, send each row with no transaction
open — a slow gateway never holds the database's write lock — then mark it sent, or
pending again with backoff, or failed after MAX_ATTEMPTS. A worker killed between a send
and its mark leaves that one row `sending`; it is claimed again when its lease ends, so
at most the message in flight repeats, under the same key.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
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
    def send(self, msg: Outbox) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleGateway(Gateway):
    def send(self, msg: Outbox) -> None:
        target = msg.to_phone or (msg.to_unit.name if msg.to_unit is not None else "") or "站内"
        log.info("[%s] → %s: %s", msg.kind, target, msg.body)


class FileGateway(Gateway):
    def __init__(self, path: str):
        self.path = Path(path)

    def send(self, msg: Outbox) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"id": msg.pk, "key": msg.dedupe_key, "to": msg.to_phone, "body": msg.body},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpGateway(Gateway):
    """POST one JSON message per request on a kept-alive connection (one per thread; a new
    connection per message cost more than the message on loopback)."""

    def __init__(self, url: str, token: str = ""):
        self.url, self.token = url, token
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

    def send(self, msg: Outbox) -> None:
        body = json.dumps(
            {"phone": msg.to_phone, "text": msg.body, "id": msg.dedupe_key}, ensure_ascii=False
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": msg.dedupe_key,
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
            _gateway = HttpGateway(settings.JICENG_SMS_URL, settings.JICENG_SMS_TOKEN)
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


def _send_claimed(token: str, rows: list[Outbox], now: datetime) -> tuple[int, int]:
    """Send claimed rows one by one, outside any transaction of ours, marking each as soon
    as the gateway answers: a kill between a send and its mark repeats that one message."""
    gw = gateway()
    sent = failed = 0
    with _marks_without_fsync():
        for msg in rows:
            s, f = _send_one(gw, token, msg, now)
            sent += s
            failed += f
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


def _send_one(gw: Gateway, token: str, msg: Outbox, now: datetime) -> tuple[int, int]:
    """Send one claimed row and mark it at once: (sent, failed) counts, 0 or 1 each."""
    mine = Outbox.objects.filter(pk=msg.pk, claim=token, state=Outbox.SENDING)
    try:
        gw.send(msg)
    except Exception as exc:  # one bad row never stops the loop
        attempts = msg.attempts
        mine.update(
            last_error=str(exc)[:1000],
            state=Outbox.FAILED if attempts >= MAX_ATTEMPTS else Outbox.PENDING,
            next_attempt_at=now + timedelta(minutes=2**attempts),
        )
        return 0, 1
    return mine.update(state=Outbox.SENT, sent_at=now), 0


def deliver_due(batch: int = 200, now: datetime | None = None) -> tuple[int, int]:
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
