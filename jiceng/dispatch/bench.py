"""Bench section `dispatch`: suggestions per second (one core), training time on many cases,
and the held-out accuracy on the 政务留言 data (figures also in docs/decisions/0042…).

- classify: the model trained on the 298 labels + history; one text per call (what the
  intake form does) and batches of 1,000 (the classify command), texts from the data;
- train_100k: 100,000 "closed cases" (the data's messages, each cut at a random sentence
  boundary so that no two are identical, labelled by the first model) — what a county's
  yearly retrain reads; quick mode trains on 1,000 and on the labels alone (no history), and says so;
- accuracy: the fixed held-out 30 % of the labelled file (seed 20261129), trained on the
  other 70 % plus history — never used to choose anything.
"""

from __future__ import annotations

import random
import re
import time

from jiceng.bench.util import Skip

HOLDOUT_SEED = 20261129


def _data():
    from jiceng.bench.sections import shared_data  # here: sections imports this module
    from jiceng.dispatch import files

    d = shared_data() / "complaints"
    if not (d / "labelled-train.csv").is_file():
        raise Skip(f"shared data not found at {d}")
    lab = files.read_labelled(d / "labelled-train.csv")
    unl = [t for _, t in files.read_messages(d / "messages-unlabelled.csv")]
    rep = files.read_replies(d / "messages-with-replies.csv")
    tree = files.read_taxonomy(d / "taxonomy.csv")
    return lab, unl, rep, tree


def holdout_split(lab: list[tuple[str, str, str]]) -> tuple[list[int], list[int]]:
    """The fixed 70/30 stratified split used for the held-out figure."""
    from sklearn.model_selection import train_test_split

    idx = list(range(len(lab)))
    dev, test = train_test_split(
        idx, test_size=0.3, stratify=[c for _, _, c in lab], random_state=HOLDOUT_SEED
    )
    return dev, test


def classify_rates(model, texts: list[str], n: int, rounds: int = 3) -> dict:
    """One text per call (the intake form), scikit-learn's transform + decision_function
    one text per call (the path before decision 0067), and one batch — interleaved in
    `rounds`, per second of wall time and of CPU time (process_time: one core)."""
    model.predict_many(texts[:10], 3)
    n = min(n, len(texts))
    per = max(1, n // rounds)
    acc: dict[str, list[float]] = {}

    def timed(key: str, count: int, fn) -> None:
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        acc.setdefault(key, []).append(count / max(wall, 1e-9))
        acc.setdefault(key + "_cpu", []).append(count / max(cpu, 1e-9))

    for r in range(rounds):
        chunk = texts[r * per : (r + 1) * per] or texts[:per]
        timed("single", len(chunk), lambda c=chunk: [model.predict_many([t], 3) for t in c])
        few = chunk[: max(1, len(chunk) // 3)]
        timed("sklearn_single", len(few), lambda c=few: [model.margins_sklearn([t]) for t in c])
        timed("batch", len(chunk), lambda c=chunk: model.predict_many(c, 3))
    return {f"classify_per_s_{k}": round(sum(v) / len(v)) for k, v in acc.items()}


def section(ctx) -> dict:
    from jiceng.bench.sections import target
    from jiceng.dispatch import evaluate
    from jiceng.dispatch.classifier import Corpus, Options, train

    lab, unl, rep, tree = _data()
    out: dict = {}
    # accuracy on the held-out split
    dev, test = holdout_split(lab)
    # quick mode (the bench's own test): the labels only — minutes less, figures lower
    corpus = Corpus(
        labelled=[(lab[i][1], lab[i][2]) for i in dev],
        unlabelled=[] if ctx.quick else unl,
        replies=[] if ctx.quick else rep,
        tree=tree,
    )
    corpus, removed = evaluate.without(corpus, [lab[i][1] for i in test])
    t0 = time.perf_counter()
    model = train(corpus)
    out["train_full_pipeline_s"] = round(time.perf_counter() - t0, 1)
    fig = evaluate.held_out(model, [(lab[i][1], lab[i][2]) for i in test])
    out["holdout"] = {k: fig[k] for k in ("n", "accuracy", "macro_f1")}
    out["holdout"]["duplicates_removed"] = removed
    out["holdout"]["history_used"] = not ctx.quick
    # the score's meaning (decision 0089): the mean top score beside the accuracy
    tops = model.predict_many([lab[i][1] for i in test], 1)
    out["holdout"]["mean_top_score"] = round(sum(t[0][1] for t in tops) / max(1, len(tops)), 3)
    # classifications per second, one core (wall and CPU; the old scikit-learn path beside)
    texts = [t for _, t, _ in lab] + unl[:700]
    out.update(classify_rates(model, texts, 300 if ctx.quick else 1000))
    # training on many closed cases
    n = 1_000 if ctx.quick else 100_000
    rng = random.Random(16)
    pool = [t for _, t, _ in lab] + unl + [t for t, _ in rep]
    labels = [top[0][0] for top in model.predict_many(pool, 1)]
    big = []
    for _ in range(n):
        i = rng.randrange(len(pool))
        parts = re.split(r"(?<=[。！？])", pool[i])
        big.append(("".join(parts[: rng.randint(1, max(1, len(parts)))]), labels[i]))
    t0 = time.perf_counter()
    train(Corpus(labelled=big, tree=tree), Options(self_training=False))
    out[f"train_{n // 1000}k_cases_s"] = secs = round(time.perf_counter() - t0, 1)
    out["targets"] = [
        target("holdout accuracy", "≥ 0.88", fig["accuracy"], fig["accuracy"] >= 0.88),
        target("holdout macro-F1", "≥ 0.85", fig["macro_f1"], fig["macro_f1"] >= 0.85),
        target(
            "classifications per second (one text per call, CPU of one core)",
            "≥ 1000",
            out["classify_per_s_single_cpu"],
            out["classify_per_s_single_cpu"] >= 1000,
        ),
        target(
            f"training on {n:,} cases",
            "≤ 300 s" + (" (quick: 1k)" if ctx.quick else ""),
            secs,
            secs <= 300 if not ctx.quick else None,
        ),
    ]
    return out
