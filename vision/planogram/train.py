"""Training pipeline: generate shelf images, train the class-agnostic YOLO product detector, build the
default catalogue and calibrate the unknown-product threshold; writes everything into ``assets/``.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from vision.planogram.synth import Scene, Split, scenes
from vision.planogram.weights import ASSETS, CARD_FILE, CATALOGUE_FILE, DETECTOR_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Sizes chosen so the whole rebuild fits in ~15 minutes on 2 shared CPU cores."""

    n_train: int = 240
    n_val: int = 24
    epochs: int = 40  # an upper bound: ultralytics re-plans epochs to fit ``time_budget_min``
    imgsz: int = 416
    batch: int = 8
    seed: int = 0
    threads: int = 2
    time_budget_min: float = 12.0  # ultralytics re-plans epochs so training ends within this wall time
    init: Path | None = None  # continue from these detector weights instead of from scratch
    style: Split = "train"  # "wide": broader domain randomisation (training only, see synth.py)


def write_yolo_dataset(root: Path, train: list[Scene], val: list[Scene]) -> Path:
    """Write images and one-class YOLO labels; returns the data YAML path."""
    for split, items in (("train", train), ("val", val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i, scene in enumerate(items):
            w, h = scene.image.size
            scene.image.save(root / "images" / split / f"{i:05d}.jpg", quality=92)
            lines = []
            for p in scene.products:
                x1, y1, x2, y2 = p.box
                if x2 - x1 < 2 or y2 - y1 < 2:
                    continue
                lines.append(f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
            (root / "labels" / split / f"{i:05d}.txt").write_text("\n".join(lines) + "\n")
    data = root / "data.yaml"
    data.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n  0: product\n")
    return data


def train_detector(data_yaml: Path, work: Path, config: TrainConfig) -> Path:
    """Train YOLOv8n from its model YAML (no pretrained weights exist offline); returns best.pt."""
    from core.offline import enforce_offline

    enforce_offline()
    import torch

    torch.set_num_threads(config.threads)
    from ultralytics import YOLO

    # From the model YAML, never "yolov8n.pt": pretrained weights would be downloaded.
    model = YOLO(str(config.init)) if config.init else YOLO("yolov8n.yaml")
    extra = {} if config.init else {"pretrained": False}
    model.train(
        data=str(data_yaml), epochs=config.epochs, imgsz=config.imgsz, batch=config.batch, device="cpu",
        workers=0, amp=False, plots=False, val=True, project=str(work), name="run", exist_ok=True,
        seed=config.seed, deterministic=False, verbose=False, **extra,
        time=config.time_budget_min / 60.0,
        # Shelves are upright and products dense: no rotation/shear, milder scale jitter than default.
        degrees=0.0, shear=0.0, scale=0.3, translate=0.1, fliplr=0.5, mosaic=0.5, close_mosaic=2,
        warmup_epochs=1.0,
        hsv_h=0.02, hsv_s=0.5, hsv_v=0.4, max_det=300, patience=100, cache=True,
    )
    best = work / "run" / "weights" / "best.pt"
    if not best.exists():
        best = work / "run" / "weights" / "last.pt"
    return best


def run_training(out_dir: Path = ASSETS, work_dir: Path | None = None, config: TrainConfig = TrainConfig(),
                 skip_detector: bool = False) -> dict[str, object]:
    """The full rebuild: detector, then default catalogue and unknown threshold. Returns a summary."""

    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {}
    if not skip_detector:
        work = work_dir or Path(os.environ.get("TMPDIR", "/tmp")) / f"planogram-train-{os.getpid()}"
        if work.exists():
            shutil.rmtree(work)
        log.info("rendering %d train + %d val shelf images into %s", config.n_train, config.n_val, work)
        if config.style == "heldout":
            raise ValueError("the held-out style is for evaluation only; train on 'train' or 'wide'")
        data = write_yolo_dataset(work / "data", scenes(config.n_train, config.style, seed=config.seed),
                                  scenes(config.n_val, config.style, seed=config.seed + 10_000))
        if config.init is not None and not config.init.is_file():
            from core.errors import WeightsUnavailable

            raise WeightsUnavailable(f"--init weights {str(config.init)!r} do not exist")
        best = train_detector(data, work, config)
        _strip_checkpoint(best, out_dir / DETECTOR_FILE)
        summary["detector"] = str(out_dir / DETECTOR_FILE)
        summary["detector_mb"] = round((out_dir / DETECTOR_FILE).stat().st_size / 1e6, 2)
        shutil.rmtree(work, ignore_errors=True)
    summary.update(build_catalogue(out_dir, config.seed))
    summary["minutes"] = round((time.perf_counter() - started) / 60, 2)
    if not skip_detector:
        write_card(out_dir, config, summary)
    return summary


def file_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_card(out_dir: Path, config: TrainConfig, summary: dict[str, object],
               lineage: list[dict[str, object]] | None = None, metrics: dict[str, object] | None = None) -> Path:
    """``detector.json`` next to the weights: what was trained on which generated data, from what.

    ``lineage`` lists earlier stages when the weights were continued from others (``--init``);
    ``metrics`` holds validation numbers measured on scenes never trained on.
    """
    import json
    from dataclasses import asdict

    card = {
        "model": "YOLOv8n class-agnostic product detector (vision/planogram)",
        "version": time.strftime("%Y-%m-%d"),
        "sha256": file_sha256(out_dir / DETECTOR_FILE),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "data": {"generator": "vision.planogram.synth.scenes", "style": config.style,
                 "train_scenes": f"scenes({config.n_train}, {config.style!r}, seed={config.seed})",
                 "val_scenes": f"scenes({config.n_val}, {config.style!r}, seed={config.seed + 10_000})"},
        "init_sha256": file_sha256(config.init) if config.init and config.init.is_file() else None,
        "lineage": lineage or [],
        "summary": summary,
        "metrics": metrics or {},
    }
    path = out_dir / CARD_FILE
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def build_catalogue(out_dir: Path, seed: int = 0) -> dict[str, object]:
    """Write the default catalogue; its unknown threshold is calibrated on the detector's own crops
    of train-split shelves when a detector exists in ``out_dir``."""
    from vision.planogram.catalogue import build_default_catalogue

    detector_file = out_dir / DETECTOR_FILE
    detect = _detect_fn(detector_file) if detector_file.is_file() else None
    catalogue = build_default_catalogue(calibration_seed=seed, detect=detect)
    catalogue.save(out_dir / CATALOGUE_FILE)
    log.info("catalogue: %d SKUs, unknown threshold %.3f", len(catalogue.skus), catalogue.threshold)
    return {"catalogue_skus": len(catalogue.skus), "unknown_threshold": round(catalogue.threshold, 4),
            "threshold_calibrated_on": "detector crops" if detect else "jittered truth boxes"}


def _detect_fn(weights: Path):
    from core.device import resolve_placement
    from vision.planogram.detect import ProductDetector

    detector = ProductDetector(weights, resolve_placement("cpu")).load()
    return lambda image: [box[:4] for box in detector.detect([image])[0]]


def _strip_checkpoint(src: Path, dst: Path) -> None:
    """Keep only the model (fp16) in the shipped file; drop the optimizer state (halves the size)."""
    from ultralytics.utils.torch_utils import strip_optimizer

    tmp = dst.with_suffix(".tmp.pt")
    shutil.copy(src, tmp)
    strip_optimizer(str(tmp))
    tmp.replace(dst)
