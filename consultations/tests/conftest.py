"""Fixtures shared by the consultations test modules (the project-wide ones live in the
repository's conftest.py: users, API clients, cache and Celery resets)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def private_media(settings, tmp_path) -> Path:
    """Uploads go to a per-test folder, removed with tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
