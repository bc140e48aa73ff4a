"""Request and response models of the plate task (JSON-ready; the objects the HTTP API returns)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.schemas import Box

# The crops each detection is read in, (x, y) padding per side as a share of the box's width and height:
# a little grown (YOLO boxes are often tight), grown more (real-photo boxes often cut the first or last
# glyph), and grown sideways only (a box taller than the plate holds its rim, the bumper or the housing).
DEFAULT_VIEWS: tuple[tuple[float, float], ...] = ((0.04, 0.08), (0.12, 0.10), (0.08, 0.0))


class CharConfidence(BaseModel):
    """One character of a plate text with the reader's confidence in it."""

    model_config = ConfigDict(frozen=True)

    char: str = Field(min_length=1, max_length=1)
    confidence: float = Field(ge=0.0, le=1.0)


class Plate(BaseModel):
    """One plate in an image: where it is, what it says, and how sure we are."""

    box: Box = Field(description="pixel xyxy; box.confidence is the detector's confidence (0 for a plate "
                     "found among text rows, PlateOptions.text_rows)")
    text: str = Field(description="letters and digits only, upper case (e.g. 'ABC1234')")
    display: str = Field(description="the text as printed on this format (e.g. 'ABC-1234')")
    confidence: float = Field(ge=0.0, le=1.0, description="reading confidence (geometric mean of characters)")
    chars: list[CharConfidence] = Field(default_factory=list)
    country: str | None = Field(None, description="country guessed from the text format (BR, EU, US, ID)")
    format: str | None = Field(None, description="the plate format the text was decoded under, e.g. br_old")


class PlateResult(BaseModel):
    """Every plate found in one image, most confident first."""

    width: int
    height: int
    plates: list[Plate] = Field(default_factory=list)


class PlateOptions(BaseModel):
    """Task options a deployment may set (validated before use)."""

    model_config = ConfigDict(extra="forbid")

    country: str = Field("auto", description="restrict formats to one country: BR, EU, US, ID or auto")
    # The CRNN reads the generated development scenes at least as well as "both" (79.1 vs 78.5 % exact),
    # the held-out ones better (80.3 vs 77.3 %), and is 3-5x faster; on the real BR photos "both" reads
    # one plate more (65.0 vs 63.3 %) with lower precision (README, "Measured").
    reader: Literal["crnn", "easyocr", "both", "cascade"] = Field(
        "crnn", description="crnn: our plate CRNN; easyocr: english_g2 on three views; both: the two fused "
                               "per crop; cascade: easyocr, then the CRNN where easyocr is unsure")
    detector_conf: float = Field(0.25, ge=0.0, le=1.0, description="detections above this are plates")
    candidate_conf: float = Field(0.03, ge=0.0, le=1.0, description="weaker detections are read, and kept if ...")
    confirm_conf: float = Field(0.5, ge=0.0, le=1.0, description="... their text fits a plate format this confidently")
    max_candidates: int = Field(4, ge=0, le=50, description="weak detections read per image")
    # Boxes whose text reads this badly are mostly signs, grilles and logos (README, "Measured").
    min_text_conf: float = Field(0.3, ge=0.0, le=1.0, description="drop plates whose text reads below this "
                                 "confidence; 0 keeps every sure detection, read or not")
    # Trained at 256; 320 found 80% instead of 73% of the real BR plates (any confidence >= 0.03).
    imgsz: int | None = Field(320, ge=32, le=1280, multiple_of=32, description="detector input size; None: as trained")
    # Multi-scale: on the real BR photos 83 % of plates found instead of 78 %; on generated development
    # scenes (not the held-out set) recall 98.9 -> 99.4 %, exact +1.7 points. One pass is 1.3-2x faster
    # (benchmarks/plate_speed.py).
    extra_sizes: tuple[int, ...] = Field((256, 416), max_length=4, description="also detect at these input sizes "
                                         "and merge the boxes (test-time multi-scale); () for one pass")
    # Each box is read in several crops (views): real-photo boxes often cut a glyph or hold the plate's rim,
    # which one view reads wrong and another right. Three views that vote read 272 of 345 generated
    # development plates against 260 for the earlier two views, most confident wins (README, "Measured").
    views: tuple[tuple[float, float], ...] = Field(
        DEFAULT_VIEWS, min_length=1, max_length=8,
        description="the crops each box is read in: (x, y) padding per side as a share of the box's width and "
                    "height; negative shrinks. ((0.04, 0.08),) reads the detector's box once")
    view_fusion: Literal["vote", "best"] = Field(
        "vote", description="vote: the text most views read as a known format (summed confidence) wins; "
                            "best: the single most confident known-format reading")
    fit_to_text: float = Field(0.0, ge=0.0, le=1.0, description="report the plate the characters imply "
                               "(boxes.fit_to_text) where it is narrower than this share of the detector's box; 0: "
                               "always the detector's box")
    text_rows: int = Field(8, ge=0, le=50, description="where the detector finds no sure plate (a known format, "
                           "confirm_conf, 5+ characters), read this "
                           "many rows of glyph-like strokes (propose.text_rows) as plate candidates; 0 turns it off")
    text_rows_conf: float = Field(0.6, ge=0.0, le=1.0, description="keep such a row when its text fits a plate "
                                  "format this confidently")
    max_plates: int = Field(20, ge=1, le=100)
    learned_formats: Literal["only", "add", "off"] = Field(
        "only", description="with a model version that learned its client's plate formats (formats.json): "
                            "only: decode with those; add: those and the hand-written ones of `country`; off: "
                            "the hand-written ones alone")
    one_plate: bool = Field(False, description="gate cameras (one vehicle per photo): report only the best plate "
                            "of each photo (a known format first, then reading confidence, then the detector's)")
    threads: int | None = Field(None, ge=1, le=256, description="CPU threads for torch; None: torch's default")

    @field_validator("extra_sizes")
    @classmethod
    def _sizes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for size in value:
            if not 32 <= size <= 1280 or size % 32:
                raise ValueError(f"detector input sizes must be multiples of 32 in 32..1280, got {size}")
        return value

    @field_validator("views")
    @classmethod
    def _views(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        for x, y in value:
            if not (-0.4 <= x <= 1.0 and -0.4 <= y <= 1.0):
                raise ValueError(f"view padding shares must be in [-0.4, 1], got {(x, y)}")
        return value

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in {"AUTO", "BR", "EU", "US", "ID"}:
            raise ValueError(f"unknown plate country {value!r}; expected auto, BR, EU, US or ID")
        return "auto" if code == "AUTO" else code
