"""Import of households and residents from Excel (.xlsx) or CSV: one row per resident, the
household columns repeated on each member's row.

1. Read every row (openpyxl read-only for .xlsx; UTF-8 or GB18030 for .csv).
2. Check every row and collect every problem with its line number; nothing is written yet.
3. Look up grids, households and already registered ID numbers in a few batched queries.
4. If any row is bad, stop: the file is imported whole or not at all.
5. Otherwise write in one transaction with bulk inserts/updates, then recompute the colours
   of every household touched (`services.recompute`, the same path as every other write).
Duplicates by ID number: mode "merge" updates the registered person, mode "report" refuses
the row. A person registered outside the importer's territory is always refused.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import scope
from jiceng.lib import exports, textfile
from jiceng.people import bulk, services
from jiceng.people.models import Household, Resident
from jiceng.territory.models import ImportRun, Level, Region

# (header, key, required, example 1, example 2)
COLUMNS = [
    ("户号", "number", True, "HY0001", "HY0001"),
    ("网格代码", "grid_code", True, "610921001001001001001", "610921001001001001001"),
    ("住址", "address", True, "城关镇城关社区3号楼2单元301", "城关镇城关社区3号楼2单元301"),
    ("家庭电话", "household_phone", False, "0915-5212345", ""),
    ("家庭年收入(元)", "annual_income", False, "48000", ""),
    ("平安家庭年数", "safe_family_years", False, "3", ""),
    ("姓名", "name", True, "张明", "李芳"),
    ("与户主关系", "relation", True, "户主", "配偶"),
    ("证件类型", "id_type", False, "居民身份证", "居民身份证"),
    ("证件号码", "id_number", True, "610921198001010018", "610921198203040020"),
    ("人口类型", "kind", False, "户籍人口", "户籍人口"),
    ("联系电话", "phone", False, "13991500001", ""),
    ("民族", "ethnicity", False, "汉族", "汉族"),
    ("中共党员", "party_member", False, "是", "否"),
]
HEADERS = {h: key for h, key, *_ in COLUMNS}
REQUIRED = [h for h, _, req, *_ in COLUMNS if req]
HOUSEHOLD_KEYS = ("grid_code", "address", "household_phone", "annual_income", "safe_family_years")
MAX_ERRORS = 2000


def _choices(enum) -> dict[str, str]:
    out = {}
    for value, label in enum.choices:
        out[value] = value
        out[label] = value
    return out


RELATIONS = _choices(Resident.Relation)
KINDS = _choices(Resident.Kind)
ID_TYPES = _choices(Resident.IdType)
RELATIONS.update({"本人": "head", "妻": "spouse", "夫": "spouse", "子": "child", "女": "child"})
KINDS.update({"户籍": "registered", "流动": "floating", "境外": "overseas"})
ID_TYPES.update({"身份证": "id_card"})
YES = {"是", "1", "true", "yes", "y", "党员"}


@dataclass
class Report:
    ok: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    run_id: int | None = None

    def error(self, line: int, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "reason": reason})
        self.counts["errors"] = self.counts.get("errors", 0) + 1


class FileError(ValueError):
    pass


class NumberCell(str):
    """A cell that was a number in the spreadsheet: an identifier in it cannot be trusted
    (Excel keeps 15 significant digits)."""


# Identifiers that must come from text cells (phones are checked by their own rule: a
# mobile number is exact in a number cell, a landline loses its leading 0 and is refused).
IDENTIFIER_KEYS = ("id_number", "grid_code", "number")


# ---- reading ------------------------------------------------------------------------------


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, int | float) and not isinstance(v, bool):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return NumberCell(str(v))
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


Source = bytes | Path | IO[bytes]
Rows = Iterator[tuple[int, list[str]]]


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    """A binary stream at its start: bytes, a path, or an (uploaded) file that can seek."""
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            yield fh
    else:
        source.seek(0)
        yield source


def read_rows(name: str, fh: IO[bytes]) -> tuple[list[str], Rows]:
    """(header, iterator of (line number, cells)) from an .xlsx or .csv stream.

    Rows are produced one at a time (issue 9 item 14: 200,001 rows read whole peaked at
    932 MB); a FileError may come from the iterator too (a bad byte on line 150,000).
    """
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return _read_xlsx(fh)
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return _read_csv(fh)
    raise FileError("只支持 .xlsx 和 .csv 文件")


def _read_csv(fh: IO[bytes]) -> tuple[list[str], Rows]:
    """UTF-8 (with or without BOM), UTF-16 or GB18030/GBK; comma or tab separated."""
    head = fh.read(textfile.SAMPLE)
    fh.seek(0)
    try:
        codec = textfile.sniff(head)
    except textfile.TextFileError as exc:
        raise FileError(str(exc)) from None
    first = head.decode(codec, errors="ignore").split("\n", 1)[0]
    text = io.TextIOWrapper(fh, encoding=codec, newline="")
    reader = csv.reader(text, delimiter=textfile.delimiter(first))

    def rows() -> Rows:
        try:
            for i, r in enumerate(reader, start=1):
                cells = [_csv_cell(c) for c in r]
                if i == 1:
                    yield 1, cells
                elif any(cells):
                    yield i, cells
        except UnicodeDecodeError:
            raise FileError(
                f"第 {reader.line_num + 1} 行附近含有无法识别的字符（文件编码不一致）。"
                f"{textfile.HOW_TO_SAVE}"
            ) from None
        except csv.Error as exc:
            raise FileError(f"第 {reader.line_num} 行无法解析：{exc}") from None
        finally:
            text.detach()  # the caller owns the binary stream

    it = rows()
    first_row = next(it, None)
    if first_row is None:
        raise FileError("文件是空的")
    return first_row[1], it


def _csv_cell(c: str) -> str:
    c = c.strip()
    # a number cell saved as CSV: 6.10921E+17 (the digits are already lost); only a cell
    # with an exponent can be one, so most cells skip the pattern
    if ("E" in c or "e" in c) and textfile.looks_like_excel_number(c):
        return NumberCell(c)
    return c


def _read_xlsx(fh: IO[bytes]) -> tuple[list[str], Rows]:
    """The first sheet through python-calamine (Rust), row by row."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(fh)
        sheet = wb.get_sheet_by_index(0)
        it = iter(sheet.iter_rows())
        first = next(it, None)
    except Exception as exc:  # a broken or foreign file: calamine raises its own kinds
        raise FileError(f"无法读取 Excel 文件：{exc.__class__.__name__}") from None
    if first is None:
        raise FileError("文件是空的")
    # line numbers as Excel shows them: the used area may start below row 1
    top = (sheet.start or (0, 0))[0] + 1

    def rows() -> Rows:
        for i, row in enumerate(it, start=top + 1):
            cells = [_cell(v) for v in row]
            if any(cells):
                yield i, cells

    return [_cell(v) for v in first], rows()


