"""`jiceng recompute-colours [--under CODE]`: after the colour rules change, or to let the
village averages catch up with many income changes."""

from django.core.management.base import BaseCommand

from jiceng.people import services


class Command(BaseCommand):
    help = "按现行规则重新计算户的三色分类"

    def add_arguments(self, parser):
        parser.add_argument("--under", default=None, help="只计算此区域代码下的户")

    def handle(self, *args, **opts):
        changed = services.recompute_all("rules", None, opts["under"])
        self.stdout.write(f"重新计算完成，{changed} 户颜色发生变化")
