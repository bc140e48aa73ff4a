"""Registry entry of the OCR task (light: imports only ``core``)."""
from __future__ import annotations

from core.operations import Operation
from core.registry import TaskSpec

SPEC = TaskSpec(
    name="ocr",
    summary="Read documents and scene text: words and lines with boxes, confidence, reading order, orientation",
    task="vision.ocr.reader:OcrReader",
    extra="ocr",
    requires=("easyocr", "easyocr_en_models", "pypdfium2"),
    weights="vision.ocr.weights:status",
    samples="vision.ocr.synth:sample_inputs",
    bad_input="vision.ocr.synth:bad_input",
    datasets={"rendered": "vision.ocr.datasets:rendered_pages",
              "rotated": "vision.ocr.datasets:rotated_pages"},
    quick_datasets={"rendered": "vision.ocr.datasets:rendered_quick",
                    "rotated": "vision.ocr.datasets:rotated_quick"},
    read_data="vision.ocr.labelled:read_labelled",
    result="vision.ocr.schemas:OcrResult",
    options="vision.ocr.schemas:OcrOptions",
    operations=(
        Operation("read", "POST", "/ocr", "vision.ocr.operations:read", "vision.ocr.operations:ReadRequest",
                  "vision.ocr.schemas:DocumentResult",
                  "Read one image, multi-page TIFF or PDF (pages=1-3): every page, the same schema for all"),
        Operation("extract", "POST", "/ocr/extract", "vision.ocr.operations:extract",
                  "vision.ocr.operations:ExtractFieldsRequest", "vision.ocr.schemas:ExtractResult",
                  "Key fields of a receipt or invoice (company, date, address, total; or your own field set)"),
    ),
)