# ---- checking and writing -----------------------------------------------------------------


def run(user, name: str, data: Source, mode: str = "report", dry_run: bool = False) -> Report:
    """Import a file for `user` (scope and role checked). Never raises for bad content.

    Two passes over the stream, whole or nothing: the first checks every row and keeps only
    what cross-row rules need (households, ID hashes, line numbers); the second, only when
    nothing is wrong, cleans each row again and writes in chunks inside one transaction.
    """
    scope.require(user, "people.import")
    if mode not in ("report", "merge"):
        raise ValidationError("重复处理方式只能是 report（报告）或 merge（合并更新）")
    started = time.perf_counter()
    report = Report()
    with _opened(data) as fh:
        try:
            header, rows = read_rows(name, fh)
            missing = [h for h in REQUIRED if h not in header]
            if missing:
                report.error(1, f"缺少必填列：{'、'.join(missing)}（请使用下载的模板）")
                return _finish(report, user, name, started)
            index = {HEADERS[h]: i for i, h in enumerate(header) if h in HEADERS}
            plan = _check(user, rows, index, mode, report)
        except FileError as exc:
            report.error(0 if not report.rows else report.rows + 1, str(exc))
            return _finish(report, user, name, started)
        if not report.rows and not report.errors:
            report.error(2, "文件中没有数据行")
        if report.errors or dry_run:
            return _finish(report, user, name, started)
        if plan.kept is not None:
            with transaction.atomic():
                _write(user, plan, iter(plan.kept), report)
        else:
            with _opened(data) as again, transaction.atomic():
                _, rows = read_rows(name, again)
                plain = _plain_choices()
                cleaned = (_compact(_clean_row(cells, index, line, plain)) for line, cells in rows)
                _write(user, plan, cleaned, report)
    report.ok = True
    return _finish(report, user, name, started)


