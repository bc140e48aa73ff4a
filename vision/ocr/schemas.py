"""Request options and results of the OCR task (JSON-ready pydantic models, the objects the HTTP API returns)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.schemas import Box


class OcrOptions(BaseModel):
    """Reader options; the defaults are the settings the evaluation in the README supports."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    detect_orientation: bool = True
    deskew: bool = False
    normalise_contrast: bool = False
    upscale_small_text: bool = True
    detection_canvas: int = Field(1280, ge=320, le=4096, description="longest side (px) the detector sees")
    batch_size: int = Field(32, ge=1, le=512, description="word crops per recognition batch")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="drop words read with less confidence")
    pdf_dpi: int = Field(200, ge=50, le=600, description="resolution PDF pages are rendered at")


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
