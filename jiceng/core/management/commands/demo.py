from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from jiceng.core import demo


class Command(BaseCommand):
    help = "Build the demo county (汉阴县) and serve it. Same seed, same county."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="build the database only")
        parser.add_argument(
            "--reset", action="store_true", help="empty the database and build again"
        )
        parser.add_argument("--seed", type=int, default=610921)
        parser.add_argument("--scale", type=float, default=1.0, help="share of the full demo size")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve, reset, seed, scale, host, port, **options):
        from jiceng.accounts.demo import DEMO_TITLES, DEMO_USERS
        from jiceng.territory.models import Region

        call_command("migrate", verbosity=0, interactive=False)
        if reset:
            call_command("flush", verbosity=0, interactive=False)
        if Region.objects.filter(code=demo.DEMO_COUNTY, children__isnull=False).exists():
            self.stdout.write("演示县已存在（使用 --reset 重建）。")
        else:
            started = time.monotonic()
            ctx = demo.DemoContext(seed=seed, scale=scale, out=self.stdout)
            with transaction.atomic():
                demo.build(ctx)
            self.stdout.write(f"演示县已建成，用时 {time.monotonic() - started:.1f} 秒。")
        url = f"http://{host}:{port}/"
        self.stdout.write("")
        self.stdout.write(f"打开 {url} ，演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        from jiceng.accounts.models import User

        users = {
            u.username: u
            for u in User.objects.filter(username__in=DEMO_USERS).select_related("scope", "unit")
        }
        for username in DEMO_USERS:
            u = users.get(username)
            if u is None:
                continue
            where = u.unit.name if u.unit else (u.scope.name if u.scope else "")
            if not where:
                # No territory: a resident sees only their own cases (the demo phone is fictitious
                # and is what the public tracker asks for with a case number).
                where = "只看本人的诉求"
                if u.phone:
                    where += f"；登记手机 {u.phone}（{url}cases/track/ 凭编号查询）"
            if username == "hotline":
                where += f"；接听来电：{url}cases/hotline/"
            title = DEMO_TITLES.get(username, u.role_label)
            self.stdout.write(f"  {title:<10} 用户名 {username:<10} {where}")
        self.stdout.write("")
        if not no_serve:
            from jiceng.command.demo import start_worker, stop_worker

            worker = start_worker()  # the deadline worker beside the server (cards move)
            try:
                call_command("serve", host=host, port=port)
            finally:
                stop_worker(worker)
