"""train then classify on the real 政务留言 data (../shared/data, not shipped)."""

import csv
import io

import pytest
from django.core.management import call_command


@pytest.mark.shared_data
def test_train_then_classify_on_the_shared_data(shared_data, model_dir, db, tmp_path):
    d = shared_data / "complaints"
    call_command(
        "routing",
        "train",
        "--labelled",
        str(d / "labelled-train.csv"),
        "--replies",
        str(d / "messages-with-replies.csv"),
        "--county",
        "",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    # classify the first 200 unlabelled messages in their own file format
    src = tmp_path / "in.csv"
    with (
        open(d / "messages-unlabelled.csv", encoding="utf-8-sig") as fh,
        open(src, "w", encoding="utf-8", newline="") as out,
    ):
        for i, line in enumerate(fh):
            if i > 200:
                break
            out.write(line)
    dst = tmp_path / "out.csv"
    call_command(
        "routing",
        "classify",
        str(src),
        "--output",
        str(dst),
        "--county",
        "",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    rows = list(csv.DictReader(dst.open(encoding="utf-8")))
    classes = {
        "劳动和社会保障",
        "城乡建设",
        "教育文体",
        "卫生计生",
        "交通运输",
        "商贸旅游",
        "环境保护",
    }
    assert len(rows) >= 190
    assert all(r["category"] in classes for r in rows)
    assert len({r["category"] for r in rows}) >= 5  # not one class for everything
