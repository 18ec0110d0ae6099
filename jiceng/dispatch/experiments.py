"""Session-5 experiments (decision 0097): candidate models against the default on the same
repeated stratified 5-fold splits over all 298 labels — nothing chosen on the held-out 90,
every candidate's settings fixed before it is run (literature values, no tuning), so there is
no selection inside the loop to nest.

Harness (as in decision 0089): the character vocabulary/IDF is fitted once on all texts (no
labels read: the labelled texts, the unlabelled history and the replies' messages), the
matrices reused; per fold the auxiliary texts equal to a test message are removed
(`evaluate.dedupe_key`), the weak labels (`weak.label_from_reply`) come from the replies only.

    python -m jiceng.dispatch.experiments [--repeats 5] [--only default,nbsvm,...]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from jiceng.dispatch import files, weak
from jiceng.dispatch.classifier import Model, Options, _prep
from jiceng.dispatch.evaluate import dedupe_key
from jiceng.dispatch.text import Segmenter, taxonomy_terms, usable


@dataclass
class Data:
    texts: list[str]  # labelled
    y: np.ndarray
    X: csr_matrix  # char TF-IDF + keyword block, labelled
    Xb: csr_matrix  # binary char n-grams, labelled (for NB ratios)
    W: csr_matrix  # weak rows, features
    Wb: csr_matrix
    wy: np.ndarray
    wkeys: list[str]
    classes: list[str]
    words: csr_matrix | None = None
    wwords: csr_matrix | None = None


def load(words: bool = False) -> Data:
    base = os.environ.get("JICENG_SHARED_DATA", "../shared/data") + "/complaints/"
    lab = files.read_labelled(base + "labelled-train.csv")
    unl = [t for _, t in files.read_messages(base + "messages-unlabelled.csv")]
    rep = files.read_replies(base + "messages-with-replies.csv")
    tree = files.read_taxonomy(base + "taxonomy.csv")
    texts = [_prep(t) for _, t, _ in lab]
    y = np.array([c for *_, c in lab], dtype=object)
    classes = sorted(set(y))
    lab_keys = {dedupe_key(t) for t in texts}
    unl = [_prep(t) for t in unl if usable(t) and dedupe_key(t) not in lab_keys]
    pairs = [
        (_prep(t), weak.label_from_reply(r, set(classes)))
        for t, r in rep
        if usable(t) and dedupe_key(t) not in lab_keys
    ]
    pairs = [(t, c) for t, c in pairs if c]
    vec = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=150_000
    )
    vec.fit(texts + unl + [t for t, _ in pairs])
    model = Model(Options(), Segmenter(set()))
    model._fit_keywords(tree)

    def feats(ts: list[str]) -> tuple[csr_matrix, csr_matrix]:
        c = vec.transform(ts)
        kw = csr_matrix(np.vstack([model.keyword_vector(t) for t in ts]))
        b = c.copy()
        b.data[:] = 1.0
        return hstack([c, kw]).tocsr(), b.tocsr()

    X, Xb = feats(texts)
    wt = [t for t, _ in pairs]
    W, Wb = feats(wt)
    d = Data(
        texts,
        y,
        X,
        Xb,
        W,
        Wb,
        np.array([c for _, c in pairs], dtype=object),
        [dedupe_key(t) for t in wt],
        classes,
    )
    if words:
        seg = Segmenter(taxonomy_terms(tree))
        wv = TfidfVectorizer(
            tokenizer=seg.tokens, token_pattern=None, lowercase=False, sublinear_tf=True, min_df=2
        )
        wv.fit(texts + unl + wt)
        d.words, d.wwords = wv.transform(texts).tocsr(), wv.transform(wt).tocsr()
    return d


def _train_rows(d: Data, te: np.ndarray) -> np.ndarray:
    test_keys = {dedupe_key(d.texts[i]) for i in te}
    keep = np.array([k not in test_keys for k in d.wkeys])
    return keep


def svm_margins(X, y, w, Xt, C=0.3, loss="hinge") -> tuple[np.ndarray, list[str]]:
    svm = LinearSVC(C=C, class_weight="balanced", loss=loss, max_iter=2000)
    svm.fit(X, y, sample_weight=w)
    return svm.decision_function(Xt), list(svm.classes_)


def nb_ratio(Xb, y, w, cls, alpha=1.0) -> np.ndarray:
    pos = y == cls
    p = alpha + np.asarray(Xb[pos].T @ w[pos]).ravel()
    q = alpha + np.asarray(Xb[~pos].T @ w[~pos]).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def nbsvm_margins(Xb, y, w, Xtb, C=1.0, beta=0.25, ratio_from=None) -> tuple[np.ndarray, list[str]]:
    """Wang & Manning 2012 NBSVM, one-vs-rest: binarised features × the class's NB
    log-count ratio → an L2-loss linear SVM; weights interpolated with their mean magnitude
    (β 0.25, C 1 — the paper's values)."""
    classes = sorted(set(y))
    out = np.zeros((Xtb.shape[0], len(classes)))
    for j, c in enumerate(classes):
        r = nb_ratio(Xb if ratio_from is None else ratio_from, y, w, c)
        R = csr_matrix(Xb.multiply(r))
        yy = (y == c).astype(int)
        svm = LinearSVC(C=C, loss="squared_hinge", max_iter=2000, class_weight="balanced")
        svm.fit(R, yy, sample_weight=w)
        wv = svm.coef_.ravel()
        wv = (1 - beta) * np.abs(wv).mean() + beta * wv
        out[:, j] = Xtb.multiply(r) @ wv + svm.intercept_[0]
    return out, classes


def cnb_scores(X, y, w, Xt) -> tuple[np.ndarray, list[str]]:
    nb = ComplementNB(alpha=1.0)
    nb.fit(X, y, sample_weight=w)
    return nb.predict_log_proba(Xt), list(nb.classes_)


def _softmax(d: np.ndarray, t: float) -> np.ndarray:
    z = d * t
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _zs(d: np.ndarray) -> np.ndarray:
    return (d - d.mean(axis=1, keepdims=True)) / (d.std(axis=1, keepdims=True) + 1e-9)


def predict(name: str, d: Data, tr: np.ndarray, te: np.ndarray) -> np.ndarray:
    keep = _train_rows(d, te)
    from scipy.sparse import vstack

    def stack(A, B):
        return vstack([A[tr], B[keep]]).tocsr()

    y = np.concatenate([d.y[tr], d.wy[keep]])
    w = np.concatenate([np.ones(len(tr)), np.full(int(keep.sum()), 0.3)])
    X = stack(d.X, d.W)
    Xt = d.X[te]

    def real(scores: np.ndarray, classes: list[str]) -> np.ndarray:
        cols = [classes.index(c) for c in d.classes]
        return scores[:, cols]  # the "other" class is never suggested

    if name == "default":
        m, cl = svm_margins(X, y, w, Xt)
        s = real(m, cl)
    elif name == "nbsvm":
        m, cl = nbsvm_margins(stack(d.Xb, d.Wb), y, w, d.Xb[te])
        s = real(m, cl)
    elif name == "cnb":
        m, cl = cnb_scores(X, y, w, Xt)
        s = real(m, cl)
    elif name == "svm+nbsvm_l2":
        # the same with each binarised row scaled to unit length (liblinear did not converge
        # on the raw 0/1 rows of 300–3,000 n-grams)
        a, cl = svm_margins(X, y, w, Xt)
        b, cl2 = nbsvm_margins(
            normalize(stack(d.Xb, d.Wb)), y, w, normalize(d.Xb[te]), ratio_from=stack(d.Xb, d.Wb)
        )
        s = _zs(real(a, cl)) + _zs(real(b, cl2))
    elif name == "svm+nbsvm":
        a, cl = svm_margins(X, y, w, Xt)
        b, cl2 = nbsvm_margins(stack(d.Xb, d.Wb), y, w, d.Xb[te])
        s = _zs(real(a, cl)) + _zs(real(b, cl2))
    elif name == "svm+cnb":
        a, cl = svm_margins(X, y, w, Xt)
        b, cl2 = cnb_scores(X, y, w, Xt)
        s = _zs(real(a, cl)) + _zs(real(b, cl2))
    elif name == "svm+words":
        assert d.words is not None and d.wwords is not None
        XW = hstack([d.X, d.words]).tocsr()
        WW = hstack([d.W, d.wwords]).tocsr()
        m, cl = svm_margins(stack(XW, WW), y, w, XW[te])
        s = real(m, cl)
    else:
        raise ValueError(name)
    return np.array(d.classes, dtype=object)[s.argmax(axis=1)]


def run(names: list[str], repeats: int, d: Data) -> dict:
    res: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for seed in range(repeats):
        skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        preds = {n: np.empty(len(d.y), dtype=object) for n in names}
        for tr, te in skf.split(d.texts, d.y):
            for n in names:
                preds[n][te] = predict(n, d, tr, te)
        for n in names:
            acc = accuracy_score(d.y, preds[n])
            f1 = f1_score(d.y, preds[n], average="macro")
            res[n].append((float(acc), float(f1)))
        print(seed, {n: [round(v, 4) for v in res[n][-1]] for n in names}, flush=True)
    out = {}
    base = np.array(res[names[0]])
    for n in names:
        a = np.array(res[n])
        diff = a - base
        out[n] = {
            "accuracy_mean": round(float(a[:, 0].mean()), 4),
            "accuracy_sd": round(float(a[:, 0].std(ddof=1)), 4) if repeats > 1 else 0.0,
            "macro_f1_mean": round(float(a[:, 1].mean()), 4),
            "macro_f1_sd": round(float(a[:, 1].std(ddof=1)), 4) if repeats > 1 else 0.0,
            "diff_accuracy_mean": round(float(diff[:, 0].mean()), 4),
            "diff_accuracy_sd": round(float(diff[:, 0].std(ddof=1)), 4) if repeats > 1 else 0.0,
            "diff_f1_mean": round(float(diff[:, 1].mean()), 4),
            "diff_f1_sd": round(float(diff[:, 1].std(ddof=1)), 4) if repeats > 1 else 0.0,
            "runs": res[n],
        }
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--only", default="default,nbsvm,cnb,svm+nbsvm,svm+cnb")
    a = p.parse_args(argv)
    names = a.only.split(",")
    t0 = time.process_time()
    d = load(words="svm+words" in names)
    print("loaded", d.X.shape, d.W.shape, round(time.process_time() - t0, 1), flush=True)
    out = run(names, a.repeats, d)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
