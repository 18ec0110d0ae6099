import pytest

from jiceng.dispatch.classifier import Model, Options
from jiceng.dispatch.text import (
    MAX_CHARS,
    Segmenter,
    TextError,
    check,
    taxonomy_terms,
    term_heads,
)


@pytest.mark.parametrize(
    "text,code",
    [
        ("", "text_empty"),
        ("   \n\t ", "text_empty"),
        ("？！。，……!!!", "text_empty"),
        ("The street light is broken", "text_not_chinese"),
        ("路" * (MAX_CHARS + 1), "text_too_long"),
        ("路灯\x00坏了\x00", "text_binary"),
        (b"\xff\xfe", "text_binary"),
        (None, "text_binary"),
    ],
)
def test_bad_text_has_a_clear_code(text, code):
    with pytest.raises(TextError) as exc:
        check(text)
    assert exc.value.code == code
    assert exc.value.message  # Chinese message for the page/API


def test_good_text_is_cleaned():
    assert check("  小区路灯\n\n坏了  ") == "小区路灯 坏了"


def test_segmenter_keeps_county_words_whole():
    seg = Segmenter(["蒲溪镇", "农民工权益"])
    toks = seg.tokens("蒲溪镇的农民工权益问题")
    assert "蒲溪镇" in toks and "农民工权益" in toks
    assert "的" not in toks and "问题" not in toks


def test_taxonomy_terms_split_compound_names():
    terms = taxonomy_terms(["城乡建设/住房保障与房地产/物业服务", "城乡建设/其他/其他"])
    assert {"城乡建设", "住房保障与房地产", "住房保障", "房地产", "物业服务"} <= terms
    assert "其他" not in terms


@pytest.mark.parametrize(
    "term,heads",
    [
        ("特种设备管理", {"特种设备管理", "特种设备"}),
        ("物价监督", {"物价监督", "物价"}),
        ("贸易发展战略", {"贸易发展战略", "贸易"}),
        ("认证认可标准化", {"认证认可标准化", "认证认可"}),
        ("景区管理", {"景区管理", "景区"}),
        ("传销", {"传销"}),  # nothing generic to strip
        ("管理", {"管理"}),  # the suffix alone is not a head
    ],
)
def test_tree_names_also_count_without_their_generic_suffix(term, heads):
    assert term_heads([term]) == heads


def test_keyword_block_finds_what_callers_say_not_the_node_name():
    tree = ["商贸旅游/市场监管/特种设备管理", "城乡建设/住房管理/物业管理"]
    text = "小区电梯属于特种设备，一直没有年检"
    with_heads = Model(Options(), Segmenter())
    with_heads._fit_keywords(tree)
    without = Model(Options(keyword_heads=False), Segmenter())
    without._fit_keywords(tree)
    tops = [top for top, _ in with_heads.keyword_terms]
    hit = dict(zip(tops, with_heads.keyword_vector(text), strict=True))
    assert hit["商贸旅游"] > 0 and hit["城乡建设"] == 0
    assert not without.keyword_vector(text).any()


@pytest.mark.parametrize(
    "loss,rows,used",
    [
        ("hinge", 2_000, "hinge"),  # a county's few hundred labels + weak labels
        ("hinge", 20_000, "hinge"),
        ("hinge", 20_001, "squared_hinge"),  # many closed cases: the dual would not converge
        ("squared_hinge", 500, "squared_hinge"),
    ],
)
def test_svm_loss_by_training_size(loss, rows, used):
    assert Model(Options(loss=loss), Segmenter())._loss(rows) == used
