"""The PDF report embeds a CJK font, so a reader without Adobe's Asian font pack still
shows the Chinese; without an embeddable font it falls back, saying so (decision 0099)."""

from __future__ import annotations

import logging
import os
import re

import pytest

from jiceng.assessment import exports
from jiceng.assessment.periods import parse

FOUND = [p for p in exports.FONT_FILES if os.path.isfile(p)]
# reportlab writes a TrueType subset as /BaseFont /AAAAAA+<name> with its glyphs in /FontFile2
EMBEDDED_SUBSET = re.compile(rb"/BaseFont /[A-Z]{6}\+[^\s/]+")


@pytest.fixture
def report(users, october, monkeypatch):
    monkeypatch.setattr(exports, "_fonts", {})  # each test resolves its font again
    span = parse("month", "2026-10-01", None)
    sheets = exports.collect(users.district, span)
    assert sheets
    return lambda: exports.pdf(sheets, span, "three_rates")


@pytest.mark.skipif(not FOUND, reason="no CJK TrueType font installed (./dev installs "
                    "fonts-wqy-microhei): nothing to embed")  # fmt: skip
def test_the_pdf_embeds_a_subset_of_the_cjk_font_when_the_file_is_there(report, settings):
    settings.JICENG_PDF_FONT = ""
    pdf = report()
    assert pdf.startswith(b"%PDF")
    assert EMBEDDED_SUBSET.search(pdf), "no embedded font subset"
    assert b"/FontFile2" in pdf  # the TrueType glyphs are in the file
    assert b"STSong-Light" not in pdf  # no text left in a font the reader must supply
    # the configured file is the one used
    settings.JICENG_PDF_FONT = FOUND[0]
    assert EMBEDDED_SUBSET.search(report())


@pytest.mark.parametrize("setting", ["unusable", "none-found", "builtin"])
def test_without_an_embeddable_font_the_pdf_falls_back_to_stsong_and_says_so(
    report, settings, monkeypatch, tmp_path, caplog, setting
):
    if setting == "unusable":  # a file reportlab cannot read as a TrueType font
        bad = tmp_path / "not-a-font.ttf"
        bad.write_bytes(b"this is not a font")
        settings.JICENG_PDF_FONT = str(bad)
    elif setting == "none-found":
        settings.JICENG_PDF_FONT = ""
        monkeypatch.setattr(exports, "FONT_FILES", ())
    else:
        settings.JICENG_PDF_FONT = "builtin"  # chosen on purpose: no warning
    with caplog.at_level(logging.WARNING, logger="jiceng.assessment.exports"):
        pdf = report()
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    assert not EMBEDDED_SUBSET.search(pdf)
    warned = [r.getMessage() for r in caplog.records if "not embedded" in r.getMessage()]
    assert bool(warned) == (setting != "builtin"), caplog.text
