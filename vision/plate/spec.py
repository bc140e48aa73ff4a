"""Registry entry of the plate task (light: imports only ``core``)."""
from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="plate",
    summary="Find licence plates in car photos and read them: boxes, text, per-character confidence, country",
    task="vision.plate.reader:PlateReader",
    extra="plate",
    requires=("ultralytics", "easyocr", "easyocr_en_models", "cv2"),
    weights="vision.plate.weights_status:status",
    samples="vision.plate.synth:sample_inputs",
    bad_input="vision.plate.synth:bad_input",
    datasets={"synthetic": "vision.plate.datasets:synthetic_held_out", "br": "vision.plate.datasets:br_real"},
    read_data="vision.plate.labelled:read_data",
    result="vision.plate.schemas:PlateResult",
    options="vision.plate.schemas:PlateOptions",
)
