"""Exports of a region's residents (CSV streamed, Excel in the background with progress).

The rows come from `values_list` in chunks, never model instances: one query for the
residents (joined to their household), one for their open care tags, and the
masking and labels of `privacy` applied per row in plain Python — the same rules as pages
and the API (`privacy.export_row` is the reference; a test holds both to the same cells).

Excel: a job. The request checks scope and the reason, logs a full export, counts the rows
and starts a thread that writes the file with `lib.exports.XlsxStream` into
`DATA_DIR/exports/`; the page polls the job's state (rows done / total) and downloads the
file when ready. A job belongs to the user who started it; its files are removed after
`KEEP_SECONDS`. Decision 0056.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from jiceng.lib import exports, idcard, phones
from jiceng.people import privacy
from jiceng.people.models import CareTag, CareTagType, Household, Resident

log = logging.getLogger(__name__)

CHUNK = 2000
KEEP_SECONDS = 3600
STALE_SECONDS = 600  # a running job that has not moved for this long died with its process
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FIELDS = (
    "id",
    "household__number",
    "household__colour",
    "grid_code",
    "name",
    "relation",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "phone",
    "address",
    "kind",
)


def _mask_id(n: str) -> str:
    """`idcard.mask` with a fast path for a number already in normal form (ASCII letters and
    digits, upper case: what the register stores)."""
    if n.isascii() and n.isalnum() and n == n.upper():
        return n[:3] + "*" * (len(n) - 7) + n[-4:] if len(n) > 7 else "*" * len(n)
    return idcard.mask(n)


def header() -> list[str]:
    return [h for h, _ in privacy.EXPORT_COLUMNS]


def labels() -> dict[str, dict[str, str]]:
    """Choice labels as plain texts in the language active now (the request's: a job's
    thread has none of its own)."""

    def of(model: Any, field: str) -> dict[str, str]:
        f = model._meta.get_field(field)
        return {k: str(v) for k, v in f.flatchoices}

    return {
        "sex": of(Resident, "sex"),
        "id_type": of(Resident, "id_type"),
        "relation": of(Resident, "relation"),
        "kind": of(Resident, "kind"),
        "colour": of(Household, "colour"),
    }


def row_chunks(qs, full: bool, names: dict[str, dict[str, str]]) -> Iterator[list[list]]:
    """The export's rows (columns of `privacy.EXPORT_COLUMNS`) in chunks of `CHUNK`."""
    tag_names = {
        pk: (privacy.SENSITIVE_LABEL if sensitive and not full else name)
        for pk, name, sensitive in CareTagType.objects.values_list("id", "name", "sensitive")
    }
    sex, id_type, relation, kind, colour = (
        names["sex"],
        names["id_type"],
        names["relation"],
        names["kind"],
        names["colour"],
    )
    today = timezone.localdate()  # the installation's day, not the machine's
    mask_id, mask_phone, mask_address = _mask_id, phones.mask, privacy.mask_address
    rows = qs.order_by("grid_code", "household_id", "id").values_list(*_FIELDS)
    # The open care tags of everyone exported, in one query (a fraction of the residents
    # hold one): resident id → names in the order of the pages.
    tags: dict[int, list[str]] = {}
    for rid, tid in (
        CareTag.objects.filter(ended_at__isnull=True, resident__in=qs.values("id"))
        .order_by("resident_id", "type__order", "id")
        .values_list("resident_id", "type_id")
    ):
        tags.setdefault(rid, []).append(tag_names[tid])
    chunk: list[tuple] = []

    def render(chunk: list[tuple]) -> list[list]:
        out = []
        for rid, hnum, hcol, grid, name, rel, sx, birth, idt, idn, phone, addr, k in chunk:
            if birth is None:
                age: Any = ""
            else:
                age = (
                    today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
                )
            out.append(
                [
                    hnum or "",
                    grid,
                    name,
                    relation.get(rel, rel),
                    sex.get(sx, sx) if sx else "",
                    age,
                    id_type.get(idt, idt),
                    idn if full else (mask_id(idn) if idn else ""),
                    phone if full else mask_phone(phone),
                    addr if full else mask_address(addr),
                    kind.get(k, k),
                    "、".join(tags.get(rid, ())),
                    colour.get(hcol, hcol) if hcol else "",
                ]
            )
        return out

    for r in rows.iterator(chunk_size=CHUNK):
        chunk.append(r)
        if len(chunk) >= CHUNK:
            yield render(chunk)
            chunk = []
    if chunk:
        yield render(chunk)


