"""What pages and the API both ask of the territory, always through the user's scope."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from django.db.models import Count, Q
from django.http import Http404

from jiceng.accounts import scope
from jiceng.lib import codes
from jiceng.territory.locate import Location
from jiceng.territory.models import GridStaff, Level, Region, RegionKind

NOT_VISIBLE = "该区域不存在或不在您的管辖范围内"
OUT_OF_SCOPE = "该位置不在您的管辖范围内"


def visible_region(user, code: str, action: str = "territory.view") -> Region:
    """The region `code` if this user may see it; 404 otherwise (no probing of other areas)."""
    scope.require(user, action)
    code = (code or "").strip()
    if not codes.is_digits(code) or not scope.can_see_code(user, code):
        raise Http404(NOT_VISIBLE)
    region = Region.objects.filter(code=code).select_related("parent").first()
    if region is None:
        raise Http404(NOT_VISIBLE)
    scope.require_region(user, region, action)
    return region


def root_region(user) -> Region:
    scope.require(user, "territory.view")
    code = scope.scope_code(user)
    if code is None:
        raise Http404("您没有管辖区域")
    return visible_region(user, code)


def grids_visible(user) -> Q:
    return scope.code_filter(user, "code") & Q(level__gte=Level.GRID)


def installation_county() -> Region | None:
    """The county (or district) this installation serves: JICENG_COUNTY_CODE, else the
    county that has handling units, else the first county loaded; None before any import."""
    from django.conf import settings

    code = getattr(settings, "JICENG_COUNTY_CODE", "") or ""
    counties = Region.objects.filter(level=Level.COUNTY)
    if code:
        return counties.filter(code=code).first()
    return (
        counties.filter(units__isnull=False).order_by("code").first()
        or counties.order_by("code").first()
    )


def map_region(user, under: str | None) -> Region:
    """The region a grid map shows. Staff who see territory: `under` within their scope
    (404 outside), or their scope. Everyone else signed in (residents reporting on a map):
    the installation's county — grid boundaries are public, the people in them are not."""
    if scope.can(user, "territory.view"):
        if under:
            return visible_region(user, under)
        return root_region(user)
    county = installation_county()
    if county is None or (under and not codes.is_digits(under)):
        raise Http404(NOT_VISIBLE)
    if under and under != county.code:
        region = Region.objects.filter(code=under, code__under=county.code).first()
        if region is None:
            raise Http404(NOT_VISIBLE)
        return region
    return county


def crumbs(user, region: Region) -> list[tuple[Region, bool]]:
    """Ancestors (province down to the parent) and whether this user may open each."""
    return [(a, scope.can_see_code(user, a.code)) for a in region.ancestors()]


LEVEL_KEYS = {
    Level.STREET: "streets",
    Level.VILLAGE: "villages",
}


def summary(region: Region) -> dict:
    """Counts below a region: towns, villages, grids per level, staff, dedicated grids."""
    counts: dict[str, int] = {
        "streets": 0,
        "villages": 0,
        "grids": 0,
        "grids_level1": 0,
        "grids_level2": 0,
        "grids_level3": 0,
        "micro_grids": 0,
        "dedicated_grids": 0,
        "staff": 0,
    }
    rows = (
        Region.objects.filter(code__under=region.code)
        .exclude(pk=region.pk)
        .values("level", "grid_level", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        level, n = row["level"], row["n"]
        if level in LEVEL_KEYS:
            counts[LEVEL_KEYS[level]] += n
        elif level == Level.GRID:
            counts["grids"] += n
            if row["grid_level"] in (1, 2, 3):
                counts[f"grids_level{row['grid_level']}"] += n
            if row["kind"] == RegionKind.DEDICATED:
                counts["dedicated_grids"] += n
        elif level == Level.MICRO_GRID:
            counts["micro_grids"] += n
    counts["staff"] = GridStaff.objects.filter(grid__code__under=region.code).count()
    counts["households"] = region.households
    counts["population"] = region.population
    return counts


def children_stats(region: Region) -> list[dict]:
    """Each child with its households, grids and staff: three queries whatever the size."""
    children = list(region.children.order_by("code"))
    if not children:
        return []
    length = len(children[0].code)
    grid_count: Counter[str] = Counter()
    for code in Region.objects.filter(code__under=region.code, level__gte=Level.GRID).values_list(
        "code", flat=True
    ):
        grid_count[code[:length]] += 1
    staff_count: Counter[str] = Counter()
    for code in GridStaff.objects.filter(grid__code__under=region.code).values_list(
        "grid__code", flat=True
    ):
        staff_count[code[:length]] += 1
    out = []
    for c in children:
        # Grids count their own sub-grids; a grid child should not count itself.
        own = 1 if c.level >= Level.GRID else 0
        out.append(
            {
                "region": c,
                "grids": grid_count[c.code] - own,
                "staff": staff_count[c.code],
            }
        )
    return out


def scoped_location(user, loc: Location) -> Location:
    """A location as this user may see it: parts outside the scope are blanked.

    The county and street above a user's own scope are not secret (their names are public);
    a grid or village outside it is.
    """
    prefix = scope.scope_code(user)
    if prefix is None:
        return Location(loc.lon, loc.lat, message=OUT_OF_SCOPE)

    def ok(code: str | None) -> bool:
        return code is not None and (code.startswith(prefix) or prefix.startswith(code))

    deepest = loc.deepest_code
    if deepest is None:
        return loc
    if not ok(deepest) or not deepest.startswith(prefix):
        return Location(loc.lon, loc.lat, message=OUT_OF_SCOPE)
    parts: dict[str, str | None] = {}
    for key in ("grid", "village", "street", "county"):
        code = getattr(loc, f"{key}_code")
        if not ok(code):
            parts.update({f"{key}_code": None, f"{key}_name": None})
    return replace(loc, **parts)  # type: ignore[arg-type]
