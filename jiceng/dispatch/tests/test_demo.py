import io

import pytest

from jiceng.dispatch import store


@pytest.mark.django_db
def test_the_demo_trains_a_model_from_its_closed_cases(territory, model_dir):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.cases import demo as cases_demo
    from jiceng.core.demo import DemoContext
    from jiceng.dispatch import demo

    ctx = DemoContext(scale=0.3, out=io.StringIO())
    accounts_demo.build(ctx)
    cases_demo.build(ctx)
    demo.build(ctx)
    entry = store.current_entry(ctx.county_code)
    assert entry is not None and entry["source"].startswith("cases:")
    assert len(entry["info"]["classes"]) >= 3
    assert "智能派单：模型 v1" in ctx.out.getvalue()
