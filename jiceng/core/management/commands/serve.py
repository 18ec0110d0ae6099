from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve jiceng with uvicorn: sync views through Django's WSGI handler in a thread "
        "pool, the command centre's event stream through its ASGI handler "
        "(docs/decisions/0048-perf-server.md); static files through WhiteNoise."
    )

    def add_arguments(self, parser):
        # defaults from JICENG_HOST / JICENG_PORT / JICENG_WORKERS, read in settings.py
        parser.add_argument("--host", default=settings.JICENG_HOST)
        parser.add_argument("--port", type=int, default=settings.JICENG_PORT)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.JICENG_WORKERS or None,
            help="processes (default: number of CPUs, at most 4)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="threads per process for the sync views (default: JICENG_THREADS or 8)",
        )
        parser.add_argument("--log-level", default="warning")

    def handle(self, *args, host, port, workers, threads, log_level, **options):
        import uvicorn

        workers = workers or min(os.cpu_count() or 1, 4)
        if threads:
            # read by jiceng.core.serving when each worker process imports it
            os.environ["JICENG_THREADS"] = str(threads)
        self.stdout.write(
            f"jiceng 正在 http://{host}:{port}/ 上运行（{workers} 个进程，Ctrl+C 停止）"
        )
        uvicorn.run(
            "jiceng.core.serving:application",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            # Forwarded headers are resolved by the application, only from the proxies
            # named in JICENG_TRUSTED_PROXIES (jiceng.lib.clientip); uvicorn's own default
            # trusts X-Forwarded-For from 127.0.0.1 and let a local client spoof addresses.
            proxy_headers=False,
        )
