"""`jiceng bench`: generate a county at 安康 scale and measure the platform on it."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Benchmark at county scale (45,000 grids, 3,000,000 residents, 1,000,000 cases) on the "
        "configured database; --quick runs everything at 1/100 scale. See docs/benchmarks.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="1/100 scale, a few minutes")
        parser.add_argument("--scale", type=float, help="share of the full county (1.0 = 安康)")
        parser.add_argument("--output", help="write the results as JSON to this file")
        parser.add_argument("--sections", help="comma-separated sections (default: all)")
        parser.add_argument("--reps", type=int, help="repetitions of each timed query")
        parser.add_argument(
            "--load-seconds", type=float, help="seconds of HTTP load at each concurrency"
        )
        parser.add_argument(
            "--profile",
            metavar="WORKLOAD",
            help="profile one workload (intake, case_list, summary, worker, import_residents, "
            "import_divisions) "
            "with pyinstrument on the generated data, print the profile and stop",
        )
        parser.add_argument(
            "--reset", action="store_true", help="empty the benchmark database and regenerate"
        )

    def handle(
        self, *args, quick, scale, output, sections, reset, reps, load_seconds, profile, **options
    ):
        from jiceng.bench import report, runner
        from jiceng.bench.generate import ForeignData

        if scale is not None and scale <= 0:
            raise CommandError("--scale 必须大于 0")
        chosen = [s.strip() for s in sections.split(",") if s.strip()] if sections else None
        if profile:
            from jiceng.bench import profile as prof
            from jiceng.bench.generate import marker
            from jiceng.bench.params import QUICK_SCALE, Params

            params = Params(scale=scale if scale is not None else (QUICK_SCALE if quick else 1.0))
            if not marker():
                raise CommandError(
                    "还没有基准数据：先运行一次 jiceng bench（同样的 --quick/--scale）"
                )
            try:
                self.stdout.write(prof.run(profile, params))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            return

        def say(msg: str) -> None:
            self.stderr.write(msg)

        try:
            result = runner.run(
                quick=quick,
                scale=scale,
                sections=chosen,
                output=output,
                reset=reset,
                reps=reps,
                load_seconds=load_seconds,
                say=say,
                err=sys.stderr,
            )
        except (ForeignData, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines(result):
            self.stdout.write(line)
        if output:
            self.stdout.write(f"\nJSON: {output}")
        if not result["ok"]:
            bad = [n for n, s in result["sections"].items() if s["status"] == "error"]
            raise CommandError(f"基准测试出错的部分：{', '.join(bad)}（详见上文和 JSON）")
