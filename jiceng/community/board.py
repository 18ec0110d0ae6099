"""The village board: publish, correct (a new version with its reason), finance tables
(entered on a page or imported from Excel, whole or nothing), policy publicity (三进).

Rules and their sources:
- 三务公开 covers party, village and finance affairs, each for a stated period (《村务公开
  目录》, quarterly for finance); a publication is dated and never changed in place: a
  correction is a new version with its reason, all versions visible (衢州 村情通 seed).
- Finance tables: income, spending, assets; amounts in yuan with at most two decimals;
  a "合计" row, where given, must equal the sum of the rows of its table above it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.community import access
from jiceng.community.models import (
    Attachment,
    Policy,
    PolicyRead,
    PolicyTarget,
    Publication,
    PublicationVersion,
)
from jiceng.territory.models import Level, Region

TABLES = {"income": "收入", "spending": "支出", "assets": "资产"}
TABLE_BY_LABEL = {"收入": "income", "支出": "spending", "资产": "assets"}
TOTAL_WORDS = ("合计", "小计", "总计")
# "收入合计", "支出小计：", "本期合计", "合 计": a short label ending in a total word is a
# total row too (village sheets write them so); counting it as an item would double a table.
_TOTAL_ROW = re.compile(r"^[\u4e00-\u9fff]{0,4}(合计|小计|总计)[:：]?$")


def is_total_row(item: str) -> bool:
    return bool(_TOTAL_ROW.match(re.sub(r"\s", "", item or "")))


MAX_ROWS = 2000
MAX_ATTACHMENT = 10 * 1024 * 1024  # 10 MB a file
ATTACHMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".xls", ".docx", ".doc")
CENT = Decimal("0.01")
# "项目 金额" / "项目,1,000.50元" / "项目\t-5": the amount is the last number on the line
_LINE = re.compile(r"^(.*?)[\s,，:：]+(-?[0-9０-９][0-9０-９,，.．]*)\s*元?$")


# ---------------------------------------------------------------- finance tables (pure)


def parse_amount(raw: Any) -> Decimal:
    """'12,345.60' / 12345.6 / '１２３' → Decimal('12345.60'); ValueError in Chinese."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(gettext("金额为空"))
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip().replace(",", "").replace("，", "").replace("元", "")
    text = text.translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))
    if not text:
        raise ValueError(gettext("金额为空"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(gettext("金额“%(raw)s”不是数字") % {"raw": raw}) from None
    if not value.is_finite():
        raise ValueError(gettext("金额“%(raw)s”不是数字") % {"raw": raw})
    if value != value.quantize(CENT):
        raise ValueError(gettext("金额“%(raw)s”最多两位小数（分）") % {"raw": raw})
    if value < 0:
        raise ValueError(gettext("金额“%(raw)s”不能为负数") % {"raw": raw})
    if value >= Decimal("1e12"):
        raise ValueError(gettext("金额“%(raw)s”过大") % {"raw": raw})
    return value.quantize(CENT)


@dataclass
class Row:
    line: int  # the line number the person sees (Excel row, or textarea line)
    table: str  # income / spending / assets
    item: str
    amount: Any


def build_tables(rows: list[Row]) -> dict[str, Any]:
    """Check every row and build the tables; ValidationError lists every bad line.

    Shape: {"income": [{"item": "集体土地租金", "amount": "12000.00"}], "spending": [...],
    "assets": [...]}; amounts as strings (exact). A 合计/小计 row is not stored: it is
    checked against the sum of its table so far and then dropped (the total is computed).
    """
    errors: list[str] = []
    out: dict[str, list[dict[str, str]]] = {k: [] for k in TABLES}
    sums = {k: Decimal(0) for k in TABLES}
    if len(rows) > MAX_ROWS:
        raise ValidationError(gettext("一次最多 %(max_rows)s 行") % {"max_rows": MAX_ROWS})
    for r in rows:
        item = (r.item or "").strip()
        if r.table not in TABLES:
            errors.append(f"第 {r.line} 行：类别“{r.table}”应为 收入、支出 或 资产")
            continue
        try:
            amount = parse_amount(r.amount)
        except ValueError as exc:
            errors.append(f"第 {r.line} 行：{exc}")
            continue
        if not item:
            errors.append(f"第 {r.line} 行：项目名称为空")
            continue
        if is_total_row(item):
            if amount != sums[r.table]:
                label = (
                    item if item.startswith(str(TABLES[r.table])) else f"{TABLES[r.table]}{item}"
                )
                errors.append(
                    f"第 {r.line} 行：{label} {amount:,.2f} 元"
                    f"与上面各项之和 {sums[r.table]:,.2f} 元不符"
                )
            continue
        if len(item) > 100:
            errors.append(f"第 {r.line} 行：项目名称超过 100 字")
            continue
        sums[r.table] += amount
        out[r.table].append({"item": item, "amount": str(amount)})
    if errors:
        raise ValidationError(errors)
    return {k: v for k, v in out.items() if v}


def table_totals(tables: dict[str, Any]) -> dict[str, Any]:
    """For display: {"tables": [{"key", "label", "rows", "total"}], "balance": income − spending}."""
    out = []
    totals: dict[str, Decimal] = {}
    for key, label in TABLES.items():
        rows = tables.get(key) or []
        total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
        totals[key] = total
        out.append({"key": key, "label": label, "rows": rows, "total": total})
    return {"tables": out, "balance": totals["income"] - totals["spending"]}


def rows_from_text(table: str, text: str) -> list[Row]:
    """The page form: one line per item, "项目 金额" (a space, a tab or a comma between)."""
    rows = []
    for i, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        m = _LINE.match(line)
        item, amount = (m.group(1), m.group(2)) if m else (line, "")
        rows.append(Row(i, table, item.strip(), amount))
    return rows


def rows_from_xlsx(data: bytes) -> list[Row]:
    """The import file: first sheet, header 类别 | 项目 | 金额 on row 1, data from row 2.

    Line numbers are Excel row numbers so that a person finds the row at once.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken or foreign file
        raise ValidationError(gettext("无法读取该文件：请上传 Excel（.xlsx）文件")) from None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(it, ())]
        need = ["类别", "项目", "金额"]
        missing = [h for h in need if h not in header]
        if missing:
            raise ValidationError(
                gettext("第 1 行（表头）缺少列：%(join)s") % {"join": "、".join(missing)}
            )
        ix = [header.index(h) for h in need]
        rows = []
        for n, cells in enumerate(it, start=2):
            vals = [cells[i] if i < len(cells) else None for i in ix]
            if all(v is None or str(v).strip() == "" for v in vals):
                continue
            label = str(vals[0] or "").strip()
            rows.append(
                Row(n, TABLE_BY_LABEL.get(label, label or "（空）"), str(vals[1] or ""), vals[2])
            )
            if len(rows) > MAX_ROWS:
                raise ValidationError(gettext("一次最多 %(max_rows)s 行") % {"max_rows": MAX_ROWS})
        return rows
    finally:
        wb.close()


def template_xlsx() -> bytes:
    """An example import file with the header and two rows per table."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "财务公开"
    ws.append(["类别", "项目", "金额"])
    for row in [
        ("收入", "集体土地租金", 12000),
        ("收入", "上级补助资金", 30000),
        ("收入", "合计", 42000),
        ("支出", "村干部误工补贴", 9600),
        ("支出", "道路维修", 15400.5),
        ("资产", "村委会办公楼", 380000),
    ]:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- publishing


def _check_files(files: list[UploadedFile]) -> None:
    errors = []
    for f in files:
        name = (f.name or "").lower()
        if not name.endswith(ATTACHMENT_TYPES):
            errors.append(f"附件“{f.name}”类型不支持（可上传 PDF、图片、Excel、Word）")
        elif (f.size or 0) > MAX_ATTACHMENT:
            errors.append(f"附件“{f.name}”超过 10 MB")
    if errors:
        raise ValidationError(errors)


def _clean_text(title: str, body: str, kind: str, tables: dict | None) -> tuple[str, str]:
    title = (title or "").strip()
    body = (body or "").strip()
    errors = []
    if not title:
        errors.append("请填写标题")
    elif len(title) > 120:
        errors.append("标题不能超过 120 字")
    if kind == Publication.Kind.FINANCE:
        if not tables:
            errors.append("财务公开须至少有一张收入、支出或资产表")
    elif not body:
        errors.append("请填写公开内容")
    if errors:
        raise ValidationError(errors)
    return title, body


def _version(pub: Publication, number: int, user, title, body, tables, reason, files, now):
    v = PublicationVersion.objects.create(
        publication=pub,
        number=number,
        title=title,
        body=body,
        tables=tables or {},
        reason=reason,
        published_at=now,
        published_by=user,
    )
    for f in files:
        Attachment.objects.create(version=v, file=f, name=f.name[:200], size=f.size or 0)
    return v


def publish(
    user,
    village_code: str,
    *,
    kind: str,
    title: str,
    body: str = "",
    tables: dict | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    period_label: str = "",
    files: list[UploadedFile] | None = None,
    now: datetime | None = None,
) -> Publication:
    """Put a publication on a village's board (version 1). Raises PermissionDenied / Http404
    outside the user's role or territory, ValidationError (Chinese) for bad input."""
    access.village(village_code)
    access.require_staff(user, village_code, "community.publish")
    if kind not in Publication.Kind.values:
        raise ValidationError(gettext("公开类别无效"))
    title, body = _clean_text(title, body, kind, tables)
    if kind != Publication.Kind.NOTICE and not (period_label or (period_start and period_end)):
        raise ValidationError(gettext("三务公开须写明公开的期间（如 2026年第三季度）"))
    if period_start and period_end and period_end < period_start:
        raise ValidationError(gettext("公开期间的结束日期早于开始日期"))
    files = files or []
    _check_files(files)
    now = now or timezone.now()
    with transaction.atomic():
        pub = Publication.objects.create(
            village_code=village_code,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            period_label=(period_label or "").strip()[:40],
            created_by=user,
            created_at=now,
        )
        v = _version(pub, 1, user, title, body, tables, "", files, now)
        pub.current = v
        pub.versions_count = 1
        pub.save(update_fields=["current", "versions_count"])
    return pub


def correct(
    user,
    pub: Publication,
    *,
    reason: str,
    title: str,
    body: str = "",
    tables: dict | None = None,
    files: list[UploadedFile] | None = None,
    now: datetime | None = None,
) -> PublicationVersion:
    """A correction: a new version with its reason; earlier versions stay as they were.

    Attachments of the previous version are carried over unless new ones are given.
    """
    access.require_staff(user, pub.village_code, "community.publish")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(gettext("请写明更正原因（至少 4 个字）"))
    title, body = _clean_text(title, body, pub.kind, tables)
    files = files or []
    _check_files(files)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=pub.pk)
        prev = locked.current
        assert prev is not None
        v = _version(
            locked, locked.versions_count + 1, user, title, body, tables, reason[:300], files, now
        )
        if not files:
            for a in prev.attachments.all():
                Attachment.objects.create(version=v, file=a.file.name, name=a.name, size=a.size)
        locked.current = v
        locked.versions_count += 1
        locked.save(update_fields=["current", "versions_count"])
    pub.refresh_from_db()
    return v


def board(village_code: str, kind: str = "") -> QuerySet[Publication]:
    """The board of one village, newest first (the caller has checked `can_read_board`)."""
    qs = Publication.objects.filter(village_code=village_code).select_related("current")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def publication_dict(pub: Publication, with_versions: bool = False) -> dict[str, Any]:
    v = pub.current
    assert v is not None
    out: dict[str, Any] = {
        "id": pub.id,
        "village_code": pub.village_code,
        "kind": pub.kind,
        "kind_label": pub.get_kind_display(),
        "period": pub.period_label
        or (f"{pub.period_start} 至 {pub.period_end}" if pub.period_start else ""),
        "title": v.title,
        "body": v.body,
        "tables": v.tables,
        "version": v.number,
        "published_at": v.published_at.isoformat(),
        "first_published_at": pub.created_at.isoformat(),
    }
    if with_versions:
        out["versions"] = [
            {
                "number": x.number,
                "title": x.title,
                "reason": x.reason,
                "published_at": x.published_at.isoformat(),
            }
            for x in pub.versions.order_by("number")
        ]
    return out


# ---------------------------------------------------------------- policy publicity (三进)


def publish_policy(
    user,
    *,
    title: str,
    body: str,
    region_codes: list[str],
    companies: list[tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> Policy:
    """Publish a policy to chosen communities/villages (by code) and companies ((name,
    region code) pairs). Every target must lie inside the publisher's scope."""
    scope.require(user, "community.policy")
    title = (title or "").strip()
    body = (body or "").strip()
    errors = []
    if not title:
        errors.append("请填写政策标题")
    if len(body) < 10:
        errors.append("请填写政策内容（至少 10 个字）")
    companies = [(n.strip(), c) for n, c in (companies or []) if n.strip()]
    if not region_codes and not companies:
        errors.append("请至少选择一个社区、村或企业")
    if errors:
        raise ValidationError(errors)
    codes = set(region_codes) | {c for _, c in companies}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    for c in codes:
        r = regions.get(c)
        if r is None or not (user.is_superuser or scope.can_see_code(user, c)):
            raise ValidationError(gettext("区划 %(c)s 不存在或不在您的管辖范围内") % {"c": c})
    for c in region_codes:
        if regions[c].level != Level.VILLAGE:
            raise ValidationError(gettext("%(name)s 不是社区或村") % {"name": regions[c].name})
    now = now or timezone.now()
    issuer = scope.scope_code(user) or ""
    with transaction.atomic():
        policy = Policy.objects.create(
            title=title[:160], body=body, issuer_code=issuer, published_by=user, published_at=now
        )
        for c in sorted(set(region_codes)):
            kind = (
                PolicyTarget.Kind.COMMUNITY
                if regions[c].kind == "community"
                else PolicyTarget.Kind.VILLAGE
            )
            PolicyTarget.objects.create(policy=policy, kind=kind, region_code=c)
        for name, c in companies:
            PolicyTarget.objects.create(
                policy=policy,
                kind=PolicyTarget.Kind.COMPANY,
                region_code=c,
                company_name=name[:120],
            )
    return policy


def policies_for_village(code: str) -> QuerySet[Policy]:
    return Policy.objects.filter(
        targets__region_code=code, targets__kind__in=["community", "village"]
    ).distinct()


def mark_read(target: PolicyTarget, *, user=None, reader_name: str = "", now=None) -> PolicyRead:
    """Record a reading; a logged-in reader must be staff of the target village."""
    if user is not None:
        if target.kind == PolicyTarget.Kind.COMPANY or not access.staff_covers(
            user, target.region_code, "community.view"
        ):
            raise ValidationError(gettext("您不是该政策的送达对象"))
        reader_name = user.display_name
    reader_name = (reader_name or "").strip()
    if not reader_name:
        raise ValidationError(gettext("请填写阅读人姓名"))
    return PolicyRead.objects.create(
        target=target, user=user, reader_name=reader_name[:50], at=now or timezone.now()
    )


def read_report(policy: Policy) -> list[dict[str, Any]]:
    """Per target: who read it first and when, how many readings (the publisher's view)."""
    names = dict(
        Region.objects.filter(code__in=policy.targets.values("region_code")).values_list(
            "code", "name"
        )
    )
    out = []
    for t in policy.targets.prefetch_related("reads").order_by("kind", "region_code"):
        reads = sorted(t.reads.all(), key=lambda r: r.at)
        out.append(
            {
                "target": t,
                "kind_label": t.get_kind_display(),
                "name": t.company_name or names.get(t.region_code, t.region_code),
                "where": names.get(t.region_code, ""),
                "reads": reads,
                "first": reads[0] if reads else None,
            }
        )
    return out