def _finish(report: Report, user, name: str, started: float) -> Report:
    report.seconds = round(time.perf_counter() - started, 2)
    run = ImportRun.objects.create(
        kind="residents",
        source=name[:500],
        user=user,
        finished_at=timezone.now(),
        ok=report.ok,
        counts={**report.counts, "rows": report.rows, "seconds": report.seconds},
        errors=report.errors,
    )
    report.run_id = run.id
    return report


@dataclass
class _Plan:
    households: dict[str, dict] = field(default_factory=dict)  # number -> fields
    # per row, only what the checks after the first pass need: (line, grid, number, id hash)
    rows: list[tuple[int, str, str, str]] = field(default_factory=list)
    existing_households: dict[str, Household] = field(default_factory=dict)
    existing_residents: dict[str, tuple[int, int | None, str]] = field(default_factory=dict)
    grids: dict[str, Region] = field(default_factory=dict)
    # the cleaned rows of a file of up to KEEP_ROWS rows, ready to write (None: read again)
    kept: list[tuple] | None = field(default_factory=list)


class _RowError(Exception):
    pass


def _clean_row(
    cells: list[str],
    index: dict[str, int],
    line: int,
    plain: tuple[dict[str, str], dict[str, str], dict[str, str]] | None = None,
) -> dict:
    """One row's values, cleaned; _RowError with the row's reasons (Chinese).

    `plain`: the relation, kind and ID-type choices as plain texts (`_plain_choices()`),
    resolved once per file by the caller (the active language is looked up once, not three
    times a row)."""
    relations, kinds, id_types = plain or _plain_choices()

    def get(key: str) -> str:
        i = index.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    r: dict[str, Any] = {key: get(key) for key in HEADERS.values()}
    r["line"] = line
    problems = [f"“{h}”不能为空" for h in REQUIRED if not r[HEADERS[h]]]
    if problems:
        raise _RowError("；".join(problems))
    numbers = [_label(k) for k in IDENTIFIER_KEYS if isinstance(r[k], NumberCell) and r[k]]
    if numbers:
        raise _RowError("；".join(f"“{h}”{textfile.NUMBER_CELL_HINT}" for h in numbers))
    # Every field is checked on its own, so a row with a bad ID and a bad phone reports
    # both (issue 17 item 12), not only the first.
    errors: list[str] = []

    def check(fn) -> None:
        try:
            fn()
        except ValidationError as exc:
            errors.extend(exc.messages)

    def document() -> None:
        num, born, sex = services.clean_document(r["id_type"], r["id_number"])
        r.update(id_number=num, birth_date=born, sex=sex)

    def years() -> None:
        y = r["safe_family_years"] or "0"
        if not y.isdigit() or int(y) > 100:
            raise ValidationError(f"平安家庭年数 {y} 应为 0–100 的整数")
        r["safe_family_years"] = int(y)

    def name() -> None:
        if len(r["name"]) > 50:
            raise ValidationError("姓名超过50字")

    def put(key: str, fn) -> None:
        r[key] = fn(r[key])

    check(lambda: put("relation", lambda v: _pick(relations, v, "与户主关系")))
    check(lambda: put("kind", lambda v: _pick(kinds, v or "registered", "人口类型")))
    check(lambda: put("id_type", lambda v: _pick(id_types, v or "id_card", "证件类型")))
    if not any("证件类型" in e for e in errors):
        check(document)
    check(lambda: put("phone", services.clean_phone))
    check(lambda: put("household_phone", services.clean_phone))
    check(lambda: put("annual_income", services.clean_money))
    check(years)
    check(name)
    r["party_member"] = r["party_member"].lower() in YES
    if errors:
        raise _RowError("；".join(errors))
    number = r["id_number"]
    r["id_hash"] = services.id_hash(r["id_type"], number)
    return r


