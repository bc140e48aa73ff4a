"""OCR task: read documents and scene text offline (easyocr), with reading order and page orientation.

The task class is imported lazily (``from vision.ocr import OcrReader``) so that importing this
package stays light.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vision.ocr.schemas import DocumentResult, OcrLine, OcrOptions, OcrResult, OcrWord

if TYPE_CHECKING:
    from vision.ocr.reader import OcrReader

__all__ = ["DocumentResult", "OcrLine", "OcrOptions", "OcrReader", "OcrResult", "OcrWord"]


def __getattr__(name: str) -> Any:
    if name == "OcrReader":
        from vision.ocr.reader import OcrReader

        return OcrReader
    raise AttributeError(name)
