"""Strings of the static scripts, translated for the page (decision 0069).

Static files cannot use `{% translate %}`, so a script wraps its Chinese text in
`tr("…")` (a four-line helper at the top of each script) and the page carries the English
for those strings in one JSON block, `<script type="application/json" id="js-catalogue">`,
rendered by base.html when the chosen language is not Chinese. The msgids are listed here
so that makemessages puts them in the one catalogue; `jiceng/lib/tests/test_jsi18n.py`
fails when a script has Chinese outside `tr()` or a `tr()` string that is not listed here.
Placeholders are `{name}`, filled by the script: `tr("共 {n} 个网格", {n: 12})`.
"""

from __future__ import annotations

from django.utils.translation import get_language, gettext, gettext_noop

JS_STRINGS: tuple[str, ...] = (
    gettext_noop("{b}: {c} 件 ({d}%)"),
    gettext_noop("{h} 户 · {p} 人"),
    gettext_noop("{level}级"),
    gettext_noop("{n} 个区域"),
    gettext_noop("● 实时"),
    gettext_noop("● 重新连接中"),
    gettext_noop("。"),
    gettext_noop("一键报警"),
    gettext_noop("不在岗"),
    gettext_noop("专属网格"),
    gettext_noop("共 {n} 个网格"),
    gettext_noop("加载中…"),
    gettext_noop("加载失败，请稍后重试"),
    gettext_noop("加载失败："),
    gettext_noop("另有 {n} 个，请输入更完整的名称"),
    gettext_noop("在办 {open} · 超期 {overdue}"),
    gettext_noop("在办诉求（{n}）"),
    gettext_noop("已定位（精度约 {m} 米）"),
    gettext_noop("已由{by}接警"),
    gettext_noop("建议承办："),
    gettext_noop("建议服务暂不可用"),
    gettext_noop("当日没有轨迹"),
    gettext_noop("打开网格页 ›"),
    gettext_noop("报警"),
    gettext_noop("接警"),
    gettext_noop("无"),
    gettext_noop("智能分类建议："),
    gettext_noop("暂无在办诉求"),
    gettext_noop("暂无建议"),
    gettext_noop("更新于 {time}"),
    gettext_noop("未能定位，请打开手机定位"),
    gettext_noop("正在加载网格…"),
    gettext_noop("没有找到“{q}”"),
    gettext_noop("综合网格"),
    gettext_noop("网格力量"),
    gettext_noop("网络不通，位置已暂存，恢复后自动上报"),
    gettext_noop("（"),
    gettext_noop("（{level}级）"),
    gettext_noop("（区域过多，请放大查看）"),
    gettext_noop("（细分）"),
    gettext_noop("）"),
)


def _labels() -> list[str]:
    """Labels that scripts receive as data from the API (a case's status, channel, tier)
    and show as they are: `tr(e.channel_label)` translates them like page text."""
    from jiceng.cases.models import Channel, Tier
    from jiceng.cases.workflow import Status

    return [str(label) for c in (Status, Channel, Tier) for _, label in c.choices]


def js_catalogue() -> dict[str, str]:
    """Chinese → the chosen language, for the strings that have a translation; {} in Chinese."""
    if (get_language() or "").startswith("zh"):
        return {}
    out = {}
    for s in (*JS_STRINGS, *_labels()):
        t = gettext(s)
        if t != s:
            out[s] = t
    return out
