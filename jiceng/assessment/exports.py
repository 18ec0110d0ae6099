"""Exports a county office uses: an Excel workbook (one sheet per ranking, the period and
the formulas on the sheet) and a printable PDF with charts (reportlab). The PDF embeds a subset of a
TrueType CJK font (JICENG_PDF_FONT, else the first of FONT_FILES found: Debian's
fonts-wqy-microhei, which ./dev installs), so any reader shows the Chinese; without one it
falls back, with a logged warning, to reportlab's built-in CID font STSong-Light, which is
not embedded (decision 0099).

Both run in the background: `start` writes an ExportJob row and hands it to a thread after
commit; the thread claims the row (pending → running, one UPDATE, so a job is never run
twice), reports progress per ranking, stores the file, and the person downloads it.
Only the rows the requesting user may see are exported (rankings.ranking).
"""

from __future__ import annotations

import io
import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.models import User
from jiceng.accounts.scope import require
from jiceng.assessment import rankings
from jiceng.assessment.models import Dimension, ExclusionReason, ExportJob
from jiceng.assessment.periods import Span, parse

log = logging.getLogger(__name__)
FORMATS = ("xlsx", "pdf")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def start(user, fmt: str, span: Span, metric: str = "") -> ExportJob:
    """Queue an export of all rankings of `span`; it runs in a thread after commit."""
    require(user, "assessment.export")
    if fmt not in FORMATS:
        raise ValidationError(gettext("导出格式应为 xlsx 或 pdf"))
    rankings.county_of(user)
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user,
            fmt=fmt,
            params={
                "kind": span.kind,
                "start": span.start.isoformat(),
                "end": span.end.isoformat(),
                "metric": metric or "three_rates",
            },  # fmt: skip
            created_at=timezone.now(),
        )
        transaction.on_commit(lambda: _spawn(job.pk))
    return job


def _spawn(job_id: int) -> None:
    inline = getattr(settings, "JICENG_EXPORT_INLINE", False)
    if inline or (connection.vendor == "sqlite" and connection.is_in_memory_db()):  # type: ignore[attr-defined]
        run(job_id)  # an in-memory database is not shared with another thread
        return
    threading.Thread(target=_thread, args=(job_id,), daemon=True, name=f"export-{job_id}").start()


def _thread(job_id: int) -> None:
    try:
        run(job_id)
    finally:
        close_old_connections()
        connection.close()


def run(job_id: int) -> None:
    """Claim and run one job; failures are recorded on the job, never raised."""
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportJob.PENDING).update(
        state=ExportJob.RUNNING, progress=1
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        p = job.params
        span = parse(p["kind"], p["start"], p["end"] if p["kind"] == "range" else None)

        def progress(n: int) -> None:
            ExportJob.objects.filter(pk=job_id).update(progress=n)

        sheets = collect(job.user, span, progress)
        if job.fmt == "xlsx":
            content = workbook(sheets, span, p["metric"])
        else:
            content = pdf(sheets, span, p["metric"])
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.DONE,
            progress=100,
            content=content,
            filename=f"考核排名-{span.label}.{job.fmt}",
            finished_at=timezone.now(),
        )
    except Exception as exc:  # recorded for the person who asked; the thread must not die silently
        log.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.FAILED, message=f"导出失败：{exc}"[:300], finished_at=timezone.now()
        )


def collect(user: User, span: Span, progress=lambda n: None) -> list[dict[str, Any]]:
    """One entry per ranking the user may see: {dim, label, formulas, rows, version}."""
    out = []
    dims = list(Dimension)
    for i, dim in enumerate(dims):
        data = rankings.ranking(user, span, dim.value)
        if data["rows"]:
            out.append({"dim": dim.value, "label": dim.label, **data})
        progress(5 + int(80 * (i + 1) / len(dims)))
    return out


def _set(ws, row: int, col: int, value: Any):
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith(DANGEROUS):
        cell.data_type = "s"  # keep it a string cell, not a formula
    return cell


def _source_line(version) -> str:
    if version is None:
        return "数据：实时计算（未发布）"
    return f"数据：已发布第 {version.n} 版（{timezone.localtime(version.at):%Y-%m-%d %H:%M}）"


NO_DATA = "—"
NO_DATA_NOTE = (
    "“—”：本期无相关诉求（分母为 0），没有数值，不计算、不参与排名，排在有数据的单位之后；"
    "综合得分的任一分项没有数值时不计算综合得分；无数据不与上期比较。"
)


def _or_dash(v: Any) -> Any:
    """A figure, or the dash of "no data" (a value whose denominator is 0: decision 0105)."""
    return NO_DATA if v is None else v