# A file of up to KEEP_ROWS rows keeps its cleaned rows from the check for the write
# (≈ 600 bytes a row: 60 MB at most) instead of reading and cleaning every row again;
# a larger file is read twice, in constant memory (issue 9 item 14).
KEEP_ROWS = 100_000
_WRITE_KEYS = (
    "number", "relation", "grid_code", "name", "id_type", "id_number", "sex", "birth_date",
    "ethnicity", "kind", "phone", "address", "party_member", "id_hash",
)  # fmt: skip


def _compact(r: dict) -> tuple:
    return tuple([r[k] for k in _WRITE_KEYS])


def _check(user, rows: Rows, index, mode, report: Report) -> _Plan:
    plan = _Plan()
    seen_ids: dict[str, int] = {}
    grid_codes: set[str] = set()
    hh_lines: dict[str, int] = {}
    plain = _plain_choices()
    for line, cells in rows:
        report.rows += 1
        try:
            r = _clean_row(cells, index, line, plain)
        except _RowError as exc:
            report.error(line, str(exc))
            continue
        if r["id_hash"] in seen_ids:
            report.error(line, f"证件号码与第{seen_ids[r['id_hash']]}行重复")
            continue
        seen_ids[r["id_hash"]] = line
        hh = plan.households.get(r["number"])
        fields = {k: r[k] for k in HOUSEHOLD_KEYS}
        if hh is None:
            plan.households[r["number"]] = fields
            hh_lines[r["number"]] = line
        else:
            # later rows may leave household columns empty; what they give must agree
            clash = next(
                (
                    k
                    for k in HOUSEHOLD_KEYS
                    if r[k] not in ("", None, 0) and hh[k] not in ("", None, 0) and r[k] != hh[k]
                ),
                None,
            )
            if clash:
                report.error(
                    line,
                    f"户号 {r['number']} 的“{_label(clash)}”与第{hh_lines[r['number']]}行不一致",
                )
                continue
            for k in HOUSEHOLD_KEYS:
                if r[k] not in ("", None, 0) and hh[k] in ("", None, 0):
                    hh[k] = r[k]
        grid = sys.intern(r["grid_code"])
        grid_codes.add(grid)
        plan.rows.append((line, grid, r["number"], r["id_hash"]))
        if plan.kept is not None:
            if report.errors or len(plan.kept) >= KEEP_ROWS:
                plan.kept = None  # nothing will be written, or too many to hold
            else:
                plan.kept.append(_compact(r))

    # grids: one query
    for g in Region.objects.filter(code__in=list(grid_codes), level__gte=Level.GRID):
        if scope.can_see_code(user, g.code):
            plan.grids[g.code] = g
    bad_grids = grid_codes - set(plan.grids)
    # existing households and people: batched
    for known in _known_households(list(plan.households)):
        plan.existing_households[known.number] = known
    for rid, hsh, hid, code in _registered(list(seen_ids)):
        plan.existing_residents[hsh] = (rid, hid, code)
    for line, grid, number, id_hash in plan.rows:
        if grid in bad_grids:
            report.error(line, f"网格代码 {grid} 不存在或不在您的管辖范围内")
            continue
        existing_h = plan.existing_households.get(number)
        if existing_h is not None and not scope.can_see_code(user, existing_h.grid_code):
            report.error(line, f"户号 {number} 已被其他辖区使用")
            continue
        found = plan.existing_residents.get(id_hash)
        if found is not None:
            if mode == "report":
                report.error(line, "证件号码已登记（如需更新请选择“合并更新”）")
            elif not scope.can_see_code(user, found[2]):
                report.error(line, "此人已在其他辖区登记，请联系其所在辖区迁移")
    plan.rows = []  # the second pass reads the file again
    return plan


