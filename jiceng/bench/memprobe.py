"""`python -m jiceng.bench.memprobe`: the memory of the point → grid index alone, in a fresh
process on the benchmark's database (the `memory` section runs it as a child; a server
worker builds the same index at its first located request).

Prints one JSON object: resident set (MB) after Django's start, after the index is built,
after 100,000 single calls over the county (the per-region answers it caches), the
process's peak over all of it, and the build's wall and CPU seconds.
"""

from __future__ import annotations

import gc
import json
import os
import random
import time


def _status(field: str) -> float | None:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()
    from jiceng.bench.params import BBOX
    from jiceng.territory import locate
    from jiceng.territory.models import Region

    Region.objects.exists()  # the connection and the ORM's first query, not the index
    gc.collect()
    out: dict = {"rss_start_mb": _status("VmRSS")}
    t0, c0 = time.perf_counter(), time.process_time()
    index = locate.get_index(force_check=True)
    out["index_build_s"] = round(time.perf_counter() - t0, 2)
    out["index_build_cpu_s"] = round(time.process_time() - c0, 2)
    gc.collect()
    out["rss_after_index_mb"] = _status("VmRSS")
    out["peak_after_index_mb"] = _status("VmHWM")
    out["regions"] = len(index)
    out["raster_arrays_mb"] = round(getattr(index, "nbytes", 0) / 2**20, 1)
    rng = random.Random(11)
    x0, y0, x1, y1 = BBOX
    n = 100_000
    pts = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(n)]
    c0 = time.process_time()
    for x, y in pts:
        locate.locate(x, y)
    out["single_calls_per_cpu_s"] = round(n / max(time.process_time() - c0, 1e-9))
    del pts
    gc.collect()
    out["rss_after_calls_mb"] = _status("VmRSS")
    out["peak_mb"] = _status("VmHWM")
    out["index_mb"] = round(out["rss_after_index_mb"] - out["rss_start_mb"], 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
