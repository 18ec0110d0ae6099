import pytest

from jiceng.dispatch.text import MAX_CHARS, Segmenter, TextError, check, taxonomy_terms


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