def workbook(sheets: list[dict[str, Any]], span: Span, metric: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    if not sheets:
        ws = wb.create_sheet("说明")
        _set(ws, 1, 1, f"{span.label}：没有您可查看的排名数据")
    for s in sheets:
        ws = wb.create_sheet(s["label"].replace("/", "、")[:31])
        fs = s["formulas"]
        codes = list(fs)
        key = metric if metric in fs else codes[0]
        _set(ws, 1, 1, f"{s['label']}考核排名 · {span.label}").font = Font(bold=True, size=14)
        _set(
            ws,
            2,
            1,
            f"周期：{span.start:%Y-%m-%d} 至 {span.end:%Y-%m-%d}；{_source_line(s['version'])}",
        )
        _set(ws, 3, 1, f"排名依据：{fs[key].name}")
        _set(ws, 4, 1, NO_DATA_NOTE)
        r = 5
        for c, h in enumerate(["指标", "公式", "来源", "排除的诉求"], 1):
            _set(ws, r, c, h).font = bold
        for code in codes:
            f = fs[code]
            r += 1
            _set(ws, r, 1, f.name)
            _set(ws, r, 2, f.text())
            _set(ws, r, 3, f.source)
            _set(ws, r, 4, "、".join(ExclusionReason(x).label for x in f.exclusions) or "无")
        r += 2
        header = ["排名", "单位", *[f"{fs[c].name}（{fs[c].unit_label}）" for c in codes],
                  "上期排名", f"{fs[key].name}较上期"]  # fmt: skip
        for c, h in enumerate(header, 1):
            cell = _set(ws, r, c, h)
            cell.font = bold
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        head_row = r
        rows = sorted(s["rows"], key=lambda x: (x["ranks"].get(key) is None,
                                                 x["ranks"].get(key) or 0))  # fmt: skip
        for row in rows:
            r += 1
            _set(ws, r, 1, _or_dash(row["ranks"].get(key)))
            _set(ws, r, 2, row["name"])
            for c, code in enumerate(codes, 3):
                _set(ws, r, c, _or_dash(row["metrics"].get(code, {}).get("value")))
            _set(ws, r, len(codes) + 3, _or_dash((row.get("prev_ranks") or {}).get(key)))
            v = row["metrics"].get(key, {}).get("value")
            pv = (row.get("prev") or {}).get(key)
            _set(
                ws,
                r,
                len(codes) + 4,
                _or_dash(round(v - pv, 2) if v is not None and pv is not None else None),
            )
        ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
        widths = [6, 28, *([12] * len(codes)), 10, 12]
        widths[1] = max(28, *(len(str(x["name"])) * 2 + 2 for x in rows)) if rows else 28
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = min(w, 60)
        ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width, 50)
        ws.row_dimensions[head_row].height = 42
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BUILTIN_FONT = "STSong-Light"
# TrueType-outline CJK fonts of Debian packages, in order of preference. Noto CJK
# (fonts-noto-cjk, installed for the browser tests) is not here: its outlines are
# PostScript (CFF), which reportlab cannot embed.
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)
_fonts: dict[str, str] = {}  # JICENG_PDF_FONT → the registered font name (once a process)


def _font() -> str:
    """The name of the registered font the PDF is written in: an embedded TrueType CJK font
    when one is configured or found, else STSong-Light (not embedded) with a warning."""
    setting = getattr(settings, "JICENG_PDF_FONT", "")
    if setting not in _fonts:
        _fonts[setting] = _register(setting)
    return _fonts[setting]


def _register(setting: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if setting != "builtin":
        paths = [setting] if setting else [p for p in FONT_FILES if os.path.isfile(p)]
        for path in paths:
            name = f"jiceng-cjk-{os.path.basename(path)}"
            try:
                if name not in pdfmetrics.getRegisteredFontNames():
                    # reportlab embeds only the glyphs a document uses (a subset)
                    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
                return name
            except Exception as exc:  # a CFF (PostScript-outline) font, a damaged file
                log.warning("PDF report: the font %s cannot be embedded (%s)", path, exc)
        log.warning(
            "PDF report: no embeddable CJK TrueType font (JICENG_PDF_FONT, or one of %s); "
            "using %s, which is not embedded: a reader without Adobe's Asian font pack may "
            "show no Chinese. Install fonts-wqy-microhei or set JICENG_PDF_FONT.",
            ", ".join(FONT_FILES),
            BUILTIN_FONT,
        )
    if BUILTIN_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_FONT))
    return BUILTIN_FONT


