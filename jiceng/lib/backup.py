"""`jiceng backup` and `jiceng restore`: the database, the media folder and a manifest in
one .tar.gz, restored exactly (issue 9 item 16; docs/operations.md).

- PostgreSQL: `pg_dump --format=custom` (the database's own tool: consistent snapshot
  while the platform runs), restored with `pg_restore --clean --if-exists --no-owner
  --single-transaction` (all or nothing).
- SQLite: its online backup API (`sqlite3.Connection.backup`), a consistent copy while the
  platform runs; restored through the same API page by page into the configured file.
- The media folder (photos, attachments) as files.
- manifest.json: when, which engine, the applied migrations, the row count of every table,
  and fingerprints (never the values) of the keys the data depends on. A restore refuses an
  archive made with another JICENG_PII_KEY (ID-number searches would find nothing) unless
  told to go on, and compares every table's row count after restoring.

The keys are not in the archive — keep them apart from it, as the command reminds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
DB_SQLITE = "database.sqlite3"
DB_PG = "database.pgdump"
KEYS_TO_KEEP = [
    (
        "JICENG_PII_KEY",
        "居民证件号码、电话的检索密钥：丢失后已登记的号码再也查不到（数据本身不丢失，但无法按号码查找）",
    ),
    ("JICENG_SECRET_KEY", "会话与签名密钥；未设置 JICENG_PII_KEY 时也是检索密钥"),
    ("DATABASE_URL", "PostgreSQL 的地址和口令（使用 PostgreSQL 时）"),
    ("JICENG_SMS_TOKEN", "短信网关的令牌（若使用 HTTP 短信网关）"),
]


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message is Chinese."""


@dataclass
class RestoreResult:
    tables: int
    rows: int
    media_files: int
    mismatched: list[str]


def fingerprint(value: str) -> str:
    """A short hash that tells two keys apart without revealing them."""
    return hashlib.sha256(("jiceng-backup:" + value).encode()).hexdigest()[:16] if value else ""


def key_fingerprints() -> dict[str, str]:
    pii = getattr(settings, "JICENG_PII_KEY", "") or settings.SECRET_KEY
    return {"pii_key": fingerprint(pii), "secret_key": fingerprint(settings.SECRET_KEY)}


def table_counts() -> dict[str, int]:
    """Rows per table of every installed model (and the migration table)."""
    out: dict[str, int] = {}
    with connection.cursor() as cur:
        tables = set(connection.introspection.table_names(cur))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in tables and table not in out and model._meta.managed:
                cur.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - known names
                out[table] = int(cur.fetchone()[0])
    return dict(sorted(out.items()))


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库：{vendor}")
    return vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connections["default"].settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args + ["--dbname", str(db["NAME"])], env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"找不到 {cmd[0]}：请安装 PostgreSQL 客户端工具（postgresql-client）")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{cmd[0]} 失败：{proc.stderr.strip()[:500]}")


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output` (a .tar.gz file); returns the manifest."""
    engine = _engine()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jiceng-backup-") as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            connection.ensure_connection()
            dest = sqlite3.connect(work / DB_SQLITE)
            try:
                connection.connection.backup(dest)  # type: ignore[union-attr]
            finally:
                dest.close()
            db_file = DB_SQLITE
        else:
            args, env = _pg_env()
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(work / DB_PG), *args],
                env,
            )
            db_file = DB_PG
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "engine": engine,
            "database": db_file,
            "migrations": sorted(
                f"{a}.{n}" for a, n in MigrationRecorder(connection).applied_migrations()
            ),
            "tables": table_counts(),
            "keys": key_fingerprints(),
        }
        (work / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        part = output.with_name(output.name + ".part")
        with tarfile.open(part, "w:gz", compresslevel=6) as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(work / db_file, arcname=db_file)
            media = _media_root()
            if media.is_dir():
                tar.add(media, arcname="media")
        part.replace(output)  # a half-written archive never carries the final name
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            f = tar.extractfile("manifest.json")
            if f is None:
                raise KeyError
            return json.loads(f.read().decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive} 不是 jiceng 备份文件（{exc.__class__.__name__}）") from None


def restore(archive: Path, *, ignore_key_mismatch: bool = False) -> RestoreResult:
    """Replace the database and the media folder with the archive's; verify row counts.

    Stop the server and worker first: the database is replaced under them.
    """
    archive = Path(archive)
    manifest = read_manifest(archive)
    engine = _engine()
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持")
    if manifest["engine"] != engine:
        raise BackupError(
            f"这是 {manifest['engine']} 数据库的备份，当前配置的是 {engine}；"
            "请配置相同类型的数据库再恢复"
        )
    if manifest["keys"]["pii_key"] != key_fingerprints()["pii_key"] and not ignore_key_mismatch:
        raise BackupError(
            "当前的 JICENG_PII_KEY（或未设置时的 JICENG_SECRET_KEY）与备份时不同：恢复后将无法按"
            "证件号码、电话查找居民。请先设置备份时的密钥；确需继续请加 --ignore-key-mismatch"
        )
    with tempfile.TemporaryDirectory(prefix="jiceng-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        db_file = work / manifest["database"]
        if engine == "sqlite":
            connection.ensure_connection()
            src = sqlite3.connect(db_file)
            try:
                src.backup(connection.connection)  # type: ignore[arg-type]
            finally:
                src.close()
        else:
            connections.close_all()  # pooled connections would hold locks on the tables
            args, env = _pg_env()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    *args,
                    str(db_file),
                ],
                env,
            )
        media_files = 0
        src_media = work / "media"
        if src_media.is_dir():
            dest = _media_root()
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(src_media, dest)
            media_files = sum(1 for p in dest.rglob("*") if p.is_file())
    counts = table_counts()
    expected = manifest["tables"]
    mismatched = [
        f"{t}: 备份 {n}，恢复后 {counts.get(t)}" for t, n in expected.items() if counts.get(t) != n
    ]
    return RestoreResult(len(expected), sum(expected.values()), media_files, mismatched)
