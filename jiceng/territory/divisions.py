"""Import of the statistical division codes (modood / china-division CSV format).

1. Read and validate every file completely (header, columns, digits, lengths, parent codes);
   any problem stops the import before a single row is written, naming file and line.
2. Keep the rows under the requested code, plus its ancestors so the tree is whole.
3. Compare with what the database holds and write only new rows and changed names, level by
   level (parents first), with bulk writes in batches — a second run changes nothing.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from jiceng.lib import codes, textfile
from jiceng.territory.models import ImportRun, Level, Region, RegionKind

BATCH = 2000

# file -> (level, required columns, parent column)
FILES: list[tuple[str, int, tuple[str, ...], str | None]] = [
    ("provinces.csv", Level.PROVINCE, ("code", "name"), None),
    ("cities.csv", Level.CITY, ("code", "name", "provinceCode"), "provinceCode"),
    ("areas.csv", Level.COUNTY, ("code", "name", "cityCode"), "cityCode"),
    ("streets.csv", Level.STREET, ("code", "name", "areaCode"), "areaCode"),
]
VILLAGE_COLUMNS = ("code", "name", "streetCode")
LEVEL_KEYS = {
    Level.PROVINCE: "province",
    Level.CITY: "city",
    Level.COUNTY: "county",
    Level.STREET: "street",
    Level.VILLAGE: "village",
}
LEVEL_LABELS = {
    "province": "省",
    "city": "市",
    "county": "区县",
    "street": "街道/乡镇",
    "village": "社区/村",
}


@dataclass
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file} 第 {self.line} 行：{self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}


class DivisionImportError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"区划文件有误，未导入任何数据：{shown}{more}")


@dataclass
class Row:
    code: str
    name: str
    level: int
    kind: str


@dataclass
class Result:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    run: ImportRun | None = None

    @property
    def created(self) -> int:
        return sum(c["created"] for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c["updated"] for c in self.counts.values())


def street_kind(name: str) -> str:
    """街道办事处/街道/办事处 → street, …镇 → town, …乡 (incl. 民族乡) → township; else none."""
    if name.endswith(("街道办事处", "街道", "办事处")):
        return RegionKind.STREET
    if name.endswith("镇"):
        return RegionKind.TOWN
    if name.endswith("乡"):
        return RegionKind.TOWNSHIP
    return ""


def village_kind(name: str) -> str:
    """…社区… or a residents' committee (居委会) → community, else village."""
    if "社区" in name or "居委会" in name or "居民委员会" in name:
        return RegionKind.COMMUNITY
    return RegionKind.VILLAGE