def _chart(rows: list[dict[str, Any]], key: str, title: str):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    font = _font()
    data = [(r["name"], r["metrics"].get(key, {}).get("value")) for r in rows]
    valued = [(n, v) for n, v in data if v is not None]
    data = valued[:15]
    if len(valued) > len(data):  # the caption says "top 15" only when there are more
        title += f"，前 {len(data)} 名"
    if len(valued) < len(rows):  # units without a value get no bar (not a bar of 0 or 100)
        title += f"（{len(rows) - len(valued)} 个单位本期无数据，未列入）"
    height = 40 + 16 * max(1, len(data))
    d = Drawing(480, height)
    d.add(String(0, height - 12, title, fontName=font, fontSize=10))
    if not data:
        d.add(String(0, height - 30, "无数据", fontName=font, fontSize=9))
        return d
    data.reverse()  # the chart draws bottom-up: best at the top
    ch = HorizontalBarChart()
    ch.x, ch.y, ch.width, ch.height = 150, 10, 300, height - 35
    ch.data = [[v for _, v in data]]
    ch.categoryAxis.categoryNames = [n[:14] for n, _ in data]
    ch.categoryAxis.labels.fontName = font
    ch.categoryAxis.labels.fontSize = 7
    ch.valueAxis.labels.fontName = font
    ch.valueAxis.labels.fontSize = 7
    ch.valueAxis.valueMin = 0
    ch.bars[0].fillColor = colors.HexColor("#2f6fb0")
    ch.barLabelFormat = "%.1f"
    ch.barLabels.fontName = font
    ch.barLabels.fontSize = 6
    ch.barLabels.boxAnchor = "w"
    ch.barLabels.dx = 3
    d.add(ch)
    return d


def pdf(sheets: list[dict[str, Any]], span: Span, metric: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4)
    body = ParagraphStyle("b", fontName=font, fontSize=8.5, leading=12)
    small = ParagraphStyle("s", fontName=font, fontSize=7.5, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"考核排名 {span.label}", author="jiceng")  # fmt: skip
    story: list[Any] = [
        Paragraph(f"基层治理考核排名报告（{span.label}）", h1),
        Paragraph(
            f"周期：{span.start:%Y年%m月%d日} 至 {span.end:%Y年%m月%d日}；"
            f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}",
            body,
        ),  # fmt: skip
    ]
    if not sheets:
        story.append(Paragraph("没有您可查看的排名数据。", body))
    for i, s in enumerate(sheets):
        fs = s["formulas"]
        key = metric if metric in fs else next(iter(fs))
        f = fs[key]
        if i:
            story.append(PageBreak())
        story.append(Paragraph(f"{s['label']}排名（按{f.name}）", h2))
        story.append(Paragraph(_source_line(s["version"]), small))
        story.append(Paragraph(f"公式：{f.name} = {f.text()}；来源：{f.source}", small))
        story.append(Paragraph(NO_DATA_NOTE, small))
        rows = sorted(s["rows"], key=lambda x: (x["ranks"].get(key) is None,
                                                 x["ranks"].get(key) or 0))  # fmt: skip
        story.append(Spacer(1, 4))
        story.append(_chart(rows, key, f"{f.name}（{f.unit_label}）"))
        cols = [c for c in ("response_rate", "resolution_rate", "satisfaction_rate",
                            "ontime_close_rate") if c in fs and c != key][:3]  # fmt: skip
        head = ["排名", "单位", f.name, *[fs[c].name for c in cols], "上期", "变化"]
        table: list[list[Any]] = [[Paragraph(h, small) for h in head]]  # long names wrap
        for r in rows[:40]:
            v = r["metrics"].get(key, {}).get("value")
            pv = (r.get("prev") or {}).get(key)
            table.append([
                str(_or_dash(r["ranks"].get(key) if v is not None else None)),
                Paragraph(str(r["name"]), small),
                _fmt(v),
                *[_fmt(r["metrics"].get(c, {}).get("value")) for c in cols],
                _fmt(pv),
                _fmt(round(v - pv, 2) if v is not None and pv is not None else None, sign=True),
            ])  # fmt: skip
        t = Table(table, colWidths=[11 * mm, 55 * mm] + [18 * mm] * (len(head) - 2), repeatRows=1)
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))  # fmt: skip
        story.append(Spacer(1, 4))
        story.append(t)
        if len(rows) > 40:
            story.append(
                Paragraph(
                    f"（共 {len(rows)} 个单位，此处列出前 40 名；完整名单见 Excel 工作簿）", small
                )
            )
    doc.build(story)
    return buf.getvalue()


def _fmt(v: float | None, sign: bool = False) -> str:
    if v is None:
        return NO_DATA
    return f"{v:+.2f}" if sign else f"{v:.2f}"
