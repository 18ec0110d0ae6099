"""Grid sizing rules as data (安康: a rural level-3 grid holds 20–30 households or 70–120
people; urban grids 300–500 households) and the grids outside their rule, per street.

A grid meets a rule when its households are in the household range, or — if the rule has a
population range — its population is in that range. Dedicated grids (a school, a hospital)
are sized by what they serve, not by households, and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from jiceng.territory.models import Level, Region, RegionKind, SizingRule


@dataclass
class Exception_:
    grid: Region
    rule: SizingRule
    reason: str


@dataclass
class StreetExceptions:
    street_code: str
    street_name: str
    checked: int = 0
    exceptions: list[Exception_] = field(default_factory=list)


def _in(value: int, lo: int | None, hi: int | None) -> bool:
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def rule_for(rules: list[SizingRule], urban: bool, grid_level: int | None) -> SizingRule | None:
    """The most specific active rule: same urban/rural and grid level, else any level."""
    exact = [r for r in rules if r.urban == urban and r.grid_level == grid_level]
    if exact:
        return exact[0]
    general = [r for r in rules if r.urban == urban and r.grid_level is None]
    return general[0] if general else None


def check(rule: SizingRule, households: int, population: int) -> str | None:
    """None if the grid meets the rule, else why not (in the active language, Chinese by default)."""
    hh_ok = _in(households, rule.min_households, rule.max_households)
    has_pop_range = rule.min_population is not None or rule.max_population is not None
    if hh_ok or (has_pop_range and _in(population, rule.min_population, rule.max_population)):
        return None
    hh_range = _("%(low)s–%(high)s 户") % {
        "low": rule.min_households or 0,
        "high": rule.max_households or "∞",
    }
    too_many = rule.max_households is not None and households > rule.max_households
    side = _("偏多") if too_many else _("偏少")
    if has_pop_range:
        pop_range = _("%(low)s–%(high)s 人") % {
            "low": rule.min_population or 0,
            "high": rule.max_population or "∞",
        }
        return _("%(hh)s 户 / %(pop)s 人，%(side)s（规则：%(hh_range)s或%(pop_range)s）") % {
            "hh": households,
            "pop": population,
            "side": side,
            "hh_range": hh_range,
            "pop_range": pop_range,
        }
    return _("%(hh)s 户，%(side)s（规则：%(hh_range)s）") % {
        "hh": households,
        "side": side,
        "hh_range": hh_range,
    }


def exceptions(q: Q | None = None, under: str | None = None) -> list[StreetExceptions]:
    """Grids outside their rule, grouped by street, for the grids matching `q` / `under`."""
    rules = list(SizingRule.objects.filter(active=True).order_by("id"))
    grids = Region.objects.filter(level__gte=Level.GRID).exclude(kind=RegionKind.DEDICATED)
    if q is not None:
        grids = grids.filter(q)
    if under:
        grids = grids.filter(code__under=under)
    rule_levels = {r.grid_level for r in rules}
    if None not in rule_levels:
        grids = grids.filter(grid_level__in=rule_levels)
    villages_urban = dict(
        Region.objects.filter(
            level=Level.VILLAGE, **({"code__under": under} if under else {})
        ).values_list("code", "urban")
    )
    streets: dict[str, StreetExceptions] = {}
    names = dict(
        Region.objects.filter(
            level=Level.STREET, **({"code__under": under[:9]} if under else {})
        ).values_list("code", "name")
    )
    for g in grids.only(
        "code", "name", "grid_level", "households", "population", "urban", "kind"
    ).order_by("code"):
        urban = g.urban if g.urban is not None else bool(villages_urban.get(g.code[:12]))
        rule = rule_for(rules, urban, g.grid_level)
        if rule is None:
            continue
        sc = g.code[:9]
        entry = streets.setdefault(sc, StreetExceptions(sc, names.get(sc, sc)))
        entry.checked += 1
        reason = check(rule, g.households, g.population)
        if reason:
            entry.exceptions.append(Exception_(g, rule, reason))
    return [streets[k] for k in sorted(streets)]
