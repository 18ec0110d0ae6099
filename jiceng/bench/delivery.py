"""Delivery measured apart from the worker's cards: messages per second through the file
gateway and through the HTTP gateway to a loopback receiver, by `outbox.deliver_due`
(claim, commit, send outside any transaction, mark).

    DATABASE_URL=… python -m jiceng.bench.delivery [--messages 2000]

It writes pending `Outbox` rows with a unique key prefix, delivers them, and deletes them
again (a migrated database of its own; not the demo's). Delivery is batched per gateway
call (decision 0081): the file gateway appends up to 1,000 lines per open and fsync; the
HTTP gateway sends one message per request by default and a JSON list of up to
`JICENG_SMS_BATCH` messages when the gateway takes lists (measured here with 100).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")


class _Receiver(BaseHTTPRequestHandler):
    """A loopback SMS gateway: takes one message (a JSON object) or a list of them per
    request, and counts messages and requests."""

    protocol_version = "HTTP/1.1"
    got = 0
    requests = 0

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n))
        type(self).got += len(body) if isinstance(body, list) else 1
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _pending(n: int, prefix: str) -> None:
    from django.utils import timezone

    from jiceng.cases.models import Outbox

    now = timezone.now()
    Outbox.objects.bulk_create(
        [
            Outbox(
                kind="remind",
                channel="sms",
                to_phone="13900000000",
                body=f"【黄牌催办】基准测试第{i}条，请抓紧办理",
                dedupe_key=f"{prefix}:{i}",
                next_attempt_at=now,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def measure(n: int) -> dict[str, dict[str, float]]:
    import django

    django.setup()
    from jiceng.cases import outbox
    from jiceng.cases.models import Outbox

    out: dict[str, dict[str, float]] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{server.server_port}/sms"
        gateways: dict[str, outbox.Gateway] = {
            # one open, one write and one fsync per call of up to 1,000 lines
            "file": outbox.FileGateway(os.path.join(tmp, "sms.jsonl")),
            # one message per request (a gateway that takes no lists; the default)
            "http-loopback": outbox.HttpGateway(url),
            # 100 messages per request (JICENG_SMS_BATCH=100)
            "http-loopback-batch": outbox.HttpGateway(url, batch=100),
        }
        for name, gw in gateways.items():
            _Receiver.got = _Receiver.requests = 0
            c0 = time.process_time()
            prefix = f"bench-delivery-{uuid.uuid4().hex[:8]}"
            _pending(n, prefix)
            outbox.set_gateway(gw)
            try:
                t0 = time.perf_counter()
                sent, failed = outbox.deliver_due()
                dt = time.perf_counter() - t0
            finally:
                outbox.set_gateway(None)
                Outbox.objects.filter(dedupe_key__startswith=prefix).delete()
            cpu = time.process_time() - c0
            out[name] = {
                "messages": n,
                "sent": sent,
                "failed": failed,
                "seconds": round(dt, 3),
                "cpu_seconds": round(cpu, 3),
                "per_second": round(sent / dt, 1) if dt else 0.0,
                "http_requests": _Receiver.requests,
            }
            print(
                f"{name:20} {sent} sent, {failed} failed in {dt:.2f} s (CPU {cpu:.2f} s): "
                f"{sent / dt:,.0f}/s"
                + (f", {_Receiver.requests} requests" if "http" in name else "")
            )
    print(f"load average {os.getloadavg()}")
    server.shutdown()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    measure(args.messages)


if __name__ == "__main__":
    main()