def village_name(name: str) -> str:
    """The place, not its committee: 南街社区居委会 → 南街社区, 东南村委会 → 东南村."""
    for suffix, place in (
        ("居民委员会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(place) or base.endswith("社区") else base + place
    return name


def normalise_under(code: str) -> str:
    """'61', '6109', '610921', a 9/12-digit code, or their 12-digit forms → significant code."""
    code = str(code).strip()
    if not codes.is_digits(code):
        raise codes.CodeError(f"区划代码只能由数字组成：{code!r}")
    if len(code) == 12:
        stripped = code.rstrip("0")
        for length in (2, 4, 6, 9, 12):
            if len(stripped) <= length:
                return code[:length]
    if len(code) in (2, 4, 6, 9, 12):
        return code
    raise codes.CodeError(f"区划代码 {code} 的位数不对（应为 2、4、6、9 或 12 位）")


def _read(path: Path, level: int, columns: tuple[str, ...], parent_col: str | None, problems):
    """Every row of one file, checked; problems are collected, not raised."""
    rows: list[tuple[str, str, str | None]] = []
    name = path.name
    length = codes.LEVEL_CODE_LENGTH[level]
    parent_length = codes.LEVEL_CODE_LENGTH.get(level - 1)
    try:
        handle = textfile.open_text(path)  # UTF-8 (BOM or not), UTF-16, GBK/GB18030
    except OSError as exc:
        problems.append(Problem(name, 0, f"无法读取：{exc.strerror or exc}"))
        return rows
    except textfile.TextFileError as exc:
        problems.append(Problem(name, 1, str(exc)))
        return rows
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                problems.append(Problem(name, 1, "文件为空，缺少表头"))
                return rows
            missing = [c for c in columns if c not in header]
            if missing:
                problems.append(Problem(name, 1, f"表头缺少列：{', '.join(missing)}"))
                return rows
            idx = [header.index(c) for c in columns]
            width = len(header)
            for line_no, rec in enumerate(reader, start=2):
                if not rec:
                    continue
                if len(rec) != width:
                    problems.append(
                        Problem(name, line_no, f"列数为 {len(rec)}，应为 {width}（与表头一致）")
                    )
                    continue
                code = rec[idx[0]].strip()
                label = rec[idx[1]].strip()
                if textfile.looks_like_excel_number(code):
                    problems.append(
                        Problem(name, line_no, f"代码 {code}{textfile.NUMBER_CELL_HINT}")
                    )
                    continue
                if not codes.is_digits(code) or len(code) != length:
                    problems.append(Problem(name, line_no, f"代码 {code!r} 不是 {length} 位数字"))
                    continue
                if not label:
                    problems.append(Problem(name, line_no, f"代码 {code} 缺少名称"))
                    continue
                parent = None
                if parent_col:
                    parent = rec[idx[2]].strip()
                    if len(parent) != parent_length or not code.startswith(parent):
                        problems.append(
                            Problem(
                                name,
                                line_no,
                                f"代码 {code} 与上级代码 {parent!r} 不一致",
                            )
                        )
                        continue
                rows.append((code, label, parent))
        except UnicodeDecodeError:
            problems.append(
                Problem(
                    name,
                    reader.line_num + 1,
                    f"此行或其后含有无法识别的字符（文件编码不一致）。{textfile.HOW_TO_SAVE}",
                )
            )
        except csv.Error as exc:
            problems.append(Problem(name, reader.line_num, f"无法解析 CSV：{exc}"))
    return rows


def read_divisions(directory: Path | str, under: str) -> list[Row]:
    """The rows under `under` plus its ancestors, parents before children; or raise."""
    directory = Path(directory)
    under = normalise_under(under)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise DivisionImportError([Problem(str(directory), 0, "目录不存在")])
    wanted = set(codes.ancestors(under))
    keep: list[Row] = []
    for filename, level, columns, parent_col in FILES:
        path = directory / filename
        if not path.exists():
            problems.append(Problem(filename, 0, "缺少此文件"))
            continue
        for code, name, _parent in _read(path, level, columns, parent_col, problems):
            if code.startswith(under) or code in wanted:
                kind = street_kind(name) if level == Level.STREET else ""
                keep.append(Row(code, name, level, kind))
    for path in sorted(directory.glob("villages*.csv")):
        for code, name, _parent in _read(
            path, Level.VILLAGE, VILLAGE_COLUMNS, "streetCode", problems
        ):
            if code.startswith(under):
                keep.append(Row(code, village_name(name), Level.VILLAGE, village_kind(name)))
    if problems:
        raise DivisionImportError(problems)
    present = {r.code for r in keep}
    if under not in present:
        raise DivisionImportError([Problem(str(directory), 0, f"数据中没有代码 {under}")])
    orphans = [
        r for r in keep if r.level > Level.PROVINCE and codes.parent_code(r.code) not in present
    ]
    if orphans:
        raise DivisionImportError(
            [
                Problem(str(directory), 0, f"{r.code} {r.name} 的上级不在数据中")
                for r in orphans[:20]
            ]
        )
    seen: set[str] = set()
    dupes = []
    for r in keep:
        if r.code in seen:
            dupes.append(Problem(str(directory), 0, f"代码 {r.code} 重复"))
        seen.add(r.code)
    if dupes:
        raise DivisionImportError(dupes)
    keep.sort(key=lambda r: (r.level, r.code))
    return keep


def import_divisions(directory: Path | str, under: str, user=None, source: str = "") -> Result:
    """Import (or bring up to date) every division under `under`; records an ImportRun.

    On bad files the ImportRun is recorded as failed with every problem, and
    DivisionImportError is raised; nothing else is written.
    """
    started = time.monotonic()
    source = source or f"{directory} --under {under}"
    try:
        rows = read_divisions(directory, under)
    except (DivisionImportError, codes.CodeError) as exc:
        problems = exc.problems if isinstance(exc, DivisionImportError) else []
        ImportRun.objects.create(
            kind="divisions",
            source=source,
            region_code=under if codes.is_digits(str(under)) else "",
            user=user,
            ok=False,
            finished_at=timezone.now(),
            errors=[p.as_dict() for p in problems]
            or [{"file": "", "line": 0, "message": str(exc)}],
        )
        raise
    result = Result(
        counts={key: {"created": 0, "updated": 0, "unchanged": 0} for key in LEVEL_KEYS.values()}
    )
    with transaction.atomic():
        _write(rows, result)
        result.seconds = time.monotonic() - started
        result.run = ImportRun.objects.create(
            kind="divisions",
            source=source,
            region_code=normalise_under(under),
            user=user,
            ok=True,
            finished_at=timezone.now(),
            counts={**result.counts, "seconds": round(result.seconds, 2)},
        )
    return result


def _write(rows: list[Row], result: Result) -> None:
    codes_wanted = [r.code for r in rows]
    existing: dict[str, tuple[int, str, str, int | None, int]] = {}
    # Prefix queries per top code keep this to a few indexed range scans.
    prefixes = sorted({c[:2] for c in codes_wanted})
    for prefix in prefixes:
        for pk, code, name, kind, pid, level in Region.objects.filter(
            code__under=prefix, level__lte=Level.VILLAGE
        ).values_list("id", "code", "name", "kind", "parent_id", "level"):
            existing[code] = (pk, name, kind, pid, level)
    ids: dict[str, int] = {code: v[0] for code, v in existing.items()}
    # new rows first (rows are sorted parents first), so a changed row's parent has its id
    new = [r for r in rows if r.code not in existing]
    for r in new:
        result.counts[LEVEL_KEYS[Level(r.level)]]["created"] += 1
    _insert(new, ids)
    for level in (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET, Level.VILLAGE):
        counts = result.counts[LEVEL_KEYS[level]]
        changed: list[Region] = []
        for r in rows:
            old = existing.get(r.code)
            if r.level != level or old is None:
                continue
            parent_code = codes.parent_code(r.code)
            parent_id = ids.get(parent_code) if parent_code else None
            if (old[1], old[2], old[3]) != (r.name, r.kind, parent_id):
                changed.append(Region(id=old[0], name=r.name, kind=r.kind, parent_id=parent_id))
            else:
                counts["unchanged"] += 1
        if changed:
            now = timezone.now()
            for obj in changed:
                obj.updated_at = now
            Region.objects.bulk_update(
                changed, ["name", "kind", "parent", "updated_at"], batch_size=BATCH
            )
        counts["updated"] += len(changed)


# Every NOT NULL column of a new division row (the model's defaults, written out: a raw
# insert gets no Django default).
_COLUMNS = (
    "code", "name", "level", "kind", "parent_id", "urban", "dedicated_type", "dedicated_unit",
    "households", "population", "created_at", "updated_at",
)  # fmt: skip


def _insert(new: list[Row], ids: dict[str, int]) -> None:
    """Insert the new divisions (sorted parents first) with plain value rows, not model
    instances (decision 0085): on PostgreSQL the ids come from the table's sequence and all
    rows go in one COPY; elsewhere one executemany per level, then the level's ids are read
    back by code for the next level's parents."""
    if not new:
        return
    now = timezone.now()
    when = Region._meta.get_field("created_at").get_db_prep_save(now, connection)
    table = connection.ops.quote_name(Region._meta.db_table)

    def values(r: Row) -> list:
        parent = codes.parent_code(r.code)
        urban = (r.kind == RegionKind.COMMUNITY) if r.level == Level.VILLAGE else None
        return [r.code, r.name, r.level, r.kind, ids.get(parent) if parent else None, urban,
                "", "", 0, 0, when, when]  # fmt: skip

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(new)],
            )
            for r, (pk,) in zip(new, cur.fetchall(), strict=True):
                ids[r.code] = pk
            columns = ", ".join(("id", *_COLUMNS))
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for r in new:
                    copy.write_row([ids[r.code], *values(r)])
        return
    sql = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
    for level in (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.STREET, Level.VILLAGE):
        batch = [r for r in new if r.level == level]
        if not batch:
            continue
        with connection.cursor() as cur:
            for i in range(0, len(batch), BATCH):
                cur.executemany(sql, [values(r) for r in batch[i : i + BATCH]])
        for i in range(0, len(batch), BATCH):
            ids.update(
                Region.objects.filter(code__in=[r.code for r in batch[i : i + BATCH]]).values_list(
                    "code", "id"
                )
            )
