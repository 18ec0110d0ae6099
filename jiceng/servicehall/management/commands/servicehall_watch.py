from django.core.management.base import BaseCommand

from jiceng.servicehall import watch


class Command(BaseCommand):
    help = "One watch pass over applications: yellow/red cards, pending materials, rectifications."

    def handle(self, *args, **options):
        out = watch.run_pass()
        self.stdout.write(
            f"红牌提醒 {out['red']} 条，黄牌提醒 {out['yellow']} 条，容缺催补 {out['pending']} 条，"
            f"整改逾期 {out['rectification']} 条"
        )
