"""The category classifier: character n-grams + words → a linear SVM, taught by a few
hundred labels plus what a county has besides labels.

Pure Python + scikit-learn; no Django here (the commands, the worker and the API wrap it).

Training data (`Corpus`):
- `labelled`: (text, first-level category) — the county's closed cases or an imported file;
- `replies`: (text, reply) — old messages with the official reply; the department the reply
  names gives a weak label (`weak.label_from_reply`), weighted below a real label;
- `unlabelled`: texts — their words shape the vocabulary and IDF, and confident
  predictions on them are added back (self-training), weighted like weak labels;
- `tree`: category paths (一级/二级/三级) — the finer levels under the predicted first
  level are ranked by similarity to the tree's own words, and the words join the segmenter.

What each part adds is measured by `evaluate.cross_validate` with `Options` switched off one
at a time (figures in docs/decisions/0042-dispatch-classifier.md).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field
from itertools import repeat

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from jiceng.dispatch import weak
from jiceng.dispatch.text import (
    MODEL_CHARS,
    Segmenter,
    clean,
    taxonomy_terms,
    term_heads,
    usable,
)


@dataclass(frozen=True)
class Options:
    """Switches and weights; the defaults are what the decision note measured."""

    # jieba word features beside the character n-grams: off since decision 0067 — with the
    # keyword block they tie on the development CV (0.839 accuracy either way) and cost
    # three times the CPU per text (jieba is ~70 % of a classification)
    words: bool = False
    vocab_from_all: bool = True  # vocabulary/IDF from unlabelled + replies too (no labels used)
    weak_replies: bool = True  # department named in a reply → weak label
    other_class: bool = True  # replies of other departments → an "other" class never suggested
    # add confident predictions on unlabelled messages: measured no gain on the dev CV
    # (0.808 → 0.808 accuracy) at 30 % more training time, so off by default
    self_training: bool = False
    weak_weight: float = 0.3  # sample weight of a weak or self-trained label (real = 1)
    self_rounds: int = 2
    self_fraction: float = 0.3  # share of the unlabelled messages added each round (largest margin)
    C: float = 0.3  # development CV: 0.3 > 1 > 3 > 0.1 (decision 0067); hinge: 0.1 ≈ 0.3 ≈ 1
    # the SVM's loss: "hinge" (development CV 0.853 → 0.877 accuracy, 0.861 → 0.880 macro-F1
    # over "squared_hinge", and on three other seeds 0.857 → 0.873; decision 0089) — the
    # squared hinge lets a few noisy weak labels far on the wrong side pull the plane
    loss: str = "hinge"
    # the hinge is solved in the dual, which does not converge on large sets (10,000 cases:
    # 3,000 iterations, 2 × the CPU of the squared hinge's 34) — above this many training
    # rows the squared hinge is used; with that many real labels the weak ones matter less
    hinge_max_rows: int = 20_000
    char_max: int = 3  # longest character n-gram
    # the tree's own words as features: per first-level category, log(1 + how many of its
    # level-2/3 names (split at 和/与/、/及) the text contains), × keyword_scale
    keywords: bool = True
    keyword_scale: float = 0.25  # development CV: 0.25 ≥ 0.5 > 1 (decision 0067)
    # each name also without its generic suffix (特种设备管理 → 特种设备, 物价监督 → 物价):
    # development CV 0.839 → 0.853 accuracy, macro-F1 0.833 → 0.861 (decision 0089)
    keyword_heads: bool = True
    max_char_features: int = 150_000
    # scores = softmax(temperature × SVM margin); 18 minimises the log-loss of the development
    # CV's out-of-fold hinge margins (15 → 0.570, 20 → 0.570, 3 → 1.24): with 3 the mean top
    # score was 0.34 at 0.875 accuracy — the score meant nothing; at 18 it is ≈ 0.83
    # (decision 0089)
    temperature: float = 18.0


@dataclass
class Corpus:
    labelled: list[tuple[str, str]]
    unlabelled: list[str] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)
    tree: list[str] = field(default_factory=list)  # "一级/二级/三级" paths
    places: list[str] = field(default_factory=list)  # place names for the segmenter


class TrainingError(ValueError):
    """Training data that cannot make a model (Chinese message)."""


def _prep(text: str) -> str:
    return clean(text)[:MODEL_CHARS]


class Model:
    """A trained classifier. `suggest(text)` → ranked first-level categories with scores
    and the finer levels of the best one; `predict_many(texts)` → the top first levels."""

    def __init__(self, options: Options, segmenter: Segmenter) -> None:
        self.options = options
        self.segmenter = segmenter
        self.char_vec: TfidfVectorizer | None = None
        self.word_vec: TfidfVectorizer | None = None
        self.svm: LinearSVC | None = None
        self.classes: list[str] = []  # the categories that can be suggested (no OTHER)
        self.tree: list[str] = []
        self.tree_vec: TfidfVectorizer | None = None
        self.tree_nodes: list[str] = []
        self.tree_matrix: csr_matrix | None = None
        self.keyword_terms: list[tuple[str, tuple[str, ...]]] = []  # (level 1, its terms)
        self.info: dict = {}

    # -- features ---------------------------------------------------------------------------
    def _fit_vocab(self, texts: list[str]) -> None:
        # a word seen once is noise in thousands of texts but all there is in a dozen
        min_df = 2 if len(texts) >= 200 else 1
        self.char_vec = TfidfVectorizer(
            analyzer="char",
            ngram_range=(1, self.options.char_max),
            sublinear_tf=True,
            min_df=min_df,
            max_features=self.options.max_char_features,
            dtype=np.float32,
        )
        self.char_vec.fit(texts)
        if self.options.words:
            self.word_vec = TfidfVectorizer(
                tokenizer=self.segmenter.tokens,
                token_pattern=None,
                lowercase=False,
                sublinear_tf=True,
                min_df=min_df,
                dtype=np.float32,
            )
            self.word_vec.fit(texts)
        # the pruned terms are kept by sklearn only for introspection: most of the file size
        for vec in (self.char_vec, self.word_vec):
            if vec is not None and hasattr(vec, "stop_words_"):
                del vec.stop_words_

    def _fit_keywords(self, paths: list[str]) -> None:
        by_top: dict[str, set[str]] = {}
        for p in paths:
            top, _, rest = p.strip("/").partition("/")
            if top and rest:
                words = {w for w in taxonomy_terms([rest]) if len(w) >= 2}
                if self.options.keyword_heads:
                    words = term_heads(words)
                by_top.setdefault(top, set()).update(words)
        self.keyword_terms = [(top, tuple(sorted(ws))) for top, ws in sorted(by_top.items()) if ws]

    def keyword_vector(self, text: str) -> np.ndarray:
        """The keyword block of one text (see Options.keywords)."""
        scale = self.options.keyword_scale
        has = text.__contains__
        return np.array(
            [math.log1p(sum(map(has, terms))) * scale for _, terms in self.keyword_terms],
            dtype=np.float32,
        )

    def features(self, texts: list[str]) -> csr_matrix:
        assert self.char_vec is not None
        parts = [self.char_vec.transform(texts)]
        if self.word_vec is not None:
            parts.append(self.word_vec.transform(texts))
        if getattr(self, "keyword_terms", None):  # models saved before keywords had none
            parts.append(csr_matrix(np.vstack([self.keyword_vector(t) for t in texts])))
        return hstack(parts).tocsr() if len(parts) > 1 else parts[0].tocsr()

    # -- training ---------------------------------------------------------------------------
    def fit(self, corpus: Corpus) -> Model:
        started = time.perf_counter()
        own_memo = self.segmenter.memo is None
        if own_memo:
            self.segmenter.memo = {}
        try:
            self._fit(corpus)
        finally:
            if own_memo:
                self.segmenter.memo = None
        self.info["seconds"] = round(time.perf_counter() - started, 2)
        return self

    def _fit(self, corpus: Corpus) -> None:
        o = self.options
        lab = [(_prep(t), c) for t, c in corpus.labelled if usable(t) and c]
        if len({c for _, c in lab}) < 2:
            raise TrainingError("训练数据至少需要两个类别的有效文本")
        self.classes = sorted({c for _, c in lab})
        known = set(self.classes)
        unl = [_prep(t) for t in corpus.unlabelled if usable(t)]
        rep_texts = [(_prep(t), r) for t, r in corpus.replies if usable(t)]
        X = [t for t, _ in lab]
        if o.keywords:
            self._fit_keywords(corpus.tree)
        vocab_texts = X + (unl + [t for t, _ in rep_texts] if o.vocab_from_all else [])
        self._fit_vocab(vocab_texts)
        FX = self.features(X)
        Y = np.array([c for _, c in lab], dtype=object)
        W = np.ones(len(Y))
        weak_n = 0
        if o.weak_replies and rep_texts:
            pairs = [(t, weak.label_from_reply(r, known)) for t, r in rep_texts]
            pairs = [(t, c) for t, c in pairs if c and (o.other_class or c != weak.OTHER)]
            if pairs:
                weak_n = len(pairs)
                FX = vstack([FX, self.features([t for t, _ in pairs])]).tocsr()
                Y = np.concatenate([Y, np.array([c for _, c in pairs], dtype=object)])
                W = np.concatenate([W, np.full(len(pairs), o.weak_weight)])
        svm = self._svm(FX, Y, W, o.C, self._loss(FX.shape[0]))
        self_n = 0
        if o.self_training and unl:
            FU = self.features(unl)
            for _ in range(o.self_rounds):
                d = svm.decision_function(FU)
                top2 = np.sort(d, axis=1)[:, -2:]
                margin = top2[:, 1] - top2[:, 0]
                keep = margin >= np.quantile(margin, 1 - o.self_fraction)
                guess = svm.classes_[d.argmax(axis=1)]
                self_n = int(keep.sum())
                svm = self._svm(
                    vstack([FX, FU[keep]]).tocsr(),
                    np.concatenate([Y, guess[keep]]),
                    np.concatenate([W, np.full(self_n, o.weak_weight)]),
                    o.C,
                    self._loss(FX.shape[0] + self_n),
                )
        self.svm = svm
        self._fit_tree(corpus.tree)
        self.info = {
            "labelled": len(lab),
            "weak_from_replies": weak_n,
            "self_trained": self_n,
            "unlabelled": len(unl),
            "classes": self.classes,
            "features": int(FX.shape[1]),
            "loss": self._loss(FX.shape[0]),
            "options": asdict(o),
        }

    def _loss(self, rows: int = 0) -> str:
        o = self.options
        return o.loss if o.loss != "hinge" or rows <= o.hinge_max_rows else "squared_hinge"

    @staticmethod
    def _svm(X, y, w, C: float = 1.0, loss: str = "squared_hinge") -> LinearSVC:
        # hinge is solved in the dual only: 141 iterations on the 政务留言 data
        svm = LinearSVC(C=C, class_weight="balanced", loss=loss, max_iter=2000)
        # class_weight and sample weights multiply: weak rows stay below real ones
        return svm.fit(X, y, sample_weight=w)

    def _fit_tree(self, paths: list[str]) -> None:
        """Finer levels: each level-2/3 node is described by its own name and its children's."""
        self.tree = sorted({p.strip("/") for p in paths if p.strip("/")})
        nodes: dict[str, list[str]] = {}
        for p in self.tree:
            parts = p.split("/")
            for depth in (2, 3):
                if len(parts) >= depth:
                    node = "/".join(parts[:depth])
                    nodes.setdefault(node, []).extend(
                        n for n in parts[1:] if n != "其他" and n not in nodes.get(node, [])
                    )
        self.tree_nodes = sorted(nodes)
        if not self.tree_nodes:
            self.tree_vec, self.tree_matrix = None, None
            return
        docs = [" ".join(nodes[n]) for n in self.tree_nodes]
        self.tree_vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
        self.tree_matrix = self.tree_vec.fit_transform(docs).tocsr()

    # -- suggesting -------------------------------------------------------------------------
    def margins(self, texts: list[str]) -> np.ndarray:
        """SVM margins over `self.classes` (one row per text), by the fast path."""
        return self._fast().margins([_prep(t) for t in texts])

    def margins_sklearn(self, texts: list[str]) -> np.ndarray:
        """The same margins through scikit-learn's transform + decision_function (the
        reference the fast path is tested against)."""
        assert self.svm is not None
        d = self.svm.decision_function(self.features([_prep(t) for t in texts]))
        if d.ndim == 1:  # two classes: sklearn gives one column
            d = np.stack([-d, d], axis=1)
        cols = [list(self.svm.classes_).index(c) for c in self.classes]
        return d[:, cols]

    def _fast(self) -> FastScorer:
        fast = self.__dict__.get("_fast_scorer")
        if fast is None:
            fast = self.__dict__["_fast_scorer"] = FastScorer(self)
        return fast

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_fast_scorer", None)  # rebuilt from the vectorisers after loading
        return state

    def scores(self, texts: list[str]) -> np.ndarray:
        """Scores (rows sum to 1) over `self.classes` for each text."""
        d = self.margins(texts) * self.options.temperature
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
        if self.tree_vec is None or self.tree_matrix is None:
            return []
        idx = [i for i, n in enumerate(self.tree_nodes) if n.startswith(level1 + "/")]
        if not idx:
            return []
        sims = self._fast().tree_similarity(_prep(text))[idx]
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
    def of(cls, vec: TfidfVectorizer) -> CharKeys | None:
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


