"""Versioned model files: `<DATA_DIR>/dispatch/<county>/v0001.pkl` + `manifest.json`.

The newest version is the one in use (`current`); older ones stay until pruned (the last
`KEEP` are kept) so that a bad retrain can be rolled back by deleting the newest file.
Files are written to a temporary name and renamed (a half-written model is never read).
Pickles are only ever read from this directory, which only jiceng writes.

Beside each pickle its serving arrays `vNNNN.npz` (`scorer.save`): `load` reads those when
they are there — numpy only, no scikit-learn, SciPy or jieba in a server that suggests —
and the pickle otherwise (models saved before, or with jieba word features); `load_full`
always reads the pickle, for what needs the trained vectorisers (decision 0093).
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from jiceng.dispatch import scorer

if TYPE_CHECKING:
    from jiceng.dispatch.classifier import Model

KEEP = 5
_cache: dict[str, tuple[float, scorer.Suggesting]] = {}
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
    serving = f"v{number:04d}.npz"
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
    os.close(fd)
    if scorer.save(model, Path(tmp)):
        os.replace(tmp, d / serving)
    else:
        os.unlink(tmp)
        serving = ""
    entry = {
        "version": number,
        "file": name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "size_bytes": (d / name).stat().st_size,
        "serving": serving,
        "info": model.info,
        "metrics": metrics or {},
    }
    m["versions"].append(entry)
    for old in m["versions"][:-KEEP]:
        (d / old["file"]).unlink(missing_ok=True)
        if old.get("serving"):
            (d / old["serving"]).unlink(missing_ok=True)
    m["versions"] = m["versions"][-KEEP:]
    _write_json(d / "manifest.json", m)
    return entry


def current_entry(county: str = "") -> dict | None:
    vs = manifest(county)["versions"]
    return vs[-1] if vs else None


def _entry(county: str) -> tuple[str, dict]:
    entry = current_entry(county)
    if entry is None and county:
        entry = current_entry("")  # a model trained for no county in particular
        county = "" if entry else county
    if entry is None:
        raise NoModel("尚未训练分类模型：请先运行 `jiceng routing train`")
    return county, entry


def _read(path: Path, read):
    key = str(path)
    mtime = path.stat().st_mtime
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    model = read(path)
    with _lock:
        _cache.clear()
        _cache[key] = (mtime, model)
    return model


def _read_pickle(path: Path) -> Model:
    with open(path, "rb") as fh:
        model = pickle.load(fh)  # noqa: S301 — our own data directory only
    if model.word_vec is not None:
        model.segmenter.tokens("预热")  # jieba's dictionary now, not on the first request
    return model


def load(county: str = "") -> scorer.Suggesting:
    """The county's newest model for suggesting (cached in the process until the file
    changes): its serving arrays when saved with them (a `scorer.ServingModel`), else the
    pickled `classifier.Model`. Both have `suggest`, `predict_many`, `classes`, `info`,
    `segmenter`."""
    county, entry = _entry(county)
    d = model_dir(county)
    serving = entry.get("serving")
    if serving and (d / serving).is_file():
        model = _read(d / serving, scorer.load)
    else:
        model = _read(d / entry["file"], _read_pickle)
    model.info["version"] = entry["version"]
    return model


def load_full(county: str = "") -> Model:
    """The county's newest trained `classifier.Model` from its pickle (scikit-learn's
    vectorisers and SVM: for evaluation against scikit-learn and tests)."""
    county, entry = _entry(county)
    model = _read(model_dir(county) / entry["file"], _read_pickle)
    model.info["version"] = entry["version"]
    return model
