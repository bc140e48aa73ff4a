"""Image decoding: every supported format decodes upright; every bad input raises InvalidInput."""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from PIL import Image

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from core.images import decode_image, decode_pages, load_image
from core.schemas import ImageLimits


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _sample(size: tuple[int, int] = (40, 30)) -> Image.Image:
    arr = np.zeros((size[1], size[0], 3), np.uint8)
    arr[:, : size[0] // 2] = (255, 0, 0)  # left half red: lets us see rotations
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP", "BMP"])
def test_supported_formats_decode_to_rgb(fmt: str) -> None:
    img = decode_image(_encode(_sample(), fmt))
    assert img.mode == "RGB" and img.size == (40, 30)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = _encode(_sample((40, 30)), "JPEG", exif=exif)
    img = decode_image(data)
    assert img.size == (30, 40)
    # the red half was on the left; after a 90-degree clockwise turn it is on top
    top, bottom = np.asarray(img)[2, 15], np.asarray(img)[37, 15]
    assert top[0] > 200 and bottom[0] < 60


def test_multipage_tiff_returns_every_page() -> None:
    pages = [_sample((20 + i, 10)) for i in range(3)]
    buf = io.BytesIO()
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    decoded = decode_pages(buf.getvalue())
    assert [p.size for p in decoded] == [(20, 10), (21, 10), (22, 10)]
    assert decode_image(buf.getvalue()).size == (20, 10)


def test_too_many_pages_is_rejected() -> None:
    pages = [_sample((8, 8)) for _ in range(4)]
    buf = io.BytesIO()
    pages[0].save(buf, "TIFF", save_all=True, append_images=pages[1:])
    with pytest.raises(PayloadTooLarge, match="more than 3 pages"):
        decode_pages(buf.getvalue(), ImageLimits(max_pages=3))


def test_zero_bytes() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        decode_image(b"")


def test_non_image() -> None:
    with pytest.raises(UnsupportedMediaType, match="not an image"):
        decode_image(b"hello, this is plain text and not a picture at all")


def test_pdf_is_named() -> None:
    with pytest.raises(UnsupportedMediaType, match="PDF"):
        decode_image(b"%PDF-1.7\n1 0 obj\n")


def test_unsupported_format() -> None:
    with pytest.raises(UnsupportedMediaType, match="GIF"):
        decode_image(_encode(_sample(), "GIF"))


def test_corrupt_body() -> None:
    data = bytearray(_encode(_sample((64, 64)), "PNG"))
    data[60:-12] = bytes(len(data) - 72)  # keep the header, destroy the compressed pixels
    with pytest.raises(InvalidInput, match="corrupt|truncated"):
        decode_image(bytes(data))


def test_truncated_jpeg() -> None:
    data = _encode(_sample((200, 200)), "JPEG", quality=95)
    with pytest.raises(InvalidInput, match="corrupt or truncated"):
        decode_image(data[: len(data) // 2])


def test_max_bytes() -> None:
    data = _encode(_sample(), "PNG")
    with pytest.raises(PayloadTooLarge, match="limit is 10 bytes"):
        decode_image(data, ImageLimits(max_bytes=10))


def test_max_pixels() -> None:
    with pytest.raises(PayloadTooLarge, match="pixels"):
        decode_image(_encode(_sample((40, 30)), "PNG"), ImageLimits(max_pixels=1000))


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A ~20 kB PNG whose header declares width x height 8-bit grey pixels (a decompression bomb)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(bytes(20 * 1024 * 1024), 9)  # 20 MB of zeros compress to ~20 kB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_decompression_bomb_rejected_from_header() -> None:
    data = bomb_png()
    assert len(data) < 40_000
    with pytest.raises(PayloadTooLarge, match="decompression bomb"):
        decode_image(data)


def test_decompression_bomb_peak_memory_under_200mb(tmp_path) -> None:
    """Decode the bomb in a fresh process and read its peak resident memory from the kernel."""
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    script = textwrap.dedent(
        f"""
        from core.errors import PayloadTooLarge
        from core.images import decode_image
        try:
            decode_image(open({str(path)!r}, "rb").read())
        except PayloadTooLarge:
            pass
        else:
            raise SystemExit("bomb was accepted")
        # VmHWM is this process's own peak (ru_maxrss would include the parent's, kept across exec)
        print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    peak_kb = int(out.stdout.strip())
    assert peak_kb < 200 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_load_image_accepts_array_path_and_pil(tmp_path) -> None:
    arr = np.full((5, 6, 3), 7, np.uint8)
    assert load_image(arr).size == (6, 5)
    path = tmp_path / "x.png"
    Image.fromarray(arr).save(path)
    assert load_image(path).size == (6, 5)
    assert load_image(Image.fromarray(arr).convert("L")).mode == "RGB"
    with pytest.raises(InvalidInput, match="uint8"):
        load_image(arr.astype(np.float32))
    with pytest.raises(InvalidInput, match="does not exist"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(InvalidInput, match="expected image bytes"):
        load_image(12345)  # type: ignore[arg-type]


def test_decoding_survives_a_library_patching_pil_open(monkeypatch) -> None:
    """Ultralytics monkeypatches PIL.Image.open on import; our decoder must keep PIL's behaviour."""

    def patched(*args: object, **kwargs: object) -> Image.Image:
        raise ModuleNotFoundError("No module named 'pi_heif'")

    monkeypatch.setattr(Image, "open", patched)
    assert decode_image(_encode(_sample(), "PNG")).size == (40, 30)
    with pytest.raises(UnsupportedMediaType):
        decode_image(b"definitely not an image")
