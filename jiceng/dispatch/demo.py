"""Demo county: train the dispatch model from the demo's own closed cases (seconds)."""

from __future__ import annotations

from jiceng.dispatch.classifier import TrainingError


def build(ctx) -> None:
    from jiceng.dispatch.services import retrain_from_cases

    try:
        entry = retrain_from_cases(ctx.county_code)
    except TrainingError as exc:  # a demo too small to learn from: suggestions stay off
        ctx.say(f"智能派单：未训练模型（{exc}）\n")
        return
    ctx.say(
        f"智能派单：模型 v{entry['version']} 由 {entry['info']['labelled']} 件已结案件训练，"
        f"用时 {entry['info']['seconds']} 秒\n"
    )
