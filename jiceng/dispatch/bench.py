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
    # classifications per second, one core
    texts = [t for _, t, _ in lab] + unl[:700]
    model.predict_many(texts[:10], 3)
    n1 = min(len(texts), 300 if ctx.quick else 1000)
    t0 = time.perf_counter()
    for t in texts[:n1]:
        model.predict_many([t], 3)
    single = n1 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    model.predict_many(texts, 3)
    batch = len(texts) / (time.perf_counter() - t0)
    out["classify_per_s_single"] = round(single)
    out["classify_per_s_batch"] = round(batch)
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
            "classifications per second (one text per call)",
            "≥ 1000",
            round(single),
            single >= 1000,
        ),
        target(
            f"training on {n:,} cases",
            "≤ 300 s" + (" (quick: 1k)" if ctx.quick else ""),
            secs,
            secs <= 300 if not ctx.quick else None,
        ),
    ]
    return out