def csv_stream(qs, full: bool, names: dict[str, dict[str, str]]) -> Iterator[str]:
    """The CSV as text pieces (a BOM, so that Excel reads it as UTF-8)."""
    import io

    out = io.StringIO()
    w = exports.csv_writer(out)
    out.write("\ufeff")
    w.writerow(header())
    for rows in row_chunks(qs, full, names):
        w.writerows(rows)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def write_xlsx(
    target: Any,
    qs,
    full: bool,
    names: dict[str, dict[str, str]],
    progress: Callable[[int], None] | None = None,
) -> int:
    done = 0
    with exports.XlsxStream(target, sheet="居民") as x:
        x.writerow(header())
        for rows in row_chunks(qs, full, names):
            x.writerows(rows)
            done += len(rows)
            if progress is not None:
                progress(done)
    return done


# ---- jobs -----------------------------------------------------------------------------------


def jobs_dir() -> Path:
    d = Path(settings.DATA_DIR) / "exports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _state_path(token: str) -> Path:
    return jobs_dir() / f"{token}.json"


def file_path(token: str) -> Path:
    return jobs_dir() / f"{token}.xlsx"


def _save(token: str, state: dict) -> None:
    p = _state_path(token)
    tmp = p.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False))
    os.replace(tmp, p)


def load(token: str, user) -> dict | None:
    """The job's state for its owner; None for anyone else or an unknown/expired token."""
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        return None
    try:
        state = json.loads(_state_path(token).read_text())
    except (OSError, ValueError):
        return None
    if state.get("user") != user.pk:
        return None
    if state["state"] == "running" and time.time() - state["updated"] > STALE_SECONDS:
        state["state"] = "failed"
        state["error"] = "导出中断，请重新导出"
    return state


def _sweep() -> None:
    """Remove jobs older than KEEP_SECONDS."""
    now = time.time()
    for p in jobs_dir().iterdir():
        try:
            if now - p.stat().st_mtime > KEEP_SECONDS:
                p.unlink()
        except OSError:
            pass


def start_xlsx(user, qs, full: bool, filename: str, total: int | None = None) -> str:
    """Start writing the Excel file; returns the job's token.

    Inside an open transaction (a test, or a caller's atomic block) the job runs here and
    now: a thread has its own connection and would not see the transaction's rows."""
    _sweep()
    token = secrets.token_urlsafe(16)
    total = qs.count() if total is None else total
    names = labels()
    state = {
        "user": user.pk,
        "state": "running",
        "done": 0,
        "total": total,
        "name": filename,
        "error": "",
        "started": time.time(),
        "updated": time.time(),
        "seconds": None,
    }
    _save(token, state)

    def run() -> None:
        t0 = time.perf_counter()

        def progress(done: int) -> None:
            state["done"] = done
            state["updated"] = time.time()
            _save(token, state)

        try:
            tmp = file_path(token).with_suffix(".part")
            with open(tmp, "wb") as f:
                done = write_xlsx(f, qs, full, names, progress)
            os.replace(tmp, file_path(token))
            state.update(state="done", done=done, total=max(total, done))
        except Exception:  # the page shows the failure; the log keeps the trace
            log.exception("people export %s failed", token)
            state.update(state="failed", error="导出失败，请重试或联系管理员")
        state["updated"] = time.time()
        state["seconds"] = round(time.perf_counter() - t0, 2)
        _save(token, state)

    if connection.in_atomic_block:
        run()
    else:

        def threaded() -> None:
            try:
                run()
            finally:
                close_old_connections()
                connection.close()

        threading.Thread(target=threaded, name=f"export-{token[:6]}", daemon=True).start()
    return token
