"""Static scripts' text follows the chosen language (decision 0069)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from jiceng.lib.jsi18n import JS_STRINGS, js_catalogue
from jiceng.testing import client_for

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
TR = re.compile(r"""(?<![\w.])tr\((['"])((?:(?!\1).)*)\1""")
STRING = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")


def _scripts() -> list[Path]:
    return [p for p in ROOT.glob("**/static/**/*.js") if "vendor" not in p.parts]


def test_every_chinese_string_of_a_script_goes_through_tr_and_is_listed():
    untranslated, unlisted = [], []
    for path in _scripts():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//", 1)[0] if not line.lstrip().startswith(("*", "/*")) else ""
            wrapped = {m.group(2) for m in TR.finditer(code)}
            unlisted += [(path.name, n, s) for s in wrapped if s not in JS_STRINGS]
            for lit in STRING.findall(TR.sub("", code)):
                if CJK.search(lit):
                    untranslated.append((path.name, n, lit))
    assert untranslated == []
    assert unlisted == []


def test_every_listed_string_has_english_with_the_same_placeholders():
    with translation.override("en"):
        catalogue = js_catalogue()
    missing = [s for s in JS_STRINGS if s not in catalogue]
    assert missing == []
    for s, t in catalogue.items():
        assert set(re.findall(r"\{\w+\}", s)) == set(re.findall(r"\{\w+\}", t)), s


@pytest.mark.django_db
def test_the_page_carries_the_catalogue_only_in_english(users):
    client = client_for(users.district)
    assert 'id="js-catalogue"' not in client.get("/command/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/command/").content.decode()
    block = re.search(r'<script id="js-catalogue" type="application/json">(.*?)</script>', html)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["● 重新连接中"] == "● Reconnecting"
    assert data["已结案"] == "Closed"  # a status the wall's script receives from the API
