"""Versioned model files: `<DATA_DIR>/dispatch/<county>/v0001.pkl` + `manifest.json`.

The newest version is the one in use (`current`); older ones stay until pruned (the last
`KEEP` are kept) so that a bad retrain can be rolled back by deleting the newest file.
Files are written to a temporary name and renamed (a half-written model is never read).
Pickles are only ever read from this directory, which only jiceng writes.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from jiceng.dispatch.classifier import Model

KEEP = 5
_cache: dict[str, tuple[float, Model]] = {}
_lock = threading.Lock()


class NoModel(LookupError):
    """No model trained yet for this county."""


def _safe(key: str) -> str:
    return "".join(ch for ch in key if ch.isalnum() or ch in "-_") or "default"


def model_dir(county: str = "") -> Path:
    base = Path(getattr(settings, "JICENG_DISPATCH_DIR", "") or settings.DATA_DIR / "dispatch")
    return base / _safe(county or "default")


def manifest(county: str = "") -> dict:
    p = model_dir(county) / "manifest.json"
    if not p.is_file():
        return {"versions": []}
    return json.loads(p.read_text(encoding="utf-8"))


def _write_json(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def save(model: Model, county: str = "", *, source: str = "", metrics: dict | None = None) -> dict:
    """Store `model` as the next version; returns its manifest entry."""
    d = model_dir(county)
    d.mkdir(parents=True, exist_ok=True)
    m = manifest(county)
    number = max((v["version"] for v in m["versions"]), default=0) + 1
    name = f"v{number:04d}.pkl"
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, d / name)
    entry = {
        "version": number,
        "file": name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "size_bytes": (d / name).stat().st_size,
        "info": model.info,
        "metrics": metrics or {},
    }
    m["versions"].append(entry)
    for old in m["versions"][:-KEEP]:
        (d / old["file"]).unlink(missing_ok=True)
    m["versions"] = m["versions"][-KEEP:]
    _write_json(d / "manifest.json", m)
    return entry


def current_entry(county: str = "") -> dict | None:
    vs = manifest(county)["versions"]
    return vs[-1] if vs else None


def load(county: str = "") -> Model:
    """The county's newest model (cached in the process until the file changes)."""
    entry = current_entry(county)
    if entry is None and county:
        entry = current_entry("")  # a model trained for no county in particular
        county = "" if entry else county
    if entry is None:
        raise NoModel("尚未训练分类模型：请先运行 `jiceng routing train`")
    path = model_dir(county) / entry["file"]
    key = str(path)
    mtime = path.stat().st_mtime
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    with open(path, "rb") as fh:
        model = pickle.load(fh)  # noqa: S301 — our own data directory only
    model.info["version"] = entry["version"]
    model.segmenter.tokens("预热")  # load jieba's dictionary now, not on the first request
    with _lock:
        _cache.clear()
        _cache[key] = (mtime, model)
    return model
