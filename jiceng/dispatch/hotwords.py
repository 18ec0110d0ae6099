"""High-frequency and rising words (高频词 · 主动治理) and duplicate clusters.

Counting unit: a case, not an occurrence (a long message that repeats 噪音 ten times is one
voice). For each word, this period's share of cases is compared with the previous
`baseline_periods` periods together by Dunning's log-likelihood ratio G² on the 2×2 table
(cases with / without the word × this period / before), 1 degree of freedom. A word is
*rising* when its share went up and p < `alpha` (G² ≥ 3.84 at 0.05) with at least
`min_cases` cases now; the rising score is G² (larger = surer, not just more). Source of the
method: Dunning 1993, "Accurate methods for the statistics of surprise and coincidence";
it is the standard keyness statistic of corpus linguistics and stays sound for small counts,
unlike the χ² or a raw ratio.

Duplicate clusters: cases of the period in the same village/community (first 12 digits of
the region code) whose character-bigram TF-IDF cosine is ≥ `DUPLICATE_SIMILARITY` are
joined (single linkage); clusters of two or more are reported.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DUPLICATE_SIMILARITY = 0.5
VILLAGE_DIGITS = 12


@dataclass(frozen=True)
class Params:
    min_cases: int = 3
    alpha: float = 0.05
    top: int = 30


def g2(a: int, n1: int, b: int, n0: int) -> float:
    """Log-likelihood ratio of a 2×2 table: a of n1 now, b of n0 before (0 if degenerate)."""
    cells = [(a, n1), (n1 - a, n1), (b, n0), (n0 - b, n0)]
    total = n1 + n0
    if n1 == 0 or n0 == 0 or total == 0:
        return 0.0
    col = {0: a + b, 1: total - a - b}
    out = 0.0
    for i, (obs, row) in enumerate(cells):
        exp = row * col[i % 2] / total
        if obs > 0 and exp > 0:
            out += obs * math.log(obs / exp)
    return max(0.0, 2.0 * out)


def chi2_sf_1(x: float) -> float:
    """P(χ² with 1 degree of freedom ≥ x) = erfc(√(x/2)): the p of a G² without SciPy
    (scipy.stats costs a second and ~30 MB to import; equal to `chi2.sf(x, 1)`, tested)."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


def word_stats(
    now_docs: Sequence[set[str]], before_docs: Sequence[set[str]], params: Params | None = None
) -> dict:
    """{"top": [{"word", "cases"}], "rising": [{"word", "cases", "before", "share",
    "share_before", "ratio", "g2", "p"}]} — shares are per case, ratio smoothed by +0.5."""
    params = params or Params()
    n1, n0 = len(now_docs), len(before_docs)
    now_c: Counter[str] = Counter(w for d in now_docs for w in d)
    before_c: Counter[str] = Counter(w for d in before_docs for w in d)
    top = [{"word": w, "cases": c} for w, c in now_c.most_common(params.top)]
    rising: list[dict] = []
    for w, a in now_c.items():
        if a < params.min_cases:
            continue
        b = before_c.get(w, 0)
        share, share_before = a / n1, (b + 0.5) / (n0 + 1)
        if share <= share_before:
            continue
        stat = g2(a, n1, b, n0) if n0 else 0.0
        p = chi2_sf_1(stat) if n0 else 1.0
        if p >= params.alpha:
            continue
        rising.append(
            {
                "word": w,
                "cases": a,
                "before": b,
                "share": round(share, 4),
                "share_before": round(b / n0, 4) if n0 else None,
                "ratio": round(share / share_before, 2),
                "g2": round(stat, 2),
                "p": float(f"{p:.3g}"),
            }
        )
    rising.sort(key=lambda r: -r["g2"])
    return {"top": top, "rising": rising[: params.top]}


def duplicate_clusters(
    cases: Sequence[dict], threshold: float = DUPLICATE_SIMILARITY
) -> list[list[int]]:
    """Index lists of near-duplicate cases (same village, similar text), largest first."""
    by_village: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_village[(c.get("region_code") or "")[:VILLAGE_DIGITS]].append(i)
    parent = list(range(len(cases)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for members in by_village.values():
        if len(members) < 2:
            continue
        texts = [cases[i]["text"] for i in members]
        from sklearn.feature_extraction.text import TfidfVectorizer  # on first use (0093)

        try:
            m = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit_transform(texts)
        except ValueError:  # no character pairs at all
            continue
        sims = (m @ m.T).tocoo()
        for r, c, v in zip(sims.row, sims.col, sims.data, strict=True):
            if r < c and v >= threshold:
                parent[find(members[r])] = find(members[c])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(cases)):
        groups[find(i)].append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def analyse(
    now_cases: Sequence[dict],
    before_cases: Sequence[dict],
    tokens: Callable[[str], list[str]],
    params: Params | None = None,
) -> dict:
    """Words, rising words with the cases behind them and where, and duplicate clusters."""
    params = params or Params()
    now_docs = [{w for w in tokens(c["text"]) if len(w) >= 2} for c in now_cases]
    before_docs = [{w for w in tokens(c["text"]) if len(w) >= 2} for c in before_cases]
    stats = word_stats(now_docs, before_docs, params)
    for row in stats["rising"] + stats["top"]:
        hits = [c for c, d in zip(now_cases, now_docs, strict=True) if row["word"] in d]
        row["numbers"] = [c["number"] for c in hits[:20]]
        places = Counter((c.get("region_code") or "")[:VILLAGE_DIGITS] for c in hits)
        row["regions"] = [{"code": k, "cases": v} for k, v in places.most_common(5) if k]
    clusters = duplicate_clusters(now_cases)
    return {
        "cases": len(now_cases),
        "cases_before": len(before_cases),
        **stats,
        "duplicates": [
            [{"number": now_cases[i]["number"], "text": now_cases[i]["text"][:80]} for i in g]
            for g in clusters[: params.top]
        ],
    }
