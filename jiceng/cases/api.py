"""The cases API at /api/v1/cases/ (filled in below the core)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cases"])
