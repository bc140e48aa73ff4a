"""Registry entry of the planogram task (light: imports only ``core``)."""
from __future__ import annotations

from core.operations import Operation
from core.registry import TaskSpec

_OPS = "vision.planogram.operations"

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
    read_data="vision.planogram.labelled:read_data",
    result="vision.planogram.schemas:ShelfDetections",
    options="vision.planogram.options:PlanogramOptions",
    operations=(
        Operation("detect", "POST", "/planogram/detect", kind="predict",
                  summary="Products on the shelf: boxes, SKU candidates, shelf and position"),
        Operation("check", "POST", "/planogram/check", f"{_OPS}:check", f"{_OPS}:CheckRequest", f"{_OPS}:CheckResult",
                  "Compare a shelf photo with a planogram (inline or stored): compliance per position"),
        Operation("put_planogram", "POST", "/planogram/planograms", f"{_OPS}:put_planogram",
                  "vision.planogram.schemas:PlanogramSpec", f"{_OPS}:PlanogramSaved",
                  "Store a planogram for this tenant (replaces one with the same fixture_id)"),
        Operation("list_planograms", "GET", "/planogram/planograms", f"{_OPS}:list_planograms",
                  "core.operations:Empty", f"{_OPS}:PlanogramList", "The tenant's stored planograms"),
    ),
)
