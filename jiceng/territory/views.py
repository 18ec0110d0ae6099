"""Territory pages: region tree, grid map, grid page with contact cards, sizing, imports."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.accounts import scope
from jiceng.lib import codes, geo, textfile
from jiceng.territory import services, sizing
from jiceng.territory.divisions import LEVEL_LABELS, DivisionImportError, import_divisions
from jiceng.territory.grids import GridImportError, import_grids
from jiceng.territory.models import GridStaff, ImportRun, Level, Region

MAX_UPLOAD_FILES = 20


@login_required
def region_root(request):
    return redirect("territory:region", code=services.root_region(request.user).code)


@login_required
def region_page(request, code: str):
    region = services.visible_region(request.user, code)
    if region.level >= Level.GRID:
        return redirect("territory:grid", code=region.code)
    return render(
        request,
        "territory/region.html",
        {
            "region": region,
            "crumbs": services.crumbs(request.user, region),
            "counts": services.summary(region),
            "children": services.children_stats(region),
            "is_root": region.code == scope.scope_code(request.user),
            "staff": list(region.staff.order_by("id"))
            if scope.can(request.user, "staff.view")
            else [],
        },
    )


@login_required
def map_page(request, code: str | None = None):
    region = (
        services.visible_region(request.user, code) if code else services.root_region(request.user)
    )
    return render(
        request,
        "territory/map.html",
        {
            "region": region,
            "crumbs": services.crumbs(request.user, region),
            "tile_url": settings.JICENG_MAP_TILE_URL,
            "tile_attribution": settings.JICENG_MAP_TILE_ATTRIBUTION,
        },
    )


@login_required
def grid_page(request, code: str):
    grid = services.visible_region(request.user, code)
    if grid.level < Level.GRID:
        return redirect("territory:region", code=grid.code)
    can_staff = scope.can(request.user, "staff.view")
    return render(
        request,
        "territory/grid.html",
        {
            "grid": grid,
            "crumbs": services.crumbs(request.user, grid),
            "staff": list(grid.staff.order_by("id")) if can_staff else [],
            "can_staff": can_staff,
            "children": services.children_stats(grid),
            "counts": services.summary(grid),
        },
    )


@login_required
def staff_card(request, pk: int):
    scope.require(request.user, "staff.view")
    post = get_object_or_404(GridStaff.objects.select_related("grid"), pk=pk)
    if not scope.can_see_code(request.user, post.grid.code):
        raise Http404(services.NOT_VISIBLE)
    return render(
        request,
        "territory/card.html",
        {"post": post, "grid": post.grid, "crumbs": services.crumbs(request.user, post.grid)},
    )


@login_required
def sizing_page(request):
    under = request.GET.get("under") or None
    region = (
        services.visible_region(request.user, under)
        if under
        else services.root_region(request.user)
    )
    streets = sizing.exceptions(under=region.code)
    return render(
        request,
        "territory/sizing.html",
        {
            "region": region,
            "streets": streets,
            "checked": sum(s.checked for s in streets),
            "outside": sum(len(s.exceptions) for s in streets),
            "rules": sizing.SizingRule.objects.filter(active=True).order_by("id"),
        },
    )


def _save_uploads(files, folder: Path) -> None:
    """Uploaded CSVs (or one zip of them) into `folder`, by their base names only."""
    for f in files[:MAX_UPLOAD_FILES]:
        name = PurePosixPath(f.name.replace("\\", "/")).name
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(f) as zf:
                    for info in zf.infolist():
                        base = PurePosixPath(info.filename).name
                        if info.is_dir() or not base.lower().endswith(".csv"):
                            continue
                        if info.file_size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 5:
                            raise ValueError(f"{base} 过大")
                        (folder / base).write_bytes(zf.read(info))
            except zipfile.BadZipFile as exc:
                raise ValueError(f"{name} 不是有效的 zip 文件") from exc
        elif name.lower().endswith(".csv"):
            with (folder / name).open("wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
        else:
            raise ValueError(f"{name}：只接受 .csv 文件或它们的 .zip 压缩包")


@login_required
@require_http_methods(["GET", "POST"])
def imports_page(request):
    scope.require(request.user, "territory.import")
    root = services.root_region(request.user)
    run = None
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "divisions":
                run = _import_divisions_upload(request, root)
            elif what == "grids":
                run = _import_grids_upload(request, root)
            else:
                messages.error(request, _("请选择导入类型"))
        except ValueError as exc:
            messages.error(request, str(exc))
        if run is not None:
            return redirect("territory:import-run", pk=run.pk)
    runs = (
        ImportRun.objects.filter(scope.code_filter(request.user, "region_code"))
        .select_related("user")
        .order_by("-started_at")[:50]
    )
    return render(
        request,
        "territory/imports.html",
        {"runs": runs, "root": root, "crs_choices": geo.CRS_LABELS.items()},
    )


def _import_divisions_upload(request, root: Region) -> ImportRun | None:
    files = request.FILES.getlist("files")
    under = (request.POST.get("under") or root.code).strip()
    if not files:
        raise ValueError("请选择要上传的 CSV 文件或 zip 压缩包")
    if not codes.is_digits(under) or not scope.can_see_code(request.user, under):
        raise ValueError(f"只能导入您管辖区域（{root.code}）以内的区划")
    with tempfile.TemporaryDirectory(prefix="jiceng-div-") as tmp:
        _save_uploads(files, Path(tmp))
        source = "上传：" + "、".join(f.name for f in files[:MAX_UPLOAD_FILES])
        try:
            result = import_divisions(tmp, under, user=request.user, source=source)
        except DivisionImportError:
            messages.error(request, _("区划文件有误，未导入任何数据，请查看下方原因。"))
            return ImportRun.objects.filter(kind="divisions", user=request.user).first()
        except codes.CodeError as exc:
            raise ValueError(str(exc)) from exc
    messages.success(
        request,
        _("区划导入完成：新增 %(created)s，更新 %(updated)s。")
        % {"created": result.created, "updated": result.updated},
    )
    return result.run


def _import_grids_upload(request, root: Region) -> ImportRun | None:
    upload = request.FILES.get("geojson")
    crs = request.POST.get("crs") or geo.WGS84
    if upload is None:
        raise ValueError("请选择要上传的 GeoJSON 文件")
    try:
        crs = geo.check_crs(crs)
    except geo.GeoError as exc:
        raise ValueError(str(exc)) from exc
    data = upload.read()
    try:
        text = textfile.decode(data)
    except textfile.TextFileError as exc:
        raise ValueError(str(exc)) from exc
    from jiceng.territory.grids import parse

    features, _warnings = parse(text, crs)
    outside = [f.code for f in features if not f.code.startswith(root.code)]
    if outside:
        raise ValueError(f"文件中有 {len(outside)} 个网格不在您的管辖区域内（如 {outside[0]}）")
    try:
        result = import_grids(
            text, crs=crs, user=request.user, source=f"上传：{upload.name}", region_code=root.code
        )
    except GridImportError:
        messages.error(request, _("网格文件有误，未导入任何网格，请查看下方原因。"))
        return ImportRun.objects.filter(kind="grids", user=request.user).first()
    messages.success(
        request,
        _("网格导入完成：新增 %(created)s，更新 %(updated)s。")
        % {"created": result.created, "updated": result.updated},
    )
    return result.run


@login_required
def import_run_page(request, pk: int):
    scope.require(request.user, "territory.import")
    run = get_object_or_404(
        ImportRun.objects.filter(scope.code_filter(request.user, "region_code")), pk=pk
    )
    rows = []
    if run.kind == "divisions":
        for key, label in LEVEL_LABELS.items():
            c = run.counts.get(key)
            if c:
                rows.append(
                    (label, c.get("created", 0), c.get("updated", 0), c.get("unchanged", 0))
                )
    return render(
        request,
        "territory/import_run.html",
        {
            "run": run,
            "rows": rows,
            "errors": [
                {
                    "where": e.get("file") or e.get("code") or "—",
                    "line": e.get("line") or "—",
                    "message": e.get("message", ""),
                }
                for e in run.errors[:500]
            ],
        },
    )
