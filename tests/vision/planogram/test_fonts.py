"""The SKU designs draw only on the pinned font families: installing another font package must not
change the catalogue or the held-out shelves (it once did, when Roboto was installed for plates)."""
from __future__ import annotations

from pathlib import Path

import pytest

from vision.planogram import skus


def test_fonts_outside_the_pinned_families_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSansMono.ttf", "roboto/Roboto-Bold.ttf",
                 "freefont/FreeSans.ttf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(skus, "_FONT_DIRS", (tmp_path,))
    skus.available_fonts.cache_clear()
    try:
        assert [Path(p).name for p in skus.available_fonts()] == ["DejaVuSans.ttf", "FreeSans.ttf"]
    finally:
        skus.available_fonts.cache_clear()
