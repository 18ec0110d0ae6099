"""The routing commands through the command line interface, on the project's own fixture."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiceng.dispatch import store
from jiceng.dispatch.files import OUTPUT_COLUMNS

from .conftest import FIXTURES


def run(*args) -> str:
    out = io.StringIO()
    call_command("routing", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_train_stores_versions(trained):
    entry = store.current_entry("")
    assert entry["version"] == 1
    assert entry["info"]["labelled"] == 32
    assert entry["info"]["weak_from_replies"] == 5  # 4 known offices + 1 other (公安)
    assert (trained / "default" / entry["file"]).is_file()
    run("train", "--labelled", str(FIXTURES / "labelled.csv"), "--county", "")
    assert store.current_entry("")["version"] == 2


def test_classify_writes_the_top_three(trained, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        "id,subject,body\n"
        "a,工资,老板拖欠了我们半年的工资和加班费，一直不发\n"
        "b,学校,学校每学期额外收取补课费和资料费\n"
        "c,,!!!???\n"
        "d,医院,县医院的医生乱开检查项目，收费很高\n"
        "e,,路灯" + "坏了" * 20000 + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    run("classify", str(src), "--output", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0].keys()) == OUTPUT_COLUMNS
    got = {r["id"]: r for r in rows}
    assert got["a"]["category"] == "劳动和社会保障"
    assert got["b"]["category"] == "教育文体"
    assert got["d"]["category"] == "卫生计生"
    assert got["c"]["category"] == "" and got["c"]["score"] == ""  # nothing to read
    assert got["e"]["category"]  # a very long text is read up to the bound, not refused
    for r in (got["a"], got["b"], got["d"]):
        scores = [float(r["score"]), float(r["score_2"]), float(r["score_3"])]
        assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
        assert len({r["category"], r["category_2"], r["category_3"]}) == 3


def test_evaluate_held_out_prints_figures(trained, tmp_path):
    test = tmp_path / "test.csv"
    test.write_text(
        "id,subject,body,category\n"
        "1,欠薪,包工头拖欠农民工工资不给,劳动和社会保障\n"
        "2,收费,学校强制收取校服费和资料费,教育文体\n"
        "3,路灯,小区路灯坏了没人修,城乡建设\n"
        "4,诊所,无证诊所给人输液,卫生计生\n",
        encoding="utf-8",
    )
    text = run("evaluate", "--test", str(test))
    assert "accuracy" in text and "macro-F1" in text and "混淆矩阵" in text


def test_cross_validation_runs_on_the_fixture(model_dir, db):
    text = run(
        "evaluate",
        "--cv",
        "3",
        "--labelled",
        str(FIXTURES / "labelled.csv"),
        "--unlabelled",
        str(FIXTURES / "unlabelled.csv"),
        "--county",
        "",
    )
    assert "stratified 3-fold" in text
    acc = float(text.split("accuracy ")[1].split()[0])
    assert 0.5 <= acc <= 1.0  # 4 classes: chance is 0.25


def test_unknown_category_is_refused(model_dir, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,subject,body,category\n1,路灯,小区路灯坏了,城乡建设\n2,星际,外星人来了,星际旅行\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="星际旅行"):
        run("train", "--labelled", str(bad), "--taxonomy", str(FIXTURES / "taxonomy.csv"))


@pytest.mark.parametrize(
    "content,message",
    [
        ("id,subject,text\n1,a,b\n", "缺少列"),
        (b"\xff\xfe\x00\x01binary", "缺少列"),  # a UTF-16 BOM, then no header
        (b"id,body\n1,\x80\x80\xff\n", "编码"),  # neither UTF-8 nor GB18030
    ],
)
def test_bad_files_are_refused(model_dir, db, tmp_path, content, message):
    f = tmp_path / "f.csv"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CommandError, match=message):
        run("train", "--labelled", str(f), "--county", "")


def test_one_class_cannot_train(model_dir, db, tmp_path):
    f = tmp_path / "one.csv"
    f.write_text("id,subject,body,category\n1,路灯,路灯坏了,城乡建设\n2,道路,道路破损,城乡建设\n")
    with pytest.raises(CommandError, match="两个类别"):
        run("train", "--labelled", str(f), "--county", "")


def test_classify_without_a_model_says_so(model_dir, db, tmp_path):
    with pytest.raises(CommandError, match="尚未训练"):
        run("classify", str(FIXTURES / "unlabelled.csv"), "--output", str(tmp_path / "o.csv"))


def test_training_on_another_tree_says_intake_will_not_suggest_it(model_dir, db):
    """The fixture's labels (城乡建设, …) against a county whose own tree is different: the
    model is stored (classify and evaluate work), and the command says that intake will not
    suggest categories the county's tree does not have (the hotline form offers only those)."""
    from jiceng.cases.models import Category

    Category.objects.create(code="01", name="市政设施", path="市政设施", depth=1)

    def train_stderr() -> str:
        err = io.StringIO()
        call_command(
            "routing",
            "train",
            "--labelled",
            str(FIXTURES / "labelled.csv"),
            "--county",
            "",
            stdout=io.StringIO(),
            stderr=err,
        )
        return err.getvalue()

    said = train_stderr()
    assert store.current_entry("")["version"] == 1
    assert "不在本县的分类目录中" in said and "城乡建设" in said, said
    # a county whose tree has the model's categories hears nothing of it
    Category.objects.all().delete()
    for i, name in enumerate(store.load("").classes):
        Category.objects.create(code=f"{i:02d}", name=name, path=name, depth=1)
    assert "不在本县的分类目录中" not in train_stderr()
