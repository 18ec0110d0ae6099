"""Territorial centres: which unit is the community committee, the street centre or the
county centre of a place. accounts owns units, so this lookup lives here; cases (intake,
escalation, the worker's cards) and any other app ask `centre_at`.

A centre's `code` is its region's code (12 digits for a community/village, 9 for a
street/town, 6 for a county), so a place's centre of a kind is the unit of that kind whose
code is the place's code cut to that length. Active centres are kept in an in-process map
(intake looks two up per case), cleared when a Unit is saved or deleted in this process and
re-read at least every `TTL` seconds (edits made by other processes).
"""

from __future__ import annotations

import math
import time

from django.db.models.signals import post_delete, post_save

from jiceng.accounts.models import Unit, UnitKind

# Digits of the region code that name the centre of each kind.
CODE_LENGTH: dict[str, int] = {
    UnitKind.COMMUNITY: 12,
    UnitKind.STREET: 9,
    UnitKind.DISTRICT: 6,
}
TTL = 30.0  # seconds

_centres: dict[str, Unit] = {}
_read_at = -math.inf


def _map() -> dict[str, Unit]:
    global _centres, _read_at
    now = time.monotonic()
    if now - _read_at > TTL:
        _centres = {u.code: u for u in Unit.objects.filter(active=True, kind__in=list(CODE_LENGTH))}
        _read_at = now
    return _centres


def centre_at(kind: str, region_code: str) -> Unit | None:
    """The active centre of `kind` (community/street/district) holding `region_code`.

    None when the code is shorter than the kind's code (a street code has no community) or
    no such unit exists. Raises KeyError for a kind that is not territorial.
    """
    n = CODE_LENGTH[kind]
    if len(region_code) < n:
        return None
    code = region_code[:n]
    u = _map().get(code)
    if u is not None and u.kind == kind:
        return u
    # a miss may be a unit made since the map was read (bulk-created, other process)
    return Unit.objects.filter(kind=kind, code=code, active=True).first()


def centres() -> dict[str, Unit]:
    """All active territorial centres by code (one read; the worker's pass uses it)."""
    return dict(_map())


def forget(**_kw: object) -> None:
    """Drop the in-process map (a Unit was saved or deleted)."""
    global _read_at
    _read_at = -math.inf


post_save.connect(forget, sender=Unit, dispatch_uid="accounts.centres.forget.save")
post_delete.connect(forget, sender=Unit, dispatch_uid="accounts.centres.forget.delete")