class FastScorer:
    """The trained model's margins without scikit-learn's per-call machinery.

    A call to `TfidfVectorizer.transform` + `decision_function` for one text costs about a
    millisecond of validation and sparse-matrix building around 0.1 ms of real work. Here
    each block keeps the vectoriser's own analyzer (the same n-grams and words, so the same
    features), its vocabulary, its IDF and the SVM's weights of its columns as a dense
    (features × classes) float32 array: a text's margins are a gather of the rows of its
    features and one small matrix product — sublinear TF, IDF and L2 norm computed as
    scikit-learn does. Equal to `Model.margins_sklearn` within float32 rounding (tested).
    """

    def __init__(self, model: Model) -> None:
        assert model.svm is not None and model.char_vec is not None
        coef = np.asarray(model.svm.coef_, dtype=np.float32)
        icpt = np.asarray(model.svm.intercept_, dtype=np.float32)
        classes = list(model.svm.classes_)
        if coef.shape[0] == 1:  # two classes: one hyperplane, margins ∓d
            coef = np.vstack([-coef, coef])
            icpt = np.array([-icpt[0], icpt[0]], dtype=np.float32)
        cols = [classes.index(c) for c in model.classes]
        coef, self.intercept = coef[cols], icpt[cols]
        self.blocks = []
        offset = 0
        for vec in (model.char_vec, model.word_vec):
            if vec is None:
                continue
            n = len(vec.vocabulary_)
            self.blocks.append(
                (
                    CharKeys.of(vec) or vec.build_analyzer(),
                    vec.vocabulary_,
                    np.asarray(vec.idf_, dtype=np.float32),
                    bool(vec.sublinear_tf),
                    np.ascontiguousarray(coef[:, offset : offset + n].T),
                )
            )
            offset += n
        self.model = model
        self.keyword_weights = None
        if getattr(model, "keyword_terms", None):
            k = len(model.keyword_terms)
            self.keyword_weights = np.ascontiguousarray(coef[:, offset : offset + k].T)
            offset += k
        self.tree_keys = None
        if model.tree_vec is not None and model.tree_matrix is not None:
            self.tree_keys = CharKeys.of(model.tree_vec)
            self.tree_idf = np.asarray(model.tree_vec.idf_, dtype=np.float32)
            self.tree_sublinear = bool(model.tree_vec.sublinear_tf)
            self.tree_dense = np.ascontiguousarray(model.tree_matrix.T.toarray(), dtype=np.float32)
        if offset != coef.shape[1]:
            raise ValueError("model features do not match its vectorisers")

    def tree_similarity(self, text: str) -> np.ndarray:
        """Cosine of the text with every tree node (the finer levels), as
        `tree_matrix @ tree_vec.transform([text]).T` gives it."""
        m = self.model
        assert m.tree_vec is not None and m.tree_matrix is not None
        if self.tree_keys is None:  # another analyzer: scikit-learn's path
            q = m.tree_vec.transform([text])
            return (m.tree_matrix @ q.T).toarray().ravel()
        cols = self.tree_keys.columns(text)
        if not len(cols):
            return np.zeros(len(m.tree_nodes), dtype=np.float32)
        ix, tf = np.unique(cols, return_counts=True)
        v = tf.astype(np.float32)
        if self.tree_sublinear:
            np.log(v, out=v)
            v += 1.0
        v *= self.tree_idf[ix]
        v /= float(np.sqrt(v @ v))
        return v @ self.tree_dense[ix]

    def margins(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), len(self.intercept)), dtype=np.float32)
        for i, text in enumerate(texts):
            row = self.intercept.copy()
            for analyze, vocab, idf, sublinear, weights in self.blocks:
                if isinstance(analyze, CharKeys):
                    cols = analyze.columns(text)
                else:
                    grams = analyze(text)
                    # every term → its column or -1, without a Python-level loop
                    cols = np.fromiter(
                        map(vocab.get, grams, repeat(-1)), dtype=np.int64, count=len(grams)
                    )
                    cols = cols[cols >= 0]
                if not len(cols):
                    continue
                ix, tf = np.unique(cols, return_counts=True)
                v = tf.astype(np.float32)
                if sublinear:
                    np.log(v, out=v)
                    v += 1.0
                v *= idf[ix]
                norm = float(np.sqrt(v @ v))
                if norm > 0:
                    row += (v / norm) @ weights[ix]
            if self.keyword_weights is not None:
                row += self.model.keyword_vector(text) @ self.keyword_weights
            out[i] = row
        return out


def segmenter_for(corpus: Corpus) -> Segmenter:
    """A segmenter with the corpus's place names and tree terms as its user dictionary."""
    return Segmenter(set(corpus.places) | taxonomy_terms(corpus.tree))


def train(
    corpus: Corpus, options: Options | None = None, segmenter: Segmenter | None = None
) -> Model:
    """A fitted Model; TrainingError when the labels cannot make one. A `segmenter` with a
    `memo` dict may be shared by repeated trainings (cross-validation) to cut once."""
    return Model(options or Options(), segmenter or segmenter_for(corpus)).fit(corpus)


def softmax_entropy(scores: list[float]) -> float:
    """Normalised entropy 0–1 of a score list (0 = sure); for the page's confidence hint."""
    if len(scores) < 2:
        return 0.0
    h = -sum(p * math.log(p) for p in scores if p > 0)
    return h / math.log(len(scores))
