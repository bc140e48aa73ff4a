"""Images too small to hold a face are answered 'no face', never a crash (found by fuzzing the API)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", [(1, 1), (11, 40), (5, 5)])
def test_an_image_smaller_than_mtcnns_window_has_no_faces(analyzer, size: tuple[int, int]) -> None:
    """Regression: a 1x1 PNG made MTCNN raise ``torch.cat(): expected a non-empty list`` (HTTP 500)."""
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, "PNG")
    tiny, normal = buffer.getvalue(), Image.new("RGB", (64, 64), (200, 180, 160))
    results = analyzer.predict([tiny, normal])
    assert [len(r.faces) for r in results] == [0, 0] and (results[0].width, results[0].height) == size
