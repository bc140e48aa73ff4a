"""The face task's sample inputs (contract tests, benchmarks) hold one real face each, so timings measure real work."""
from __future__ import annotations

import pytest

from vision.face.synth import sample_inputs


def test_samples_are_distinct_jpegs() -> None:
    samples = sample_inputs(4)
    assert all(s[:2] == b"\xff\xd8" for s in samples) and len(set(samples)) == 4


@pytest.mark.slow
def test_every_sample_has_exactly_one_face(analyzer) -> None:
    results = analyzer.predict(sample_inputs(4))
    assert [len(r.faces) for r in results] == [1, 1, 1, 1]
