"""The fast scoring path gives the margins scikit-learn gives, and a second per text."""

import time

import numpy as np

from jiceng.dispatch import files, store

from .conftest import FIXTURES


def test_fast_margins_equal_sklearn(trained):
    model = store.load_full("")
    texts = [t for _, t in files.read_messages(FIXTURES / "unlabelled.csv")]
    texts += ["路灯", "路灯 路灯 路灯 坏了", "完全没有见过的字词犇猋骉", "ABC 路灯", "x" * 10]
    # upper case, runs of spaces, characters beyond the BMP, one and two characters
    texts += ["ＡＢＣ  Road\t\t路灯坏了😀𠀀x", "灯", "路灯", "  ", "A"]
    fast = model.margins(texts)
    ref = model.margins_sklearn(texts)
    assert fast.shape == ref.shape == (len(texts), len(model.classes))
    assert np.allclose(fast, ref, atol=1e-4), np.abs(fast - ref).max()
    # the ranking the page shows is the same
    assert (fast.argmax(axis=1) == ref.argmax(axis=1)).all()


def test_char_keys_find_the_columns_sklearn_finds(trained):
    from jiceng.dispatch.scorer import CharKeys

    model = store.load_full("")
    keys = CharKeys.of(model.char_vec)
    assert keys is not None  # the default character block takes the integer-key path
    analyze, vocab = model.char_vec.build_analyzer(), model.char_vec.vocabulary_
    for text in ["ＡＢＣ  Road\t\t路灯坏了😀𠀀x", "小区路灯坏了两个星期", "", "灯"]:
        want = sorted(vocab[g] for g in analyze(text) if g in vocab)
        assert sorted(keys.columns(text).tolist()) == want, text


def test_fast_path_survives_a_reload(trained):
    model = store.load_full("")
    before = model.margins(["小区路灯坏了"])
    store._cache.clear()  # the pickle holds no fast scorer; it is rebuilt after loading
    again = store.load_full("")
    assert again is not model
    assert "_fast_scorer" not in again.__dict__
    assert np.allclose(again.margins(["小区路灯坏了"]), before)


def test_one_text_per_call_is_fast_on_the_fixture(trained):
    model = store.load_full("")
    texts = [t for _, t in files.read_messages(FIXTURES / "unlabelled.csv")]
    model.predict_many(texts[:3], 3)
    t0 = time.process_time()
    for t in texts:
        model.predict_many([t], 3)
    per_text = (time.process_time() - t0) / len(texts)
    assert per_text < 0.01  # CPU time; the bench measures the real rate on the shared data


def test_finer_similarity_equals_sklearn(trained):
    model = store.load_full("")
    assert model.tree_vec is not None and model.tree_matrix is not None
    for text in ["城市公共设施路灯损坏，市政管理不到位", "ＡＢ 路灯😀", "灯", "犇猋骉"]:
        q = model.tree_vec.transform([text])
        want = (model.tree_matrix @ q.T).toarray().ravel()
        got = model._fast().tree_similarity(text)
        assert np.allclose(got, want, atol=1e-5), text


def test_stored_arrays_suggest_what_the_trained_model_suggests(trained):
    from jiceng.dispatch.scorer import ServingModel

    served, full = store.load(""), store.load_full("")
    assert isinstance(served, ServingModel)  # the arrays are saved beside the pickle
    assert served.classes == full.classes and served.tree_nodes == full.tree_nodes
    assert served.info["version"] == full.info["version"]
    texts = [t for _, t in files.read_messages(FIXTURES / "unlabelled.csv")]
    texts += ["ＡＢＣ  Road\t\t路灯坏了😀𠀀x", "灯", "  ", "犇猋骉"]
    assert np.array_equal(served.margins(texts), full.margins(texts))
    for text in texts[:40]:
        assert served.suggest(text) == full.suggest(text), text


def test_a_model_saved_without_arrays_is_read_from_its_pickle(trained):
    import json

    from jiceng.dispatch.classifier import Model

    d = store.model_dir("")
    m = json.loads((d / "manifest.json").read_text())
    (d / m["versions"][-1]["serving"]).unlink()
    store._cache.clear()
    model = store.load("")
    assert isinstance(model, Model)
    assert model.suggest("小区路灯坏了")["categories"]
    del m["versions"][-1]["serving"]  # a manifest written before the arrays existed
    (d / "manifest.json").write_text(json.dumps(m))
    store._cache.clear()
    assert isinstance(store.load(""), Model)


def test_serving_a_suggestion_imports_no_scikit_learn(trained):
    """A fresh process reading the stored arrays and suggesting loads neither scikit-learn,
    SciPy nor jieba (what a server worker does on its first suggestion)."""
    import json
    import subprocess
    import sys

    d = store.model_dir("")
    serving = json.loads((d / "manifest.json").read_text())["versions"][-1]["serving"]
    code = (
        "import sys\n"
        "from jiceng.dispatch import scorer\n"
        f"m = scorer.load({str(d / serving)!r})\n"
        "assert m.suggest('小区路灯坏了两个星期没人修')['categories']\n"
        "print(sorted(n for n in ('sklearn', 'scipy', 'jieba') if n in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
