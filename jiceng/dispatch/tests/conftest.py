from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.JICENG_DISPATCH_DIR = str(tmp_path / "models")
    return tmp_path / "models"


@pytest.fixture
def trained(model_dir, db):
    """The project's own small fixture trained through the command (county: default)."""
    call_command(
        "routing",
        "train",
        "--labelled",
        str(FIXTURES / "labelled.csv"),
        "--unlabelled",
        str(FIXTURES / "unlabelled.csv"),
        "--replies",
        str(FIXTURES / "replies.csv"),
        "--county",
        "",
    )
    return model_dir


@pytest.fixture(autouse=True)
def _fresh_county():
    """services.county_code is cached for a minute; each test has its own territory."""
    from jiceng.dispatch import services

    services._county = None
    yield
    services._county = None
