"""The category classifier: character n-grams + words → a linear SVM, taught by a few
hundred labels plus what a county has besides labels.

Pure Python + scikit-learn; no Django here (the commands, the worker and the API wrap it).
scikit-learn and SciPy are imported by the functions that fit or transform (training, the
reference margins), not with the module: a server that only serves suggestions from the
stored arrays (`scorer`) never loads them (decision 0093).

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
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from jiceng.dispatch import weak
from jiceng.dispatch.scorer import Block, CharKeys, Scorer, Suggesting, keyword_vector
from jiceng.dispatch.scorer import prep as _prep
from jiceng.dispatch.text import Segmenter, taxonomy_terms, term_heads, usable

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

__all__ = ["CharKeys", "Corpus", "FastScorer", "Model", "Options", "TrainingError", "train"]


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


class Model(Suggesting):
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
        from sklearn.feature_extraction.text import TfidfVectorizer

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
        return keyword_vector(text, self.keyword_terms, self.options.keyword_scale)

    def features(self, texts: list[str]) -> csr_matrix:
        from scipy.sparse import csr_matrix, hstack

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
        from scipy.sparse import vstack

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
        from sklearn.svm import LinearSVC

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
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.tree_vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
        self.tree_matrix = self.tree_vec.fit_transform(docs).tocsr()

    # -- suggesting (scorer.Suggesting: margins, scores, predict_many, finer, suggest) -------
    @property
    def temperature(self) -> float:
        return self.options.temperature

    def _has_tree(self) -> bool:
        return self.tree_vec is not None and self.tree_matrix is not None

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


class FastScorer(Scorer):
    """The trained model's margins without scikit-learn's per-call machinery.

    A call to `TfidfVectorizer.transform` + `decision_function` for one text costs about a
    millisecond of validation and sparse-matrix building around 0.1 ms of real work. Here
    each block keeps the vectoriser's own analyzer (the same n-grams and words, so the same
    features), its vocabulary, its IDF and the SVM's weights of its columns as a dense
    (features × classes) float32 array: a text's margins are a gather of the rows of its
    features and one small matrix product — sublinear TF, IDF and L2 norm computed as
    scikit-learn does (`scorer.Scorer`, which the stored arrays are served by too). Equal to
    `Model.margins_sklearn` within float32 rounding (tested).
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
        coef, intercept = coef[cols], icpt[cols]
        blocks: list[Block] = []
        offset = 0
        for vec in (model.char_vec, model.word_vec):
            if vec is None:
                continue
            n = len(vec.vocabulary_)
            blocks.append(
                (
                    CharKeys.of(vec) or (vec.build_analyzer(), vec.vocabulary_),
                    np.asarray(vec.idf_, dtype=np.float32),
                    bool(vec.sublinear_tf),
                    np.ascontiguousarray(coef[:, offset : offset + n].T),
                )
            )
            offset += n
        self.model = model
        terms = getattr(model, "keyword_terms", None) or []  # models saved before keywords
        keyword_weights = None
        if terms:
            k = len(terms)
            keyword_weights = np.ascontiguousarray(coef[:, offset : offset + k].T)
            offset += k
        tree = None
        if model.tree_vec is not None and model.tree_matrix is not None:
            keys = CharKeys.of(model.tree_vec)
            if keys is not None:
                tree = (
                    keys,
                    np.asarray(model.tree_vec.idf_, dtype=np.float32),
                    bool(model.tree_vec.sublinear_tf),
                    np.ascontiguousarray(model.tree_matrix.T.toarray(), dtype=np.float32),
                )
        if offset != coef.shape[1]:
            raise ValueError("model features do not match its vectorisers")
        super().__init__(
            intercept,
            blocks,
            terms,
            model.options.keyword_scale,
            keyword_weights,
            tree,
            len(model.tree_nodes),
        )

    def tree_similarity(self, text: str) -> np.ndarray:
        """Cosine of the text with every tree node (the finer levels), as
        `tree_matrix @ tree_vec.transform([text]).T` gives it."""
        if self.tree is None:  # another analyzer: scikit-learn's path
            m = self.model
            assert m.tree_vec is not None and m.tree_matrix is not None
            q = m.tree_vec.transform([text])
            return (m.tree_matrix @ q.T).toarray().ravel()
        return super().tree_similarity(text)


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
