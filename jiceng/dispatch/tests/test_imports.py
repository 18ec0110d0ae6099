"""A server loads its URL map without the scientific stack (decision 0093): scikit-learn,
SciPy and jieba are imported when a model is trained or read from its pickle, or words are
cut — not when the dispatch app's views and API are imported."""

import json
import os
import subprocess
import sys

HEAVY = ("sklearn", "scipy", "jieba", "openpyxl", "reportlab")


def test_the_url_map_imports_no_scientific_stack():
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "import jiceng.urls\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        f"print(json.dumps(sorted(n for n in {HEAVY!r} if n in sys.modules)))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiceng.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
