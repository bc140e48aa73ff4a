"""Shared test fixtures: paths to the development data in ../shared/data (skipped when absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AIS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The development data folder; tests that need it skip with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"development data not found at {SHARED_DATA} (set AIS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _isolated_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the model store, galleries and warehouses of tests away from the user's ~/.ais."""
    home = tmp_path_factory.mktemp("ais_home")
    os.environ.setdefault("AIS_HOME", str(home))
    os.environ.setdefault("BENTOML_HOME", str(home / "bentoml"))
