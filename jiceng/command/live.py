"""Live updates: publishing LiveEvent ids and the per-process hub that streams them.

The LiveEvent table is the source of truth (a wall that reconnects resumes after its
Last-Event-ID); a fan-out channel only *wakes* the server processes so that they read
the new rows at once:

  - Redis pub/sub when `JICENG_REDIS_URL` is set (published after commit);
  - PostgreSQL `NOTIFY jiceng_command` otherwise on PostgreSQL (sent in the writing
    transaction, so it is delivered at commit and never for a rolled-back row);
  - on SQLite, the hub polls the table (POLL_SQLITE seconds).

Every process runs one hub task (started by the first stream on its event loop) that
reads new rows once and hands them to each open stream's queue: 200 walls cost one
query per wake-up, not 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger("jiceng.command.live")

CHANNEL = "jiceng_command"
POLL_SQLITE = 0.5  # seconds between reads of the table on SQLite
POLL_SAFETY = 5.0  # with pub/sub: read anyway this often (a lost wake-up costs ≤ 5 s)
CATCH_UP_EVERY = 10.0  # seconds between catch-ups over the case history (worker's cards)
QUEUE_MAX = 1000


def redis_url() -> str:
    """JICENG_REDIS_URL as settings.py read it (with its *_FILE form); "" without Redis."""
    return settings.JICENG_REDIS_URL


def backend() -> str:
    """'redis', 'postgresql' or 'poll' — how the processes are woken."""
    if redis_url():
        return "redis"
    if connection.vendor == "postgresql":
        return "postgresql"
    return "poll"


def publish_in_transaction(ids: list[int]) -> None:
    """Wake every server process for these new LiveEvent ids, once the transaction that
    wrote them commits."""
    if not ids:
        return
    payload = str(max(ids))
    kind = backend()
    if kind == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
    elif kind == "redis":
        transaction.on_commit(lambda: _redis_publish(payload))


_redis_client: Any = None


def _redis_publish(payload: str) -> None:
    global _redis_client
    try:
        import redis

        if _redis_client is None:
            _redis_client = redis.Redis.from_url(redis_url(), socket_timeout=2)
        _redis_client.publish(CHANNEL, payload)
    except Exception:  # noqa: BLE001 — the walls still read the row within POLL_SAFETY
        log.warning("redis publish failed", exc_info=True)
        _redis_client = None


# ---------------------------------------------------------------- the hub (async)


def _rows_after(last: int, limit: int = 500) -> list[dict[str, Any]]:
    from jiceng.command.models import LiveEvent

    rows: list[dict[str, Any]] = [
        dict(r)
        for r in LiveEvent.objects.filter(pk__gt=last)
        .order_by("pk")
        .values("id", "kind", "region_code", "data", "at")[:limit]
    ]
    if not connection.in_atomic_block:
        # the hub reads from executor threads: give the connection back (pool) each time
        connection.close_if_unusable_or_obsolete()
    return rows


def _latest() -> int:
    from jiceng.command.models import LiveEvent

    v = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return int(v or 0)


def _catch_up() -> int:
    from jiceng.command import rollup

    try:
        return rollup.catch_up()
    finally:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


rows_after = sync_to_async(_rows_after, thread_sensitive=False)
catch_up = sync_to_async(_catch_up, thread_sensitive=False)
latest_id = sync_to_async(_latest, thread_sensitive=False)


class Hub:
    """One per event loop: reads new LiveEvents when woken and fans them out."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()
        self.last = 0
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None
        self.kind = "poll"
        self.pg_conn: Any = None

    @property
    def connections(self) -> int:
        return len(self.queues)

    async def start(self) -> None:
        if self.task is not None and not self.task.done():
            return
        self.kind = await sync_to_async(backend, thread_sensitive=False)()
        self.last = await latest_id()
        self.task = asyncio.create_task(self._run())
        if self.kind == "redis":
            self.listener = asyncio.create_task(self._listen_redis())
        elif self.kind == "postgresql":
            self.listener = asyncio.create_task(self._listen_pg())

    async def _run(self) -> None:
        interval = POLL_SQLITE if self.kind == "poll" else POLL_SAFETY
        loop = asyncio.get_running_loop()
        caught_up = loop.time()
        while True:
            if loop.time() - caught_up > CATCH_UP_EVERY:
                # moves that send no signal (the worker's cards and escalations) reach the
                # rollups here; several processes queue on the watermark row
                caught_up = loop.time()
                try:
                    await catch_up()
                except Exception:  # noqa: BLE001 — next round; reconcile repairs anything
                    log.warning("rollup catch-up failed", exc_info=True)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()
            try:
                rows = await rows_after(self.last)
            except Exception:  # noqa: BLE001 — a database hiccup: try again next round
                log.warning("live hub read failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            for r in rows:
                self.last = max(self.last, r["id"])
                for q in list(self.queues):
                    if q.qsize() < QUEUE_MAX:
                        q.put_nowait(r)
            if len(rows) == 500:
                self.wake.set()  # more to read

    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis

        while True:
            try:
                client = aioredis.Redis.from_url(redis_url())
                pubsub = client.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        self.wake.set()
            except Exception:  # noqa: BLE001 — reconnect; polling covers the gap
                log.warning("redis subscription lost", exc_info=True)
                await asyncio.sleep(2)

    async def _listen_pg(self) -> None:
        import psycopg

        while True:
            try:
                conninfo = pg_conninfo()
                aconn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                self.pg_conn = aconn
                async with aconn:
                    await aconn.execute(f"LISTEN {CHANNEL}")
                    async for _n in aconn.notifies():
                        self.wake.set()
            except Exception:  # noqa: BLE001 — reconnect; polling covers the gap
                log.warning("postgresql LISTEN lost", exc_info=True)
                await asyncio.sleep(2)

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue()
        self.queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self.queues.discard(q)


def shutdown() -> None:
    """Close the hubs' LISTEN connections (a server or a test stopping its loop)."""
    for h in list(_hubs.values()):
        for t in (h.task, h.listener):
            if t is not None and not t.done():
                t.get_loop().call_soon_threadsafe(t.cancel)
        if h.pg_conn is not None:
            with contextlib.suppress(Exception):
                h.pg_conn.pgconn.finish()  # synchronous: the loop may be gone
            h.pg_conn = None
    _hubs.clear()


def pg_conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    s = connection.settings_dict
    kw = {
        "dbname": s.get("NAME") or "",
        "user": s.get("USER") or "",
        "password": s.get("PASSWORD") or "",
        "host": s.get("HOST") or "",
        "port": str(s.get("PORT") or ""),
    }
    return make_conninfo(**{k: v for k, v in kw.items() if v})


_hubs: dict[int, Hub] = {}


async def hub() -> Hub:
    """The hub of the running event loop (started on first use)."""
    loop = asyncio.get_running_loop()
    h = _hubs.get(id(loop))
    if h is None:
        h = _hubs[id(loop)] = Hub()
    await h.start()
    return h


def sse(event_id: int | None, kind: str, data: Any) -> str:
    """One server-sent event (text/event-stream framing)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def stream(
    scope_prefix: str, after: int | None, heartbeat: float = 15.0
) -> AsyncGenerator[str, None]:
    """The events of one wall: those whose region lies under `scope_prefix`, after the
    id `after` (None: from now). A comment line every `heartbeat` seconds keeps proxies
    from closing an idle stream."""
    h = await hub()
    q = h.subscribe()
    try:
        yield "retry: 2000\n\n"
        sent = after or 0
        if after is not None and after < h.last:
            # resume: rows the wall missed while it was away (bounded)
            for r in await rows_after(after):
                if r["id"] > h.last:
                    break
                sent = r["id"]
                if r["region_code"].startswith(scope_prefix):
                    yield sse(r["id"], r["kind"], {**r["data"], "region_code": r["region_code"]})
        while True:
            try:
                r = await asyncio.wait_for(q.get(), heartbeat)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if r["id"] <= sent:
                continue  # already sent while resuming
            sent = r["id"]
            if r["region_code"].startswith(scope_prefix):
                yield sse(r["id"], r["kind"], {**r["data"], "region_code": r["region_code"]})
    finally:
        h.unsubscribe(q)


def backlog(scope_prefix: str, after: int | None, retry_ms: int = 1000) -> list[str]:
    """The events after `after` in one finite answer (WSGI servers: see views.stream)."""
    out = [f"retry: {retry_ms}\n\n"]
    if after is None:
        return out
    for r in _rows_after(after):
        if r["region_code"].startswith(scope_prefix):
            out.append(sse(r["id"], r["kind"], {**r["data"], "region_code": r["region_code"]}))
        else:
            out.append(f"id: {r['id']}\n\n")  # moves the wall's Last-Event-ID on
    return out
