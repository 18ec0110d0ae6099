"""One benchmark run: migrate, generate what is missing, run the sections, report."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from jiceng.bench import generate as gen
from jiceng.bench import report
from jiceng.bench.params import QUICK_SCALE, Params
from jiceng.bench.sections import SECTIONS, Context
from jiceng.bench.util import Skip


def run(
    *,
    quick: bool = False,
    scale: float | None = None,
    sections: list[str] | None = None,
    output: str | Path | None = None,
    reset: bool = False,
    migrate: bool = True,
    reps: int | None = None,
    load_seconds: float | None = None,
    say: Callable[[str], None] = print,
    err: IO[str] | None = None,
) -> dict[str, Any]:
    """Returns the result dict (also written to `output` as JSON when given)."""
    from django.core.management import call_command

    scale = scale if scale is not None else (QUICK_SCALE if quick else 1.0)
    params = Params(scale=scale)
    unknown = [s for s in sections or [] if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown sections: {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    if migrate:
        ensure_database(say)
        call_command("migrate", verbosity=0, interactive=False)
    if reset:
        if gen.marker() or not _has_rows():
            gen.reset()
        else:
            raise gen.ForeignData("拒绝清空：这个数据库里的数据不是基准测试生成的")
    result: dict[str, Any] = {"meta": report.meta(params.as_dict(), quick)}
    say(f"生成/复用基准数据（规模 {scale}）…")
    t0 = time.perf_counter()
    result["generation"] = gen.generate(params, say, err)
    result["generation_seconds"] = round(time.perf_counter() - t0, 2)
    ctx = Context(
        params=params,
        quick=quick,
        say=say,
        err=err,
        generation=result["generation"],
        reps_override=reps,
        load_seconds_override=load_seconds,
    )
    chosen = sections or list(SECTIONS)
    # memory reads what the others left (server, worker): always last
    order = [s for s in SECTIONS if s in chosen and s != "memory"]
    if "memory" in chosen:
        order.append("memory")
    result["sections"] = {}
    try:
        for name in order:
            say(f"测量 {name} …")
            t1 = time.perf_counter()
            try:
                data = SECTIONS[name](ctx)
                entry = {"status": "ok", **data}
            except Skip as exc:
                entry = {"status": "skipped", "reason": str(exc)}
                say(f"  跳过：{exc}")
            except Exception as exc:  # a real error: recorded, reported, and the run fails
                entry = {
                    "status": "error",
                    "error": f"{exc.__class__.__name__}: {exc}",
                    "traceback": traceback.format_exc()[-4000:],
                }
                say(f"  错误：{exc.__class__.__name__}: {exc}")
            entry["section_seconds"] = round(time.perf_counter() - t1, 2)
            result["sections"][name] = entry
            ctx.results[name] = entry
    finally:
        ctx.stop()
    result["targets"] = [
        {"section": name, **t}
        for name, sec in result["sections"].items()
        for t in sec.get("targets", [])
    ]
    result["ok"] = not any(s["status"] == "error" for s in result["sections"].values())
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return result


def ensure_database(say: Callable[[str], None]) -> None:
    """PostgreSQL: create the database named in DATABASE_URL when it does not exist yet.

    Asked directly of the server's `postgres` database, before Django opens its connection
    pool: a pool pointed at a missing database retries in the background until its timeout
    instead of failing with "does not exist".
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    sd = connection.settings_dict
    params = {
        "dbname": "postgres",
        "user": sd.get("USER") or None,
        "password": sd.get("PASSWORD") or None,
        "host": sd.get("HOST") or None,
        "port": sd.get("PORT") or None,
    }
    info = make_conninfo(**{k: str(v) for k, v in params.items() if v})
    with psycopg.connect(info, autocommit=True, connect_timeout=10) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sd["NAME"]])
        if found.fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(sd["NAME"])))
    say(f"  已创建 PostgreSQL 数据库 {sd['NAME']}")


def _has_rows() -> bool:
    from jiceng.territory.models import Region

    return Region.objects.exists()
