"""The queue's deadline column: one form in Chinese, singular and plural in English (the
trial saw "1 hours left")."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from jiceng.cases.templatetags.cases_tags import time_left


def _case(seconds: float) -> SimpleNamespace:
    # a few seconds of slack: the tag reads the clock again
    return SimpleNamespace(
        closed_at=None, status="dispatched", deadline=timezone.now() + timedelta(seconds=seconds)
    )


@pytest.mark.parametrize(
    "seconds,zh,en",
    [
        (3600 + 30, "剩 1 小时", "1 hour left"),
        (2 * 3600 + 30, "剩 2 小时", "2 hours left"),
        (86400 + 30, "剩 1 天", "1 day left"),
        (3 * 86400 + 30, "剩 3 天", "3 days left"),
        (60 + 20, "剩 1 分钟", "1 minute left"),
        (-(86400 + 30), "超期 1 天", "1 day overdue"),
        (-(5 * 3600 + 30), "超期 5 小时", "5 hours overdue"),
    ],
)
def test_time_left_in_both_languages(seconds, zh, en):
    with translation.override("zh-hans"):
        assert time_left(_case(seconds)) == zh
    with translation.override("en"):
        assert time_left(_case(seconds)) == en
