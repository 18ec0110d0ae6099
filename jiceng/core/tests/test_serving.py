"""`jiceng serve`'s application: sync views through the WSGI handler in threads, the
command centre's event stream through the ASGI handler (a live stream, not the WSGI
fallback that answers once and ends)."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest


@pytest.fixture
def served(transactional_db):
    import uvicorn

    from jiceng.core.serving import application

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(10)
    from jiceng.command import live

    live.shutdown()


def _session_cookie(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_sync_views_are_served_through_wsgi(served, client, users):
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    conn.request("GET", "/api/v1/health")
    r = conn.getresponse()
    assert r.status == 200 and b'"ok"' in r.read()
    # a page that needs the session: the same login works on both handlers
    conn.request("GET", "/cases/", headers={"Cookie": _session_cookie(client, users.district)})
    r = conn.getresponse()
    r.read()
    assert r.status == 200
    conn.close()


def test_the_event_stream_stays_open_under_the_asgi_handler(served, client, users):
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    cookie = _session_cookie(client, users.district)
    conn.request("GET", "/command/stream/", headers={"Cookie": cookie})
    r = conn.getresponse()
    assert r.status == 200
    assert r.getheader("Content-Type", "").startswith("text/event-stream")
    # the live stream opens with retry 2000; the WSGI fallback would say 1000 and end
    assert r.read1(200) == b"retry: 2000\n\n"
    conn.sock.settimeout(1.0)
    with pytest.raises(TimeoutError):
        r.read1(200)  # nothing more yet, and the connection is still open
    conn.close()
