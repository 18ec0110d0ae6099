from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiceng.cases.models import Category


@pytest.mark.django_db
@pytest.mark.shared_data
def test_the_shared_three_level_taxonomy_imports_and_reimports_idempotently(shared_data, capsys):
    path = shared_data / "complaints" / "taxonomy.csv"
    call_command("import_categories", str(path))
    n = Category.objects.count()
    leaves = Category.objects.filter(depth=3).count()
    assert leaves == 517 and n > leaves
    leaf = Category.objects.get(path="城乡建设/安全生产/安全隐患")
    assert leaf.parent.path == "城乡建设/安全生产" and len(leaf.code) == 6
    call_command("import_categories", str(path))
    assert Category.objects.count() == n
    assert "新增 0 个分类" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_csv_without_the_level_columns_is_refused(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="level1"):
        call_command("import_categories", str(p))
