"""The command centre's part of `jiceng demo`: the deadline worker runs beside the server
so that cards turn yellow and red on the wall while a person watches."""

from __future__ import annotations

import subprocess
import sys

DEMO_WORKER_INTERVAL = 10.0  # seconds between worker passes in the demo


def start_worker(interval: float = DEMO_WORKER_INTERVAL) -> subprocess.Popen:
    """Start `jiceng worker --interval N` as a child process (same environment, so the
    same database); the caller terminates it when the server stops."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from jiceng.cli import main; main()",
            "worker",
            "--interval",
            str(interval),
        ]
    )


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def build(ctx) -> None:
    """The demo county's command centre: an announcement to the county, an instruction
    from the street to its grid workers and community staff, and the demo grid worker
    on duty with an hour of patrol track around their grid."""
    import math
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.accounts.models import User
    from jiceng.command import notices, tracks

    users = {
        u.username: u for u in User.objects.filter(username__in=["district", "street", "grid"])
    }
    if len(users) < 3:
        return
    now = timezone.now()
    county_code = users["district"].scope.code if users["district"].scope else ""
    notices.send(
        users["district"],
        kind="announcement",
        title="关于做好今冬明春矛盾纠纷排查化解工作的通知",
        body="各街镇、社区（村）：请组织网格员开展一次全覆盖走访排查，重点关注独居老人、三留守人员和重点青少年。",
        region_codes=[county_code],
        now=now - timedelta(hours=3),
    )
    street_code = users["street"].scope.code if users["street"].scope else county_code
    notices.send(
        users["street"],
        kind="instruction",
        title="汛后河道安全隐患排查",
        body="请各网格于明日18时前完成辖区河道、沟渠巡查，发现隐患立即上报并报告办结情况。",
        region_codes=[street_code],
        roles=["grid_worker", "community_staff"],
        due_at=now + timedelta(days=1),
        now=now - timedelta(hours=2),
    )
    grid = users["grid"].scope
    if grid is None or None in (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat):
        return
    tracks.forget_county_box()
    # the last hour, or the local day so far if shorter: the page shows today's track, and
    # a demo built just after midnight would otherwise leave it a few points long
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - timedelta(hours=1), day_start)
    step = max((now - start) / 120, timedelta(milliseconds=100))
    tracks.go_on_duty(users["grid"], consent=True, now=start)
    cx, cy = (grid.min_lon + grid.max_lon) / 2, (grid.min_lat + grid.max_lat) / 2  # type: ignore[operator]
    rx, ry = (grid.max_lon - grid.min_lon) / 4, (grid.max_lat - grid.min_lat) / 4  # type: ignore[operator]
    points = [
        {
            "t": int((start + step * k).timestamp() * 1000),
            "lon": cx + rx * math.cos(k / 19) * (1 + 0.2 * math.sin(k / 5)),
            "lat": cy + ry * math.sin(k / 23),
        }
        for k in range(1, 120)
    ]
    tracks.record_points(users["grid"], points, now=now)
    minutes = round((now - start).total_seconds() / 60)
    ctx.say(f"  指挥中心：通知 1 条、指令 1 条，网格员在岗 1 人（轨迹 {minutes} 分钟）")