def _known_households(numbers: list[str]) -> Iterator[Household]:
    """The households already registered under `numbers`. On PostgreSQL their ids first by
    one array parameter (`= ANY(%s)`, the unique index on number), then the rows of those
    found only — a file of new households costs one query instead of an IN list of 5,000
    placeholders per chunk (decision 0094)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Household._meta.db_table)
        with connection.cursor() as c:
            c.execute(f"SELECT id FROM {table} WHERE number = ANY(%s)", [numbers])
            found = [r[0] for r in c.fetchall()]
        for chunk in services.chunks(found):
            yield from Household.objects.filter(id__in=chunk)
        return
    for chunk in services.chunks(numbers):
        yield from Household.objects.filter(number__in=chunk)


def _registered(hashes: list[str]) -> Iterator[tuple[int, str, int | None, str]]:
    """(id, id_hash, household_id, grid_code) of the residents registered under `hashes`.

    On PostgreSQL one array parameter per 20,000 hashes (`= ANY(%s)`, the unique index
    serves it): an IN list of 5,000 placeholders costs psycopg a Python parse of the
    statement each time. Elsewhere the ORM's IN, 5,000 at a time."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT id, id_hash, household_id, grid_code FROM "
            f"{connection.ops.quote_name(Resident._meta.db_table)} WHERE id_hash = ANY(%s)"
        )
        with connection.cursor() as c:
            for chunk in services.chunks(hashes, 20_000):
                c.execute(sql, [chunk])
                yield from c.fetchall()
        return
    for chunk in services.chunks(hashes):
        yield from Resident.objects.filter(id_hash__in=chunk).values_list(
            "id", "id_hash", "household_id", "grid_code"
        )


def _label(key: str) -> str:
    return next(
        h for h, k, *_ in COLUMNS if k == key or (key == "household_phone" and h == "家庭电话")
    )


_PLAIN: dict[tuple[int, str], dict[str, str]] = {}


def _plain(choices: dict[str, str]) -> dict[str, str]:
    """The choices with their (lazy, translated) labels as plain texts of the active
    language, made once per language: a lookup among lazy keys compares each through
    `__proxy__.__eq__`, a good share of an import's time."""
    key = (id(choices), translation.get_language() or "")
    plain = _PLAIN.get(key)
    if plain is None:
        plain = _PLAIN[key] = {str(k): v for k, v in choices.items()}
    return plain


