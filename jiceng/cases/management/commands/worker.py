"""`jiceng worker`: turn due deadlines into cards, reminders and escalations; send the outbox."""

from __future__ import annotations

import json
import signal
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "后台任务：到期亮牌、催办督办、发送通知（--once 执行一遍后退出）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run a single pass and exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, **opts):
        from jiceng.cases.worker import run_pass

        stop = {"now": False}

        def _stop(*_):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        while True:
            stats = run_pass(batch=opts["batch"])
            self.stdout.write(json.dumps(stats, ensure_ascii=False))
            if opts["once"] or stop["now"]:
                return
            slept = 0.0
            while slept < opts["interval"] and not stop["now"]:
                time.sleep(0.5)
                slept += 0.5
            if stop["now"]:
                return
