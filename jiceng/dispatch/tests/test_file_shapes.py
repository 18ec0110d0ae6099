"""Every plausible shape of a file handed to `routing classify` / `routing evaluate --test`
(issue 16: "messages kept apart from the team will be classified with classify").

Table-driven: each case writes one file (generated here from the project's own fixture
texts) and says what must happen — the same answers as the plain `id,subject,body` file, or a
clear error. The last tests run the real `jiceng` console command in a subprocess: exit code
and stderr, never a traceback.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiceng.dispatch import files
from jiceng.dispatch.files import OUTPUT_COLUMNS

from .conftest import FIXTURES

# (id, subject, body, category) — the fixture's own texts, categories as labelled
ROWS: list[tuple[str, str, str, str]] = [
    (r["id"], r["subject"], r["body"], r["category"])
    for r in csv.DictReader((FIXTURES / "labelled.csv").open(encoding="utf-8"))
][::4]
CATS = sorted({r[3] for r in ROWS})


def _csv(header: list[str], rows: list[list[str]], *, delimiter: str = ",", crlf: bool = False):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _plain() -> str:
    return _csv(["id", "subject", "body"], [[i, s, b] for i, s, b, _ in ROWS])


def _xlsx(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _wrong(c: str) -> str:
    """Another category than the label: the classify answer must not move."""
    return CATS[(CATS.index(c) + 1) % len(CATS)]


# name → (file name, bytes). Every one must give the same top three as _plain().
SAME_ANSWERS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "plain id,subject,body": ("in.csv", lambda: _plain().encode()),
    "labelled-train shape, categories wrong (never read)": (
        "in.csv",
        lambda: _csv(
            ["id", "user", "subject", "time", "body", "category"],
            [[i, "A0001", s, "2020/1/7 21:31:53", b, _wrong(c)] for i, s, b, c in ROWS],
        ).encode(),
    ),
    "extra columns, another order": (
        "in.csv",
        lambda: _csv(
            ["likes", "body", "reply_time", "id", "x", "subject"],
            [["3", b, "", i, "?", s] for i, s, b, _ in ROWS],
        ).encode(),
    ),
    "UTF-8 with BOM": ("in.csv", lambda: b"\xef\xbb\xbf" + _plain().encode()),
    "GBK (Excel's CSV on Chinese Windows)": ("in.csv", lambda: _plain().encode("gbk")),
    "GB18030": ("in.csv", lambda: _plain().encode("gb18030")),
    "CRLF line ends": (
        "in.csv",
        lambda: _csv(
            ["id", "subject", "body"], [[i, s, b] for i, s, b, _ in ROWS], crlf=True
        ).encode(),
    ),
    "CR line ends": ("in.csv", lambda: _plain().replace("\n", "\r").encode()),
    "UTF-16 tab-separated (Excel's Unicode text)": (
        "in.txt",
        lambda: _csv(
            ["id", "subject", "body"], [[i, s, b] for i, s, b, _ in ROWS], delimiter="\t"
        ).encode("utf-16"),
    ),
    "UTF-16 LE without BOM": ("in.csv", lambda: _plain().encode("utf-16-le")),
    "semicolon-separated": (
        "in.csv",
        lambda: _csv(
            ["id", "subject", "body"], [[i, s, b] for i, s, b, _ in ROWS], delimiter=";"
        ).encode(),
    ),
    "header names in capitals, with spaces": (
        "in.csv",
        lambda: _csv([" ID", "Subject ", "BODY"], [[i, s, b] for i, s, b, _ in ROWS]).encode(),
    ),
    "the competition's Chinese headers": (
        "in.csv",
        lambda: _csv(
            ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"],
            [[i, "u", s, "t", b, _wrong(c)] for i, s, b, c in ROWS],
        ).encode("gb18030"),
    ),
    "blank lines and empty trailing rows": (
        "in.csv",
        lambda: ("\n" + _plain().replace("\n", "\n\n", 2) + ",,\n,,\n\n").encode(),
    ),
    "Excel workbook (.xlsx), numeric ids": (
        "in.xlsx",
        lambda: _xlsx(
            ["id", "user", "subject", "time", "body", "category"],
            [[int(i), "u", s, "t", b, _wrong(c)] for i, s, b, c in ROWS],
        ),
    ),
    "Excel workbook saved under a .csv name": (
        "in.csv",
        lambda: _xlsx(["id", "subject", "body"], [[i, s, b] for i, s, b, _ in ROWS]),
    ),
}


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("routing", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def classify(tmp_path: Path, name: str, data: bytes) -> tuple[list[dict[str, str]], str]:
    src = tmp_path / name
    src.write_bytes(data)
    dst = tmp_path / "out.csv"
    _, err = run("classify", str(src), "--output", str(dst))
    with dst.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == OUTPUT_COLUMNS
        return list(reader), err


@pytest.fixture
def reference(trained, tmp_path) -> list[dict[str, str]]:
    rows, _ = classify(tmp_path, "ref.csv", _plain().encode())
    assert [r["id"] for r in rows] == [r[0] for r in ROWS]
    assert all(r["category"] for r in rows)
    return rows


@pytest.mark.parametrize("case", list(SAME_ANSWERS), ids=list(SAME_ANSWERS))
def test_every_shape_gives_the_same_answers(reference, tmp_path, case):
    name, make = SAME_ANSWERS[case]
    got, err = classify(tmp_path, name, make())
    assert got == reference, err


def test_excel_escapes_read_as_the_characters(reference, tmp_path):
    """A CSV exported with Excel's "_x000D_" (as the 政务留言 data has it) reads like the
    workbook that holds the carriage return itself."""
    # what Excel stores for a carriage return in a cell, written as it is into both files:
    # the workbook reader decodes the escape, the CSV keeps it (as the 政务留言 CSV does)
    escaped = [[i, s, b.replace("，", "_x000D_\n", 1)] for i, s, b, _ in ROWS]
    (tmp_path / "in.xlsx").write_bytes(_xlsx(["id", "subject", "body"], escaped))
    (tmp_path / "in.csv").write_bytes(_csv(["id", "subject", "body"], escaped).encode())
    from_book = files.read_messages(tmp_path / "in.xlsx")
    assert from_book == files.read_messages(tmp_path / "in.csv")
    assert all("\r\n" in t and "_x000D_" not in t for _, t in from_book)
    book, _ = classify(tmp_path, "in.xlsx", (tmp_path / "in.xlsx").read_bytes())
    flat, _ = classify(tmp_path, "in.csv", (tmp_path / "in.csv").read_bytes())
    assert book == flat


def test_the_category_column_is_never_read(reference, tmp_path):
    # the labels rotated, then all one label, then nonsense: the answers stay the same
    for label in (_wrong, lambda c: CATS[0], lambda c: "星际旅行"):
        data = _csv(
            ["id", "subject", "body", "category"], [[i, s, b, label(c)] for i, s, b, c in ROWS]
        ).encode()
        assert classify(tmp_path, "lab.csv", data)[0] == reference


def test_only_subject_or_only_body(reference, tmp_path):
    by_body, _ = classify(
        tmp_path, "b.csv", _csv(["id", "body"], [[i, b] for i, _, b, _ in ROWS]).encode()
    )
    by_subject, _ = classify(
        tmp_path, "s.csv", _csv(["id", "subject"], [[i, s] for i, s, _, _ in ROWS]).encode()
    )
    for rows in (by_body, by_subject):
        assert [r["id"] for r in rows] == [r["id"] for r in reference]
        assert all(r["category"] in CATS for r in rows)


def test_empty_cells_long_and_multiline_bodies(trained, tmp_path):
    long_body = "小区路灯坏了，晚上很黑。" * 2500  # 30,000 characters
    data = _csv(
        ["id", "subject", "body"],
        [
            ["e1", "", "老板拖欠了我们半年的工资和加班费，一直不发"],  # empty subject
            ["e2", "学校乱收费补课费", ""],  # empty body
            ["e3", "", ""],  # nothing at all
            ["e4", "路灯", long_body],
            ["e5", "欠薪", '第一行，"老板"说\n下个月再发\r\n第三行：工资拖了半年，劳动监察不管'],
            ["e6", "", "!!!???"],
        ],
    ).encode()
    rows, err = classify(tmp_path, "in.csv", data)
    got = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == ["e1", "e2", "e3", "e4", "e5", "e6"]
    assert got["e1"]["category"] == "劳动和社会保障"
    assert got["e2"]["category"] == "教育文体"
    assert got["e3"]["category"] == "" and got["e6"]["category"] == ""
    assert got["e4"]["category"] and got["e5"]["category"] == "劳动和社会保障"
    assert "2 行没有可分类的中文内容" in err


def test_duplicate_ids_are_kept_in_order(reference, tmp_path):
    rows = [[i, s, b] for i, s, b, _ in ROWS]
    data = _csv(["id", "subject", "body"], rows + rows[:2]).encode()
    got, err = classify(tmp_path, "in.csv", data)
    assert [r["id"] for r in got] == [r[0] for r in ROWS] + [ROWS[0][0], ROWS[1][0]]
    assert got[-2:] == reference[:2]
    assert "重复" in err


def test_without_an_id_column_the_rows_are_numbered(reference, tmp_path):
    data = _csv(["subject", "body"], [[s, b] for _, s, b, _ in ROWS]).encode()
    got, err = classify(tmp_path, "in.csv", data)
    assert [r["id"] for r in got] == [str(n) for n in range(1, len(ROWS) + 1)]
    assert [r["category"] for r in got] == [r["category"] for r in reference]
    assert "没有 id 列" in err


def test_a_header_only_file_gives_a_header_only_output(trained, tmp_path):
    got, err = classify(tmp_path, "in.csv", b"id,subject,body\r\n")
    assert got == [] and "只有列名行" in err


# name → (file name, bytes, message the error must contain)
REFUSED: dict[str, tuple[str, bytes, str]] = {
    "empty file": ("in.csv", b"", "空文件"),
    "only blank lines": ("in.csv", b"\r\n\r\n  \n", "空文件"),
    "no text column": ("in.csv", b"id,user,time\n1,a,b\n", "缺少列"),
    "a header-less file": ("in.csv", "1,路灯坏了\n2,工资拖欠\n".encode(), "第一行应为列名"),
    "a quote that never closes": (
        "in.csv",
        'id,subject,body\n1,a,"路灯坏了\n2,b,工资拖欠\n'.encode(),
        "第 2 行起的引号没有闭合",
    ),
    "bytes of no Chinese encoding": ("in.csv", b"id,body\n1,\x80\x80\xff\xfe\x81\n", "编码"),
    "a broken workbook": ("in.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_bad_files_are_refused_clearly(trained, tmp_path, case):
    name, data, message = REFUSED[case]
    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        run("classify", str(src), "--output", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match=message):
        run("evaluate", "--test", str(src))


def test_missing_input_and_unwritable_output(trained, tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        run("classify", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv"))
    src = tmp_path / "in.csv"
    src.write_text(_plain(), encoding="utf-8")
    with pytest.raises(CommandError, match="输出目录不存在"):
        run("classify", str(src), "--output", str(tmp_path / "no" / "o.csv"))
    with pytest.raises(CommandError, match="目录"):
        run("classify", str(src), "--output", str(tmp_path))


# --- evaluate --test on the same shapes ----------------------------------------------------


def _figures(text: str) -> tuple[float, float]:
    line = next(ln for ln in text.splitlines() if ln.startswith("accuracy"))
    parts = line.split()
    return float(parts[1]), float(parts[3])


def _labelled(**kw) -> str:
    return _csv(
        ["id", "user", "subject", "time", "body", "category"],
        [[i, "u", s, "t", b, c] for i, s, b, c in ROWS],
        **kw,
    )


EVALUATE_SAME: dict[str, tuple[str, Callable[[], bytes]]] = {
    "labelled-train shape": ("t.csv", lambda: _labelled().encode()),
    "GBK, CRLF": ("t.csv", lambda: _labelled(crlf=True).encode("gbk")),
    "BOM": ("t.csv", lambda: b"\xef\xbb\xbf" + _labelled().encode()),
    "no id, columns reordered": (
        "t.csv",
        lambda: _csv(["category", "body", "subject"], [[c, b, s] for _, s, b, c in ROWS]).encode(),
    ),
    "duplicate ids": (
        "t.csv",
        lambda: _csv(
            ["id", "subject", "body", "category"], [["1", s, b, c] for _, s, b, c in ROWS]
        ).encode(),
    ),
    "finer labels (一级/二级)": (
        "t.csv",
        lambda: _csv(
            ["id", "subject", "body", "category"], [[i, s, b, c + "/其他"] for i, s, b, c in ROWS]
        ).encode(),
    ),
    "xlsx, Chinese headers": (
        "t.xlsx",
        lambda: _xlsx(
            ["留言编号", "留言主题", "留言详情", "一级标签"], [[i, s, b, c] for i, s, b, c in ROWS]
        ),
    ),
}


@pytest.mark.parametrize("case", list(EVALUATE_SAME), ids=list(EVALUATE_SAME))
def test_evaluate_reads_every_shape(trained, tmp_path, case):
    ref = tmp_path / "ref.csv"
    ref.write_text(_labelled(), encoding="utf-8")
    want = _figures(run("evaluate", "--test", str(ref))[0])
    name, make = EVALUATE_SAME[case]
    src = tmp_path / name
    src.write_bytes(make())
    out, _ = run("evaluate", "--test", str(src))
    assert _figures(out) == want
    assert f"样本 {len(ROWS)}" in out


def test_evaluate_counts_unreadable_rows_as_wrong_and_skips_unlabelled(trained, tmp_path):
    rows = [[i, s, b, c] for i, s, b, c in ROWS]
    ref = tmp_path / "ref.csv"
    ref.write_text(_csv(["id", "subject", "body", "category"], rows), encoding="utf-8")
    acc, _ = _figures(run("evaluate", "--test", str(ref))[0])
    assert acc == 1.0  # its own training texts
    src = tmp_path / "t.csv"
    extra = [["x1", "", "!!!", CATS[0]], ["x2", "路灯", "路灯坏了", ""]]
    src.write_text(_csv(["id", "subject", "body", "category"], rows + extra), encoding="utf-8")
    out, err = run("evaluate", "--test", str(src))
    assert _figures(out)[0] == round(len(rows) / (len(rows) + 1), 4)
    assert "1 行没有类别" in err and "1 行没有可分类的中文内容" in err


def test_evaluate_header_only_is_refused(trained, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("id,subject,body,category\n", encoding="utf-8")
    with pytest.raises(CommandError, match="没有带类别"):
        run("evaluate", "--test", str(src))
    src.write_text("id,subject,body\n1,路灯,路灯坏了\n", encoding="utf-8")
    with pytest.raises(CommandError, match="category"):
        run("evaluate", "--test", str(src))


# --- the console command itself: exit codes, stderr, no traceback --------------------------


def _jiceng(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    if not (data / "dispatch").exists():
        (data / "dispatch").symlink_to(tmp_path / "models")
    env = {**os.environ, "JICENG_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "jiceng.settings"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from jiceng.cli import main; main()", "routing", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )


def test_the_console_command_exits_cleanly(reference, tmp_path):
    (tmp_path / "models").mkdir(exist_ok=True)
    src = tmp_path / "gbk.csv"
    src.write_bytes(
        _csv(
            ["id", "user", "subject", "time", "body", "category"],
            [[i, "u", s, "t", b, ""] for i, s, b, _ in ROWS],
            crlf=True,
        ).encode("gbk")
    )
    ok = _jiceng(
        tmp_path, "classify", str(src), "--output", str(tmp_path / "o.csv"), "--county", ""
    )
    assert ok.returncode == 0, ok.stderr
    with (tmp_path / "o.csv").open(encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == reference
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for args in (
        ("classify", str(empty), "--output", str(tmp_path / "o2.csv"), "--county", ""),
        ("evaluate", "--test", str(empty), "--county", ""),
        ("classify", str(tmp_path / "missing.csv"), "--output", str(tmp_path / "o3.csv")),
    ):
        bad = _jiceng(tmp_path, *args)
        assert bad.returncode == 1, bad.stderr
        assert "Traceback" not in bad.stderr
        last = bad.stderr.strip().splitlines()[-1]
        assert last.startswith("CommandError: ") and ("空文件" in last or "找不到" in last)
