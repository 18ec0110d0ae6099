"""Fan-out: a new LiveEvent wakes the hub through Redis pub/sub, PostgreSQL NOTIFY, or the
SQLite poll, and reaches a subscribed stream's queue."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jiceng.command import live
from jiceng.command.models import LiveEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _write_event(code: str = "610921001") -> int:
    with transaction.atomic():
        ev = LiveEvent.objects.create(
            at=timezone.now(), kind=LiveEvent.NEW, region_code=code, data={"number": "x"}
        )
        live.publish_in_transaction([ev.pk])
    return ev.pk


async def _delivery_seconds() -> tuple[str, float, int]:
    hub = live.Hub()
    await hub.start()
    q = hub.subscribe()
    await asyncio.sleep(0.5)  # the subscription / LISTEN is in place
    started = time.monotonic()
    pk = await sync_to_async(_write_event, thread_sensitive=False)()
    row = await asyncio.wait_for(q.get(), 4)
    took = time.monotonic() - started
    for t in (hub.task, hub.listener):
        if t is not None:
            t.cancel()
    assert row["id"] == pk
    return hub.kind, took, pk


def _run(coro):
    """asyncio.run in its own thread (Playwright's sync API may hold this thread's loop)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()


def test_redis_pubsub_wakes_every_hub_at_once(monkeypatch):
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    monkeypatch.setattr(settings, "JICENG_REDIS_URL", url)
    monkeypatch.setattr(live, "POLL_SAFETY", 30.0)  # only the wake-up can deliver in time
    kind, took, _ = _run(_delivery_seconds())
    assert kind == "redis" and took < 2.0  # far below POLL_SAFETY (30 s): the wake-up did it


def test_postgresql_notify_wakes_the_hub(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(settings, "JICENG_REDIS_URL", "")
    monkeypatch.setattr(live, "POLL_SAFETY", 30.0)
    kind, took, _ = _run(_delivery_seconds())
    assert kind == "postgresql" and took < 2.0


def test_sqlite_falls_back_to_polling(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setattr(settings, "JICENG_REDIS_URL", "")
    kind, took, _ = _run(_delivery_seconds())
    assert kind == "poll" and took < live.POLL_SQLITE + 2.0


def test_a_stream_resumes_after_its_last_event_id_and_filters_by_scope(monkeypatch):
    monkeypatch.setattr(settings, "JICENG_REDIS_URL", "")
    first = _write_event("610921001")
    _write_event("610921002")  # another street
    third = _write_event("610921001001")

    async def read() -> list[str]:
        out = []
        gen = live.stream("610921001", after=first - 1, heartbeat=0.2)
        async for chunk in gen:
            out.append(chunk)
            if chunk.startswith(": ping"):
                break
        await gen.aclose()
        return out

    chunks = _run(read())
    ids = [int(c.split("\n")[0][4:]) for c in chunks if c.startswith("id: ")]
    assert ids == [first, third]
