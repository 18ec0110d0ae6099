"""Masks for personal data other than ID numbers (idcard.mask) and phones (phones.mask)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_name(name: str) -> str:
    """王** / 欧阳** / J***: the family name (first character) stays, the rest is hidden.

    Enough for an operator to say "王女士", not enough to identify the person.
    """
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_address(address: str) -> str:
    """Keep the place names, hide the numbers: 城关社区*号楼*单元***室."""
    return _DIGITS.sub("*", address or "")
