"""Honest figures: accuracy, macro-F1 and the confusion matrix on messages the model never
saw, by a held-out file or stratified k-fold cross-validation, with a leakage check.

Leakage rules (why): the unlabelled history and the replies come from the same site as the
labelled messages, and 24 labelled bodies also stand in the unlabelled file. A test message
whose text is in the training side (as a label, a weak label or a self-training text) would
be graded on what the model has read, so every auxiliary text equal to an evaluated message
is removed before training (`dedupe_key`: the text without spaces/punctuation, first 300
characters). Weak labels are read from replies only, never from a labelled message's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from jiceng.dispatch.classifier import Corpus, Options, segmenter_for, train
from jiceng.dispatch.scorer import Suggesting
from jiceng.dispatch.text import usable

_NON_WORD = re.compile(r"[\W_]+")


def dedupe_key(text: str) -> str:
    return _NON_WORD.sub("", text)[:300]


def without(corpus: Corpus, texts: Sequence[str]) -> tuple[Corpus, int]:
    """The corpus with every auxiliary text equal to one of `texts` removed; and how many."""
    keys = {dedupe_key(t) for t in texts}
    unl = [t for t in corpus.unlabelled if dedupe_key(t) not in keys]
    rep = [(t, r) for t, r in corpus.replies if dedupe_key(t) not in keys]
    lab = [(t, c) for t, c in corpus.labelled if dedupe_key(t) not in keys]
    removed = (
        len(corpus.unlabelled)
        - len(unl)
        + len(corpus.replies)
        - len(rep)
        + len(corpus.labelled)
        - len(lab)
    )
    return replace(corpus, labelled=lab, unlabelled=unl, replies=rep), removed


def without_aux(corpus: Corpus, texts: Sequence[str]) -> tuple[Corpus, int]:
    """Like `without`, but keeps the labelled messages (training: labels win over copies)."""
    keys = {dedupe_key(t) for t in texts}
    unl = [t for t in corpus.unlabelled if dedupe_key(t) not in keys]
    rep = [(t, r) for t, r in corpus.replies if dedupe_key(t) not in keys]
    removed = len(corpus.unlabelled) - len(unl) + len(corpus.replies) - len(rep)
    return replace(corpus, unlabelled=unl, replies=rep), removed


def figures(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> dict:
    """{"n", "accuracy", "macro_f1", "labels", "confusion"} (rows = truth, cols = predicted)."""
    labels = list(labels or sorted(set(truth) | set(pred)))
    return {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, pred)), 4),
        "macro_f1": round(
            float(
                f1_score(truth, pred, labels=sorted(set(truth)), average="macro", zero_division=0)
            ),
            4,
        ),
        "labels": labels,
        "confusion": confusion_matrix(truth, pred, labels=labels).tolist(),
    }


UNREAD = "（无可分类文字）"  # the prediction of a text `classify` leaves blank


def held_out(model: Suggesting, test: Sequence[tuple[str, str]]) -> dict:
    """Figures of `model` on (text, category) pairs, as `routing classify` would answer:
    a text it leaves blank (no usable Chinese) counts as wrong (predicted `UNREAD`)."""
    texts = [t for t, _ in test]
    ok = [i for i, t in enumerate(texts) if usable(t)]
    pred = [UNREAD] * len(texts)
    for i, top in zip(ok, model.predict_many([texts[i] for i in ok], 1), strict=True):
        pred[i] = top[0][0]
    return figures([c for _, c in test], pred)


def cross_validate(
    corpus: Corpus, options: Options | None = None, *, folds: int = 5, seeds: Sequence[int] = (0,)
) -> dict:
    """Stratified k-fold over `corpus.labelled`; each fold trains on the rest plus the
    auxiliary data minus the fold's duplicates. Returns the pooled figures of the first
    seed plus the mean and spread over seeds."""
    texts = [t for t, _ in corpus.labelled]
    y = np.array([c for _, c in corpus.labelled], dtype=object)
    runs = []
    removed_total = 0
    seg = segmenter_for(corpus)
    seg.memo = {}  # every fold cuts the same texts
    for seed in seeds:
        pred = np.empty(len(y), dtype=object)
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for tr, te in skf.split(texts, y):
            fold = replace(corpus, labelled=[corpus.labelled[i] for i in tr])
            fold, removed = without(fold, [texts[i] for i in te])
            removed_total += removed
            model = train(fold, options, seg)
            pred[te] = [top[0][0] for top in model.predict_many([texts[i] for i in te], 1)]
        runs.append(figures(list(y), list(pred)))
    accs = [r["accuracy"] for r in runs]
    f1s = [r["macro_f1"] for r in runs]
    out = dict(runs[0])
    out.update(
        method=f"stratified {folds}-fold CV × {len(seeds)} seeds",
        accuracy_mean=round(float(np.mean(accs)), 4),
        accuracy_sd=round(float(np.std(accs)), 4),
        macro_f1_mean=round(float(np.mean(f1s)), 4),
        macro_f1_sd=round(float(np.std(f1s)), 4),
        duplicates_removed=removed_total,
    )
    return out


def holdout(
    corpus: Corpus, options: Options | None = None, *, fraction: float = 0.3, seed: int = 20261129
) -> dict:
    """Train on a stratified (1 − fraction) of the labels (+ auxiliary data without the
    held-out texts), report on the held-out fraction. The split depends only on `seed`."""
    from sklearn.model_selection import train_test_split

    texts = [t for t, _ in corpus.labelled]
    y = [c for _, c in corpus.labelled]
    tr, te = train_test_split(
        list(range(len(texts))), test_size=fraction, stratify=y, random_state=seed
    )
    fold, removed = without(
        replace(corpus, labelled=[corpus.labelled[i] for i in tr]), [texts[i] for i in te]
    )
    model = train(fold, options)
    out = held_out(model, [corpus.labelled[i] for i in te])
    out.update(
        method=f"held-out {fraction:.0%} (stratified, seed {seed}), trained on {len(tr)} labels",
        duplicates_removed=removed,
        train_seconds=model.info["seconds"],
    )
    return out


ABLATIONS: dict[str, dict] = {
    "baseline: char 1–3 n-grams only (C 1)": dict(
        vocab_from_all=False,
        weak_replies=False,
        other_class=False,
        keywords=False,
        C=1.0,
    ),
    "+ vocabulary/IDF from unlabelled": dict(
        weak_replies=False, other_class=False, keywords=False, C=1.0
    ),
    "+ replies → department weak labels": dict(other_class=False, keywords=False, C=1.0),
    "+ other-department class": dict(keywords=False, C=1.0),
    "+ C 0.3": dict(keywords=False),
    "+ taxonomy keyword features (default)": dict(),
    "+ jieba words (not default)": dict(words=True),
    "+ self-training on unlabelled (not default)": dict(self_training=True),
}


def ablation(
    corpus: Corpus, *, folds: int = 5, seeds: Sequence[int] = (0,), fraction: float = 0.0
) -> list[dict]:
    """Figures with the components added one at a time: k-fold CV, or the held-out
    `fraction` when given (cheaper: one training per step)."""
    out = []
    for name, switches in ABLATIONS.items():
        if fraction:
            r = holdout(corpus, Options(**switches), fraction=fraction)
            out.append(
                {
                    "step": name,
                    "accuracy_mean": r["accuracy"],
                    "macro_f1_mean": r["macro_f1"],
                    "accuracy_sd": 0.0,
                    "seconds": r["train_seconds"],
                }
            )
            continue
        r = cross_validate(corpus, Options(**switches), folds=folds, seeds=seeds)
        out.append(
            {"step": name, **{k: r[k] for k in ("accuracy_mean", "macro_f1_mean", "accuracy_sd")}}
        )
    return out
