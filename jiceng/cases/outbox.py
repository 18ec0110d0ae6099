"""Delivering the Outbox through a pluggable gateway.

`JICENG_SMS_BACKEND`: ``console`` (default: log lines), ``file`` (append JSON lines to
``JICENG_SMS_FILE``) or ``http`` (POST JSON to ``JICENG_SMS_URL`` with an optional bearer
``JICENG_SMS_TOKEN``). A row is sent inside the transaction that holds its lock, so two
workers never send the same row (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
IMMEDIATE transaction serialises writers). A failing row is pushed forward with backoff
and its error recorded; after MAX_ATTEMPTS it is marked failed.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from jiceng.cases.models import Outbox
from jiceng.lib.env import envstr

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
    def __init__(self, url: str, token: str = ""):
        self.url, self.token = url, token

    def send(self, msg: Outbox) -> None:
        body = json.dumps(
            {"phone": msg.to_phone, "text": msg.body, "id": msg.dedupe_key}, ensure_ascii=False
        ).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        req.add_header("Content-Type", "application/json; charset=utf-8")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (configured URL)
            if resp.status >= 300:
                raise RuntimeError(f"短信网关返回 {resp.status}")


_gateway: Gateway | None = None


def gateway() -> Gateway:
    global _gateway
    if _gateway is None:
        kind = envstr("JICENG_SMS_BACKEND", "console")
        if kind == "file":
            _gateway = FileGateway(envstr("JICENG_SMS_FILE", "var/sms.jsonl"))
        elif kind == "http":
            _gateway = HttpGateway(envstr("JICENG_SMS_URL"), envstr("JICENG_SMS_TOKEN"))
        else:
            _gateway = ConsoleGateway()
    return _gateway


def set_gateway(gw: Gateway | None) -> None:
    """For tests and embedding: replace the gateway (None: back to the setting)."""
    global _gateway
    _gateway = gw


def _locked(qs):
    if connection.vendor == "postgresql":
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs.select_for_update()


def deliver_due(batch: int = 200, now=None) -> tuple[int, int]:
    """Send due rows in batches until none are left; returns (sent, failed)."""
    sent = failed = 0
    while True:
        s, f, n = _deliver_batch(batch, now)
        sent += s
        failed += f
        if n < batch:
            return sent, failed


def deliver_ids(ids: list[int]) -> None:
    """Send these rows now (the one-key alarm does not wait for the worker's next pass)."""
    try:
        _deliver_batch(len(ids), None, ids=ids)
    except Exception:  # the worker will pick them up
        log.exception("immediate delivery failed; left for the worker")


def _deliver_batch(batch: int, now, ids: list[int] | None = None) -> tuple[int, int, int]:
    now = now or timezone.now()
    gw = gateway()
    sent = failed = 0
    with transaction.atomic():
        qs = Outbox.objects.filter(state=Outbox.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        rows = list(_locked(qs.order_by("next_attempt_at", "id")).select_related("to_unit")[:batch])
        ok: list[int] = []
        for msg in rows:
            try:
                gw.send(msg)
            except Exception as exc:  # one bad row never stops the loop
                attempts = msg.attempts + 1
                # compare-and-set: only a row still pending is touched (SQLite has no row locks)
                Outbox.objects.filter(pk=msg.pk, state=Outbox.PENDING).update(
                    attempts=attempts,
                    last_error=str(exc)[:1000],
                    state=Outbox.FAILED if attempts >= MAX_ATTEMPTS else Outbox.PENDING,
                    next_attempt_at=now + timedelta(minutes=2**attempts),
                )
                failed += 1
                continue
            ok.append(msg.pk)
        for i in range(0, len(ok), 500):
            sent += Outbox.objects.filter(pk__in=ok[i : i + 500], state=Outbox.PENDING).update(
                state=Outbox.SENT, sent_at=now, attempts=F("attempts") + 1
            )
    return sent, failed, len(rows)
