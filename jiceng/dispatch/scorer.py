"""Serving suggestions without scikit-learn: a trained model's numbers as plain arrays.

A server process that answers suggestions needs only the vocabulary as integer keys, the
IDF, the SVM's weights and intercepts, the keyword terms and the tree's similarity matrix —
a gather and a small matrix product per text (`Scorer.margins`). Those are written beside
the model's pickle as `vNNNN.npz` (`save`) and read back with `allow_pickle=False` (`load`):
numpy only, so a server imports neither scikit-learn, SciPy nor jieba until something trains
a model, reads the pickle or cuts words (hot words). Decision 0093.

No Django and no scikit-learn here; `classifier.Model` builds its fast path from this module
too, so the pickle's path and the arrays' path are the same arithmetic.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from jiceng.dispatch.text import MODEL_CHARS, Segmenter, clean

FORMAT = 1


def prep(text: str) -> str:
    """What the model reads of a text (cleaned, cut at MODEL_CHARS)."""
    return clean(text)[:MODEL_CHARS]


def keyword_vector(text: str, terms: list[tuple[str, tuple[str, ...]]], scale: float) -> np.ndarray:
    """The keyword block of one text: per first-level category, log(1 + how many of its
    terms the text contains) × scale (classifier.Options.keywords)."""
    has = text.__contains__
    return np.array([math.log1p(sum(map(has, t))) * scale for _, t in terms], dtype=np.float32)


class CharKeys:
    """Character 1–3-gram vocabulary lookups as integer keys: a gram of code points
    (c1, c2, c3) is the int64 (c1+1) | (c2+1) << 21 | (c3+1) << 42, so a text's grams are
    three vectorised shifts of its code points and their columns one `searchsorted` in the
    vocabulary's sorted keys — instead of ~1,000 string hashes and dict probes (a dict of
    150,000 strings misses the cache; that was 0.5 ms of a 1.1 ms classification).
    The same text preparation as scikit-learn's char analyzer (lower(), runs of whitespace
    → one space); equality with it is tested."""

    WHITE = re.compile(r"\s\s+")  # scikit-learn's _white_spaces

    def __init__(self, keys: np.ndarray, cols: np.ndarray, lo: int, hi: int) -> None:
        self.keys, self.cols, self.lo, self.hi = keys, cols, lo, hi

    @classmethod
    def of(cls, vec: Any) -> CharKeys | None:
        """From a fitted `TfidfVectorizer` with a plain character analyzer, else None."""
        lo, hi = vec.ngram_range
        plain = (
            vec.analyzer == "char"
            and 1 <= lo <= hi <= 3
            and vec.lowercase
            and vec.strip_accents is None
            and vec.preprocessor is None
            and vec.input == "content"
        )
        if not plain:
            return None
        terms = list(vec.vocabulary_.items())
        keys = np.fromiter((cls._key(t) for t, _ in terms), dtype=np.int64, count=len(terms))
        cols = np.fromiter((j for _, j in terms), dtype=np.int64, count=len(terms))
        order = np.argsort(keys)
        return cls(keys[order], cols[order], lo, hi)

    @staticmethod
    def _key(term: str) -> int:
        k = 0
        for i, ch in enumerate(term):
            k |= (ord(ch) + 1) << (21 * i)
        return k

    def columns(self, text: str) -> np.ndarray:
        text = self.WHITE.sub(" ", text.lower())
        c = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        parts = [c] if self.lo == 1 else []
        if self.lo <= 2 <= self.hi and len(c) >= 2:
            parts.append(c[:-1] | (c[1:] << 21))
        if self.hi >= 3 and len(c) >= 3:
            parts.append(c[:-2] | (c[1:-1] << 21) | (c[2:] << 42))
        if not parts:
            return np.empty(0, dtype=np.int64)
        grams = np.concatenate(parts)
        at = np.searchsorted(self.keys, grams)
        at[at >= len(self.keys)] = 0
        hit = self.keys[at] == grams
        return self.cols[at[hit]]


# a feature block: (CharKeys, or an analyzer callable with its vocabulary dict), IDF,
# sublinear TF, weights (features × classes)
Analyzer = CharKeys | tuple[Callable[[str], list[str]], dict[str, int]]
Block = tuple[Analyzer, np.ndarray, bool, np.ndarray]


def _tfidf(cols: np.ndarray, idf: np.ndarray, sublinear: bool) -> tuple[np.ndarray, np.ndarray]:
    """(columns, L2-normalised TF-IDF values) of one text, as scikit-learn computes them."""
    ix, tf = np.unique(cols, return_counts=True)
    v = tf.astype(np.float32)
    if sublinear:
        np.log(v, out=v)
        v += 1.0
    v *= idf[ix]
    norm = float(np.sqrt(v @ v))
    if norm > 0:
        v /= norm
    return ix, v


class Scorer:
    """Margins over the model's classes and similarity to the tree's nodes, from arrays.

    `blocks` are the vectorisers' features in column order; the keyword block follows them.
    Equal to scikit-learn's transform + decision_function within float32 rounding (tested
    through `classifier.Model.margins_sklearn`)."""

    def __init__(
        self,
        intercept: np.ndarray,
        blocks: list[Block],
        keyword_terms: list[tuple[str, tuple[str, ...]]] | None = None,
        keyword_scale: float = 0.0,
        keyword_weights: np.ndarray | None = None,
        tree: tuple[CharKeys, np.ndarray, bool, np.ndarray] | None = None,
        tree_size: int = 0,
    ) -> None:
        self.intercept = intercept
        self.blocks = blocks
        self.keyword_terms = keyword_terms or []
        self.keyword_scale = keyword_scale
        self.keyword_weights = keyword_weights
        self.tree = tree  # (keys, idf, sublinear, dense nodes matrix transposed)
        self.tree_size = tree_size

    def margins(self, texts: list[str]) -> np.ndarray:
        """SVM margins (one row per prepared text)."""
        out = np.empty((len(texts), len(self.intercept)), dtype=np.float32)
        for i, text in enumerate(texts):
            row = self.intercept.copy()
            for analyze, idf, sublinear, weights in self.blocks:
                if isinstance(analyze, CharKeys):
                    cols = analyze.columns(text)
                else:
                    fn, vocab = analyze
                    grams = fn(text)
                    # every term → its column or -1, without a Python-level loop
                    cols = np.fromiter(
                        map(vocab.get, grams, repeat(-1)), dtype=np.int64, count=len(grams)
                    )
                    cols = cols[cols >= 0]
                if not len(cols):
                    continue
                ix, v = _tfidf(cols, idf, sublinear)
                row += v @ weights[ix]
            if self.keyword_weights is not None:
                kv = keyword_vector(text, self.keyword_terms, self.keyword_scale)
                row += kv @ self.keyword_weights
            out[i] = row
        return out

    def tree_similarity(self, text: str) -> np.ndarray:
        """Cosine of the prepared text with every tree node (the finer levels)."""
        assert self.tree is not None
        keys, idf, sublinear, dense = self.tree
        cols = keys.columns(text)
        if not len(cols):
            return np.zeros(self.tree_size, dtype=np.float32)
        ix, v = _tfidf(cols, idf, sublinear)
        return v @ dense[ix]


class Suggesting:
    """What a model answers, the same for the trained `classifier.Model` and the arrays'
    `ServingModel`: needs `classes`, `tree_nodes`, `temperature` and `_fast()`."""

    classes: list[str]
    tree_nodes: list[str]
    info: dict
    segmenter: Segmenter

    @property
    def temperature(self) -> float:
        raise NotImplementedError

    def _fast(self) -> Any:  # a Scorer, or classifier.FastScorer (same methods)
        raise NotImplementedError

    def _has_tree(self) -> bool:
        raise NotImplementedError

    def margins(self, texts: list[str]) -> np.ndarray:
        """SVM margins over `self.classes` (one row per text), by the fast path."""
        return self._fast().margins([prep(t) for t in texts])

    def scores(self, texts: list[str]) -> np.ndarray:
        """Scores (rows sum to 1) over `self.classes` for each text."""
        d = self.margins(texts) * self.temperature
        d -= d.max(axis=1, keepdims=True)
        e = np.exp(d)
        return e / e.sum(axis=1, keepdims=True)

    def predict_many(self, texts: list[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """Top-k (category, score) per text, best first."""
        if not texts:
            return []
        s = self.scores(texts)
        order = np.argsort(-s, axis=1)[:, :k]
        return [[(self.classes[j], float(s[i, j])) for j in row] for i, row in enumerate(order)]

    def finer(self, text: str, level1: str, k: int = 3) -> list[tuple[str, float]]:
        """Level-2/3 paths under `level1` most similar to the text (cosine, 0–1), best first.

        No labels below the first level exist in the data, so this is similarity to the
        tree's own words, not a learnt score; nodes with no shared character pair are left out.
        """
        if not self._has_tree():
            return []
        idx = [i for i, n in enumerate(self.tree_nodes) if n.startswith(level1 + "/")]
        if not idx:
            return []
        sims = self._fast().tree_similarity(prep(text))[idx]
        ranked = sorted(zip(idx, sims, strict=True), key=lambda p: -p[1])
        out = [(self.tree_nodes[i], round(float(s), 3)) for i, s in ranked if s > 0]
        return out[:k]

    def suggest(self, text: str, k: int = 3) -> dict:
        """{"categories": [{"category", "score"}…], "finer": [{"path", "similarity"}…]}."""
        top = self.predict_many([text], k)[0]
        finer = self.finer(text, top[0][0]) if top else []
        return {
            "categories": [{"category": c, "score": round(s, 4)} for c, s in top],
            "finer": [{"path": p, "similarity": s} for p, s in finer],
        }


class ServingModel(Suggesting):
    """A stored model read from its arrays: suggests like the trained model, cannot be
    trained further or evaluated against scikit-learn (read the pickle for that)."""

    def __init__(
        self,
        scorer: Scorer,
        classes: list[str],
        tree_nodes: list[str],
        temperature: float,
        segmenter: Segmenter,
        info: dict,
    ) -> None:
        self.scorer = scorer
        self.classes = classes
        self.tree_nodes = tree_nodes
        self._temperature = temperature
        self.segmenter = segmenter
        self.info = info

    @property
    def temperature(self) -> float:
        return self._temperature

    def _fast(self) -> Scorer:
        return self.scorer

    def _has_tree(self) -> bool:
        return self.scorer.tree is not None


def save(model: Any, path: Path) -> bool:
    """Write `model`'s (a fitted classifier.Model) serving arrays to `path` (an open-able
    .npz path). False, and nothing written, when a block is not a plain character block
    (word features through jieba need the vectoriser: such a model is served from its pickle)."""
    fast = model._fast()
    if any(not isinstance(a, CharKeys) for a, *_ in fast.blocks):
        return False
    if fast.tree is None and model.tree_vec is not None:
        return False
    arrays: dict[str, np.ndarray] = {"intercept": fast.intercept}
    blocks = []
    for n, (keys, idf, sublinear, weights) in enumerate(fast.blocks):
        arrays.update({f"b{n}_keys": keys.keys, f"b{n}_cols": keys.cols})
        arrays.update({f"b{n}_idf": idf, f"b{n}_weights": weights})
        blocks.append({"lo": keys.lo, "hi": keys.hi, "sublinear": sublinear})
    if fast.keyword_weights is not None:
        arrays["keyword_weights"] = fast.keyword_weights
    tree = None
    if fast.tree is not None:
        keys, idf, sublinear, dense = fast.tree
        arrays.update({"tree_keys": keys.keys, "tree_cols": keys.cols})
        arrays.update({"tree_idf": idf, "tree_dense": dense})
        tree = {"lo": keys.lo, "hi": keys.hi, "sublinear": sublinear}
    meta = {
        "format": FORMAT,
        "classes": model.classes,
        "tree_nodes": model.tree_nodes,
        "keyword_terms": [[top, list(terms)] for top, terms in fast.keyword_terms],
        "keyword_scale": fast.keyword_scale,
        "temperature": model.temperature,
        "blocks": blocks,
        "tree": tree,
        "words": model.segmenter.words,
        "info": model.info,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    return True


def load(path: Path) -> ServingModel:
    """The ServingModel stored at `path` by `save` (no pickle read)."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown serving format {meta.get('format')!r} in {path}")
        blocks: list[Block] = []
        for n, b in enumerate(meta["blocks"]):
            keys = CharKeys(z[f"b{n}_keys"], z[f"b{n}_cols"], b["lo"], b["hi"])
            blocks.append((keys, z[f"b{n}_idf"], b["sublinear"], z[f"b{n}_weights"]))
        tree = None
        if meta["tree"] is not None:
            t = meta["tree"]
            keys = CharKeys(z["tree_keys"], z["tree_cols"], t["lo"], t["hi"])
            tree = (keys, z["tree_idf"], t["sublinear"], z["tree_dense"])
        scorer = Scorer(
            z["intercept"],
            blocks,
            [(top, tuple(terms)) for top, terms in meta["keyword_terms"]],
            meta["keyword_scale"],
            z["keyword_weights"] if "keyword_weights" in z.files else None,
            tree,
            len(meta["tree_nodes"]),
        )
    return ServingModel(
        scorer,
        meta["classes"],
        meta["tree_nodes"],
        meta["temperature"],
        Segmenter(meta["words"]),
        meta["info"],
    )
