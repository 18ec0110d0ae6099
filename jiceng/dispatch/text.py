"""Text handling for dispatch: bounds, cleaning, and a jieba segmenter with the county's
own dictionary (place names from the territory, terms from the category tree).

Bounds (why): a hotline message is a few hundred characters; the 政务留言 data's longest
body is about 8,000. A request above `MAX_CHARS` is refused (API) — a classifier does not
need more than the first `MODEL_CHARS` characters to decide, so longer texts in a CSV are
cut there, never refused, so that every row gets an answer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MAX_CHARS = 5000  # the API refuses longer texts (error code "text_too_long")
MODEL_CHARS = 3000  # what the model reads of a text
MIN_CHARS = 2  # fewer meaningful characters than this: nothing to classify

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORDY = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_SPACE = re.compile(r"\s+")
_PUNCT_TOKEN = re.compile(r"^[\W_]+$")
# words that carry no matter (stop words); numbers are dropped separately
STOP_WORDS = frozenset(
    "的 了 是 我 我们 你 您 他 她 它 在 和 与 及 或 也 都 就 还 又 而 但 但是 因为 所以 如果 "
    "这 那 这个 那个 这些 那些 有 没有 没 不 被 把 对 向 从 到 给 让 为 为了 以 之 其 该 "
    "一个 一些 什么 怎么 如何 为何 为什么 请 请问 希望 能否 能 可以 是否 已经 现在 目前 "
    "问题 情况 相关 有关 反映 咨询 投诉 建议 关于 领导 你好 您好 谢谢 感谢 市 区 县".split()
)


class TextError(ValueError):
    """A text that cannot be classified; `code` is the API error code, the message Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters (NUL and friends from binary input)."""
    if not text.replace("\n", " ").replace("\t", " ").isprintable():  # the rare slow path
        text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t ")
    return _SPACE.sub(" ", text).strip()


def check(text: object, *, limit: int = MAX_CHARS) -> str:
    """The cleaned text, or TextError: empty, too long, binary, or with nothing to read.

    Codes: "text_empty", "text_too_long", "text_binary", "text_not_chinese".
    """
    if not isinstance(text, str):
        raise TextError("text_binary", "诉求内容必须是文本")
    if "\x00" in text or text.count("\ufffd") > 3:
        raise TextError("text_binary", "诉求内容含有二进制或乱码字符，请输入文字")
    if len(text) > limit:
        raise TextError("text_too_long", f"诉求内容过长（{len(text)} 字），请控制在 {limit} 字以内")
    t = clean(text)
    if not t:
        raise TextError("text_empty", "请输入诉求内容")
    if len(_CJK.findall(t)) < MIN_CHARS:
        if not _WORDY.search(t):
            raise TextError("text_empty", "诉求内容只有标点符号，无法给出分类建议")
        raise TextError("text_not_chinese", "诉求内容需包含中文描述，才能给出分类建议")
    return t


def usable(text: str) -> bool:
    """True when `check` would accept the text (ignoring the length bound)."""
    try:
        check(text, limit=10**9)
    except TextError:
        return False
    return True


class Segmenter:
    """A jieba tokenizer of its own (the global one stays untouched), with the county's words.

    `words` are added with a high frequency so that 城关镇 or 养老保险 stay one token.
    Thread-safe for reading after construction. jieba is imported and its dictionary read
    (about a second) on the first `tokens` call, not at construction: a process that loads a
    model only to suggest never cuts words (decision 0093).
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = sorted({w.strip() for w in words if 2 <= len(w.strip()) <= 20})
        self._tok: Any = None
        self._lock = threading.Lock()
        self._ready = False
        # training reads each text twice (vocabulary, then features): remember the cuts
        # while `memo` is a dict; None outside training so memory stays flat
        self.memo: dict[str, list[str]] | None = None

    def _init(self) -> None:
        with self._lock:
            if self._ready:
                return
            import jieba

            jieba.setLogLevel(60)
            tok = jieba.Tokenizer()
            tok.initialize()
            for w in self.words:
                tok.add_word(w, freq=2000)
            self._tok = tok
            self._ready = True

    def tokens(self, text: str) -> list[str]:
        """Words of `text` without punctuation, numbers and stop words."""
        if self.memo is not None and text in self.memo:
            return self.memo[text]
        if not self._ready:
            self._init()
        out = []
        for w in self._tok.lcut(text):
            w = w.strip()
            if len(w) < 1 or _PUNCT_TOKEN.match(w) or w.isdigit() or w in STOP_WORDS:
                continue
            out.append(w)
        if self.memo is not None:
            self.memo[text] = out
        return out

    def __getstate__(self) -> dict:
        # jieba's tokenizer is rebuilt after unpickling (it holds a large prefix dict)
        return {"words": self.words}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["words"])  # type: ignore[misc]


def taxonomy_terms(paths: Iterable[str]) -> set[str]:
    """Dictionary words from category paths: every node name except 其他, split on 和/与/、."""
    out: set[str] = set()
    for p in paths:
        for name in p.split("/"):
            name = name.strip()
            if not name or name == "其他":
                continue
            out.add(name)
            for part in re.split(r"[和与、及]", name):
                if len(part) >= 2:
                    out.add(part)
    return out


# what a tree node's name ends with that a caller does not say: "特种设备管理" is asked about as
# 特种设备, "物价监督" as 物价 (decision 0089)
_NODE_SUFFIX = re.compile(
    r"(管理|监督|监管|监控|发展战略|发展|战略|标准化|服务|问题|建设|保障|工作)$"
)


def term_heads(terms: Iterable[str]) -> set[str]:
    """The terms plus each one without a generic suffix (管理, 监督, 发展…), ≥ 2 characters:
    {"特种设备管理", "物价监督"} → also {"特种设备", "物价"}."""
    out = set(terms)
    for t in terms:
        head = _NODE_SUFFIX.sub("", t)
        if len(head) >= 2:
            out.add(head)
    return out
