"""`jiceng routing train|classify|evaluate|retrain` — the category classifier's commands.

    jiceng routing train --labelled L.csv [--unlabelled U.csv] [--replies R.csv] [--taxonomy T.csv]
    jiceng routing classify IN.csv --output OUT.csv
    jiceng routing evaluate --test T.csv             # held-out file
    jiceng routing evaluate --cv 5 --labelled L.csv [--unlabelled …] [--replies …] [--ablation]
    jiceng routing retrain [--every HOURS]           # from the county's closed cases

File formats: jiceng/dispatch/files.py. Models: <data dir>/dispatch/<county>/vNNNN.pkl.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.utils import DatabaseError

from jiceng.dispatch import evaluate, files, store
from jiceng.dispatch.classifier import Corpus, TrainingError, train
from jiceng.dispatch.text import usable


def _db_or(default, fn):
    """A database read that may fail on a fresh checkout (not migrated): use `default`."""
    try:
        return fn()
    except DatabaseError:
        return default


class Command(BaseCommand):
    help = "智能派单分类模型：训练（train）、批量分类（classify）、评估（evaluate）、按案件重训（retrain）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="从 CSV 训练并保存新版本模型")
        t.add_argument("--labelled", required=True)
        t.add_argument("--unlabelled")
        t.add_argument("--replies")
        t.add_argument(
            "--taxonomy", help="level1,level2,level3；缺省取同目录 taxonomy.csv 或系统分类树"
        )
        t.add_argument("--county", default=None, help="县区代码；缺省为本系统所服务的县区")
        c = sub.add_parser("classify", help="对 CSV 中每条留言给出前三个分类")
        c.add_argument("input")
        c.add_argument("--output", required=True)
        c.add_argument("--county", default=None)
        e = sub.add_parser("evaluate", help="准确率、宏平均 F1 与混淆矩阵")
        e.add_argument("--test", help="held-out CSV (id,subject,body,category)")
        e.add_argument("--cv", type=int, default=0, help="k-fold cross-validation on --labelled")
        e.add_argument("--seeds", type=int, default=1)
        e.add_argument(
            "--holdout",
            type=float,
            default=0.0,
            help="hold out this share of --labelled (stratified, fixed seed)",
        )
        e.add_argument("--labelled")
        e.add_argument("--unlabelled")
        e.add_argument("--replies")
        e.add_argument("--taxonomy")
        e.add_argument("--ablation", action="store_true", help="add the components one at a time")
        e.add_argument("--county", default=None)
        e.add_argument("--json", action="store_true")
        r = sub.add_parser("retrain", help="用本县已结案件（改派后的最终分类）重新训练")
        r.add_argument("--labelled", help="plus imported history")
        r.add_argument("--unlabelled")
        r.add_argument("--replies")
        r.add_argument("--taxonomy")
        r.add_argument(
            "--every", type=float, default=0, help="hours between retrains (stay running)"
        )
        r.add_argument("--county", default=None)

    def handle(self, *args, **o):
        try:
            getattr(self, "_" + o["action"])(o)
        except (files.FileFormatError, TrainingError, store.NoModel) as exc:
            raise CommandError(str(exc)) from exc

    # -- helpers ------------------------------------------------------------------------------
    def _county(self, o) -> str:
        if o.get("county") is not None:
            return o["county"]
        from jiceng.dispatch.services import county_code

        return _db_or("", county_code)

    def _tree(self, o) -> list[str]:
        if o.get("taxonomy"):
            return files.read_taxonomy(o["taxonomy"])
        if o.get("labelled"):
            beside = Path(o["labelled"]).with_name("taxonomy.csv")
            if beside.is_file():
                return files.read_taxonomy(beside)
        from jiceng.dispatch import facts

        return _db_or([], facts.category_paths)

    def _corpus(self, o, county: str) -> Corpus:
        from jiceng.dispatch.services import place_names

        labelled = files.read_labelled(o["labelled"]) if o.get("labelled") else []
        tree = self._tree(o)
        if tree:
            known = {p.split("/")[0] for p in tree}
            unknown = sorted({c for _, _, c in labelled if c and c not in known})
            if unknown:
                raise CommandError(
                    f"训练文件中的类别不在分类树中：{'、'.join(unknown)}。"
                    "请修正类别名称，或用 --taxonomy 指定包含这些类别的分类树。"
                )
        empty = sum(1 for _, t, c in labelled if not c or not usable(t))
        if empty:
            self.stderr.write(f"注意：{empty} 行没有类别或没有可用文字，已跳过。")
        corpus = Corpus(
            labelled=[(t, c) for _, t, c in labelled if c],
            unlabelled=[t for _, t in files.read_messages(o["unlabelled"])]
            if o.get("unlabelled")
            else [],
            replies=files.read_replies(o["replies"]) if o.get("replies") else [],
            tree=tree,
            places=_db_or([], lambda: place_names(county)),
        )
        # a labelled message repeated in the history must not come back as a weak label
        corpus, removed = evaluate.without_aux(corpus, [t for t, _ in corpus.labelled])
        if removed:
            self.stderr.write(f"已从辅助数据中去除 {removed} 条与已标注留言重复的文本。")
        return corpus

    # -- actions ------------------------------------------------------------------------------
    def _train(self, o) -> None:
        county = self._county(o)
        corpus = self._corpus(o, county)
        model = train(corpus)
        entry = store.save(model, county, source=f"file:{Path(o['labelled']).name}")
        info = model.info
        self.stdout.write(
            f"模型 v{entry['version']} 已保存：{store.model_dir(county) / entry['file']}"
            f"（{entry['size_bytes'] / 1e6:.1f} MB）\n"
            f"标注 {info['labelled']} 条，回复弱标注 {info['weak_from_replies']} 条，"
            f"自训练 {info['self_trained']} 条，类别 {len(info['classes'])} 个，"
            f"用时 {info['seconds']} 秒"
        )
        from jiceng.dispatch import facts

        # The newest model is the one intake suggests from: say so when its categories are
        # not the county's own tree (e.g. trained on another tree's labels) — the hotline
        # form offers only categories the tree has, so such a model suggests nothing there.
        own = {p.split("/")[0] for p in _db_or([], facts.category_paths)}
        outside = sorted(set(info["classes"]) - own) if own else []
        if outside:
            self.stderr.write(
                f"注意：模型的 {len(info['classes'])} 个类别中有 {len(outside)} 个不在本县的分类目录中"
                f"（{'、'.join(outside[:10])}{'…' if len(outside) > 10 else ''}）："
                "受理时不会推荐这些类别；classify 和 evaluate 不受影响。"
                "要在受理时使用，请用本县分类的标注重新训练（或 routing retrain 从已办结案件学习）。"
            )

    def _notes(self, notes: list[str]) -> None:
        for note in notes:
            self.stderr.write("注意：" + note)

    def _classify(self, o) -> None:
        notes: list[str] = []
        rows = files.read_messages(o["input"], notes)  # before the model: a bad file says so first
        model = store.load(self._county(o))
        self._notes(notes)
        out: list[tuple[str, list[tuple[str, float]]]] = []
        skipped = 0
        started = time.perf_counter()
        ok = [(i, t) for i, (_, t) in enumerate(rows) if usable(t)]
        tops: dict[int, list[tuple[str, float]]] = {}
        for start in range(0, len(ok), 1000):
            chunk = ok[start : start + 1000]
            for (i, _), top in zip(
                chunk, model.predict_many([t for _, t in chunk], 3), strict=True
            ):
                tops[i] = top
        for i, (rid, _) in enumerate(rows):
            if i not in tops:
                skipped += 1
            out.append((rid, tops.get(i, [])))
        files.write_classified(o["output"], out)
        secs = time.perf_counter() - started
        self.stdout.write(f"已分类 {len(rows) - skipped} 条，写入 {o['output']}（{secs:.1f} 秒）")
        if not rows:
            self.stderr.write("注意：输入文件只有列名行，没有留言；输出文件只有列名行。")
        if skipped:
            self.stderr.write(f"注意：{skipped} 行没有可分类的中文内容，类别留空。")

    def _print_figures(self, fig: dict, o) -> None:
        if o.get("json"):
            self.stdout.write(json.dumps(fig, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"方法：{fig.get('method', 'held-out')}  样本 {fig['n']}")
        if "accuracy_mean" in fig:
            self.stdout.write(
                f"accuracy {fig['accuracy_mean']:.4f} ± {fig['accuracy_sd']:.4f}   "
                f"macro-F1 {fig['macro_f1_mean']:.4f} ± {fig['macro_f1_sd']:.4f}   "
                f"(去重 {fig['duplicates_removed']} 条)"
            )
        else:
            self.stdout.write(f"accuracy {fig['accuracy']:.4f}   macro-F1 {fig['macro_f1']:.4f}")
        labels = fig["labels"]
        self.stdout.write("混淆矩阵（行=真实，列=预测）：")
        self.stdout.write("\t" + "\t".join(lab[:4] for lab in labels))
        for name, row in zip(labels, fig["confusion"], strict=True):
            self.stdout.write(name[:4] + "\t" + "\t".join(str(v) for v in row))

    def _evaluate(self, o) -> None:
        if o.get("test"):
            rows = files.read_labelled(o["test"])  # ids play no part in the figures
            notes: list[str] = []
            test = [(t, c) for _, t, c in rows if c]
            if not test:
                raise CommandError(f"测试文件 {Path(o['test']).name} 没有带类别（category）的行")
            model = store.load(self._county(o))
            if len(test) < len(rows):
                notes.append(f"{len(rows) - len(test)} 行没有类别，不计入。")
            unread = sum(1 for t, _ in test if not usable(t))
            if unread:
                notes.append(
                    f"{unread} 行没有可分类的中文内容（classify 会留空），按分错计入"
                    f"（预测为“{evaluate.UNREAD}”）。"
                )
            unknown = sorted({c for _, c in test} - set(model.classes))
            if unknown:
                notes.append(f"测试集中有模型未学过的类别：{'、'.join(unknown)}")
            self._notes(notes)
            fig = evaluate.held_out(model, test)
            fig["method"] = (
                f"held-out file {Path(o['test']).name}, model v{model.info.get('version')}"
            )
            self._print_figures(fig, o)
            return
        if not (o.get("cv") or o.get("holdout")) or not o.get("labelled"):
            raise CommandError("请给出 --test FILE，或 --cv K / --holdout 0.3 与 --labelled FILE")
        if o.get("holdout") and not 0 < o["holdout"] < 1:
            raise CommandError("--holdout 应在 0 与 1 之间，例如 0.3")
        corpus = self._corpus(o, self._county(o))
        seeds = tuple(range(max(1, o["seeds"])))
        if o.get("ablation"):
            steps = evaluate.ablation(
                corpus, folds=o["cv"] or 5, seeds=seeds, fraction=o.get("holdout") or 0.0
            )
            for row in steps:
                self.stdout.write(
                    f"{row['step']:<40} accuracy {row['accuracy_mean']:.4f} ± {row['accuracy_sd']:.4f}"
                    f"   macro-F1 {row['macro_f1_mean']:.4f}"
                )
                sys.stdout.flush()
            return
        if o.get("holdout"):
            self._print_figures(evaluate.holdout(corpus, fraction=o["holdout"]), o)
            return
        self._print_figures(evaluate.cross_validate(corpus, folds=o["cv"], seeds=seeds), o)

    def _retrain(self, o) -> None:
        from jiceng.dispatch.services import retrain_from_cases

        stop = {"now": False}

        def _stop(*_):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        while True:
            county = self._county(o)
            extra = self._corpus(o, county) if o.get("labelled") or o.get("unlabelled") else None
            try:
                entry = retrain_from_cases(county, extra)
                self.stdout.write(
                    f"模型 v{entry['version']}：{entry['source']}，"
                    f"标注 {entry['info']['labelled']} 条，用时 {entry['info']['seconds']} 秒"
                )
            except TrainingError as exc:
                if not o["every"]:
                    raise
                self.stderr.write(f"本次未重训：{exc}")
            if not o["every"] or stop["now"]:
                return
            waited = 0.0
            while waited < o["every"] * 3600 and not stop["now"]:
                time.sleep(1)
                waited += 1
            if stop["now"]:
                return
