"""The degraded two-column scan generator: deterministic, two columns, degraded (no model needed)."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidInput
from vision.ocr.scans import two_column_scans
from vision.ocr.synth import PageSpec

SMALL = PageSpec(dpi=80, height_in=2.0, columns=2)


def test_same_seed_same_pages_and_pages_differ() -> None:
    first, again = two_column_scans(2, base=SMALL), two_column_scans(2, base=SMALL)
    assert [s.text for s in first.samples] == [s.text for s in again.samples]
    assert np.array_equal(np.asarray(first.samples[0].image), np.asarray(again.samples[0].image))
    assert first.samples[0].layout != first.samples[1].layout  # gutter and skew are drawn per page


def test_pages_are_degraded_not_clean() -> None:
    page = np.asarray(two_column_scans(1, base=SMALL).samples[0].image.convert("L"), dtype=np.float32)
    paper = page[page > np.percentile(page, 60)]
    assert paper.std() > 2.0 and paper.mean() < 250  # noise and shading on the paper
    with pytest.raises(InvalidInput):
        two_column_scans(0)
