"""Registry entry of the planogram task (light: imports only ``core``)."""
from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="planogram",
    summary="Shelf images: detect products, recognise SKUs, check them against a planogram",
    task="vision.planogram.checker:PlanogramChecker",
    extra="planogram",
    requires=("ultralytics", "torch", "cv2"),
    weights="vision.planogram.weights:status",
    samples="vision.planogram.synth:sample_inputs",
    bad_input="vision.planogram.synth:bad_input",
    datasets={"heldout": "vision.planogram.evaluate:heldout_scenes"},
    quick_datasets={"heldout": "vision.planogram.evaluate:heldout_quick"},
)
