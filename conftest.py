"""Shared fixtures: a small territory with one user per role, and a second territory
whose users must be refused everything in the first (healthchecks' owner/member/outsider)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("JICENG_SHARED_DATA", Path(__file__).parent / ".." / "shared" / "data")
)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """PBKDF2 costs ~0.3 s per user; tests create many users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set JICENG_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def territory(db):
    """汉阴县 with two towns, two villages each, and grids in three levels in 城关镇's first village."""
    from jiceng.testing import build_small_territory

    return build_small_territory()


@pytest.fixture
def users(territory):
    """One user per role, scoped inside `territory`, plus outsiders in another county."""
    from jiceng.testing import build_users

    return build_users(territory)