def _plain_choices() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Relations, kinds and ID types as plain texts of the active language."""
    return _plain(RELATIONS), _plain(KINDS), _plain(ID_TYPES)


def _pick(plain: dict[str, str], raw: str, label: str) -> str:
    """The stored value of a choice given by value or label (`plain`: `_plain(choices)`)."""
    value = plain.get(raw.strip())
    if value is None:
        raise ValidationError(f"{label}“{raw}”不正确")
    return value


RESIDENT_UPDATE_FIELDS = [
    "household",
    "relation",
    "grid",
    "grid_code",
    "name",
    "id_type",
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "kind",
    "phone",
    "phone_hash",
    "address",
    "party_member",
    "updated_at",
]


HOUSEHOLD_INSERT_FIELDS = [
    "number",
    "grid",
    "grid_code",
    "address",
    "phone",
    "annual_income",
    "safe_family_years",
    "members_count",
    "colour",
    "colour_reasons",
    "note",
    "created_at",
    "updated_at",
]
HOUSEHOLD_UPDATE_FIELDS = [
    "grid",
    "grid_code",
    "address",
    "phone",
    "annual_income",
    "safe_family_years",
    "updated_at",
]
RESIDENT_INSERT_FIELDS = [
    *RESIDENT_UPDATE_FIELDS,
    "id_hash",
    "created_at",
    "nationality",
    "occupation",
    "note",
]


def _write(user, plan: _Plan, rows: Iterator[tuple], report: Report) -> None:
    """Write the cleaned rows (`_compact` tuples, checked clean in the first pass).

    Households first (new ones with ids drawn from the table's sequence on PostgreSQL, so
    no read-back), then the residents streamed to one COPY (PostgreSQL) or executemany
    (SQLite), then `services.recompute` of every household touched — the colour history
    and member counts as on every other write path (decision 0083). On PostgreSQL the new
    households are written by the recompute, once, with their final count and colour
    (their residents go first: the foreign keys are checked at commit; decision 0094)."""
    now = timezone.now()
    when = bulk.prepare(Household, "updated_at", now)  # the same value on every row
    new_h: list[list] = []
    upd_h: list[list] = []
    for number, f in plan.households.items():
        grid = plan.grids[f["grid_code"]]
        values = [
            grid.id,
            grid.code,
            f["address"][:200],
            f["household_phone"] or "",
            f["annual_income"],
            f["safe_family_years"] or 0,
        ]
        h = plan.existing_households.get(number)
        if h is None:
            new_h.append([number, *values, 0, "", [], "", when, when])
        else:
            upd_h.append([*values, when, h.id])
    ids = {h.number: h.id for h in plan.existing_households.values()}
    fresh = bulk.allocate_ids(Household, len(new_h))
    pending: list[Household] = []
    if fresh is not None:
        # not written yet: services.recompute inserts them with their final count and colour
        pending = [
            Household(
                id=pk,
                number=row[0],
                grid_id=row[1],
                grid_code=row[2],
                annual_income=row[5],
                safe_family_years=row[6],
            )
            for pk, row in zip(fresh, new_h, strict=True)
        ]
        ids.update((row[0], pk) for pk, row in zip(fresh, new_h, strict=True))
    else:
        bulk.insert(
            Household, HOUSEHOLD_INSERT_FIELDS, new_h, prepared=("created_at", "updated_at")
        )
        for chunk in services.chunks([row[0] for row in new_h]):
            ids.update(Household.objects.filter(number__in=chunk).values_list("number", "id"))
    bulk.update_rows(Household, HOUSEHOLD_UPDATE_FIELDS, upd_h, prepared=("updated_at",))
    affected = set(ids.values())
    upd_r: list[list] = []
    grids = {code: (g.id, g.code) for code, g in plan.grids.items()}
    phone_hash = services.phone_hash
    existing = plan.existing_residents

    def new_rows() -> Iterator[list]:
        for (
            number,
            relation,
            grid_code,
            name,
            id_type,
            id_number,
            sex,
            birth_date,
            ethnicity,
            kind,
            phone,
            address,
            party_member,
            id_hash,
        ) in rows:
            grid_id, code = grids[grid_code]
            row = [
                ids[number],
                relation,
                grid_id,
                code,
                name,
                id_type,
                id_number,
                sex,
                birth_date,
                ethnicity or "汉族",
                kind,
                phone,
                phone_hash(phone),
                address[:200],
                party_member,
                when,
            ]
            found = existing.get(id_hash)
            if found is None:
                yield [*row, id_hash, when, "", "", ""]
            else:
                rid, old_hid, _ = found
                if old_hid:
                    affected.add(old_hid)
                upd_r.append([*row, rid])

    created = bulk.insert(
        Resident, RESIDENT_INSERT_FIELDS, new_rows(), prepared=("updated_at", "created_at")
    )
    updated = bulk.update_rows(Resident, RESIDENT_UPDATE_FIELDS, upd_r, prepared=("updated_at",))

    def insert_new(households: Sequence[Household]) -> None:
        # HOUSEHOLD_INSERT_FIELDS with the recompute's count, colour and reasons, + colour_at
        bulk.insert(
            Household,
            ["id", *HOUSEHOLD_INSERT_FIELDS, "colour_at"],
            (
                [
                    h.id,
                    *row[:7],
                    h.members_count,
                    h.colour,
                    h.colour_reasons,
                    *row[10:],
                    h.colour_at,
                ]
                for h, row in zip(households, new_h, strict=True)
            ),
            prepared=("created_at", "updated_at"),
        )

    changed = services.recompute(affected, "import", user, new=pending, insert_new=insert_new)
    report.counts.update(
        households_created=len(new_h),
        households_updated=len(upd_h),
        residents_created=created,
        residents_updated=updated,
        colour_changes=changed,
    )


# ---- templates ----------------------------------------------------------------------------


def _listing(choices: list[tuple[str, Any]]) -> str:
    """The choice labels as one list in the active language (evaluated when shown)."""
    return lazy(lambda: str(_("、")).join(str(label) for _v, label in choices), str)()


# Column headers stay Chinese (they are the file's format); the notes are translated on the
# page and written in Chinese into the template file (see template_xlsx).
NOTES = [
    ("户号", _("同一户的成员填写相同户号；户号在全县唯一")),
    ("网格代码", _("三级网格的完整代码，可在“网格”页面查到；只能导入本人辖区内的网格")),
    ("与户主关系", _listing(Resident.Relation.choices)),
    (
        "证件类型",
        format_lazy(
            "{}{}",
            _listing(Resident.IdType.choices),
            _("；留空为居民身份证"),
        ),
    ),
    (
        "证件号码",
        _("居民身份证校验出生日期和末位校验码；请将该列设为“文本”格式以免末位X或精度丢失"),
    ),
    (
        "人口类型",
        format_lazy("{}{}", _listing(Resident.Kind.choices), _("；留空为户籍人口")),
    ),
    ("联系电话", _("手机11位，或固话如 0915-5212345")),
    ("家庭年收入(元)", _("用于计算人均收入与本村平均之比（三色分类）")),
    ("重复", _("证件号码已登记时：选择“报告”则该行报错，选择“合并更新”则更新此人信息")),
]


def sample_grid(user) -> tuple[str, str]:
    """(code, name) of a grid this user may import into — the sample rows of the template
    name a grid that exists in this installation (issue 17 item 12), not a made-up code.
    The first deepest grid of the user's territory; the column's example if there is none."""
    code = scope.scope_code(user) if user is not None else None
    qs = Region.objects.filter(level=Level.GRID)
    if code is not None:
        qs = qs.filter(code__under=code)
    elif not getattr(user, "is_superuser", False):
        return COLUMNS[1][3], ""
    leaf = qs.filter(children__isnull=True).order_by("code").values("code", "name").first()
    return (leaf["code"], leaf["name"]) if leaf else (COLUMNS[1][3], "")


def _sample_rows(user) -> list[list[str]]:
    code, name = sample_grid(user)
    rows = [[c[3] for c in COLUMNS], [c[4] for c in COLUMNS]]
    for row in rows:
        row[1] = code
        if name:
            row[2] = f"{name}3号楼2单元301"
    return rows


def template_csv(user=None) -> bytes:
    out = io.StringIO()
    w = exports.csv_writer(out)
    w.writerow([h for h, *_ in COLUMNS])
    for row in _sample_rows(user):
        w.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def template_xlsx(user=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "居民"
    ws.append([h for h, *_ in COLUMNS])
    for values in _sample_rows(user):
        ws.append(exports.xlsx_row(ws, values))
    for i, (_h, key, req, *_rest) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="B91C1C" if req else "000000")
        ws.column_dimensions[cell.column_letter].width = (
            22 if key in ("grid_code", "id_number", "address") else 14
        )
        if key in ("id_number", "phone", "household_phone", "grid_code", "number"):
            for r in range(2, 1000):
                ws.cell(row=r, column=i).number_format = "@"
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    notes.append(["红色列名", "必填"])
    with translation.override(settings.LANGUAGE_CODE):
        for n in NOTES:
            notes.append(exports.xlsx_row(notes, [str(x) for x in n]))
    notes.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(stream: IO[str], rows) -> None:
    w = exports.csv_writer(stream)
    w.writerow([h for h, *_ in COLUMNS])
    for row in rows:
        w.writerow(row)
