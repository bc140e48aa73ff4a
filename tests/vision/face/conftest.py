"""Shared, loaded face models for the slow tests (loading costs seconds; build them once per session)."""
from __future__ import annotations

import os

import pytest

# The throwaway PostgreSQL of the state suites, for the gallery store's PostgreSQL backend.
from tests.state.conftest import database, postgres_server, postgres_url  # noqa: F401

# Spinning OpenMP threads made MTCNN ~10x slower on a shared CPU; this only takes effect if set
# before torch is first imported, hence at collection time rather than inside a fixture.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="session")
def analyzer():
    import torch

    from vision.face.analyzer import FaceAnalyzer

    torch.set_num_threads(2)
    return FaceAnalyzer(device="cpu").load()
