"""Detector training pipeline: generate scenes, train a YOLO from its YAML (no pretrained weights), save a versioned model."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import InvalidInput
from core.offline import enforce_offline

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS_NAME = "plate-yolov8t.pt"
MODEL_YAML = Path(__file__).resolve().parent / "plate-yolov8t.yaml"


@dataclass(frozen=True)
class TrainConfig:
    """What one training run uses; stored next to the weights so a model says how it was made."""

    images: int = 1200
    val_images: int = 100
    epochs: int = 30
    imgsz: int = 256
    batch: int = 8
    model_yaml: str = str(MODEL_YAML)
    seed: int = 0
    max_minutes: float = 12.0  # wall-clock cap on the YOLO fit (ultralytics adapts epochs to it)
    threads: int = 1  # on a shared CPU one thread per process beats two that wait on each other
    init: str | None = None  # start from these detector weights (continue training / adapt to client data)

    def validate(self) -> None:
        if self.images < 1 or self.val_images < 1:
            raise InvalidInput("images and val_images must be at least 1")
        if self.epochs < 1:
            raise InvalidInput("epochs must be at least 1")
        if self.imgsz < 32 or self.imgsz % 32:
            raise InvalidInput(f"imgsz must be a multiple of 32 and at least 32, got {self.imgsz}")
        if self.max_minutes <= 0:
            raise InvalidInput("max_minutes must be positive")
        if self.threads < 1:
            raise InvalidInput(f"threads must be at least 1, got {self.threads}")
        if self.init is not None and not Path(self.init).is_file():
            raise InvalidInput(f"initial weights {self.init!r} do not exist")


@dataclass
class TrainResult:
    """Where the model went and what validation (on generated held-out scenes) said."""

    weights: Path
    version: str
    seconds: float
    metrics: dict[str, float]


def train_detector(config: TrainConfig, out: Path | None = None, workdir: Path | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> TrainResult:
    """Generate ``config.images`` scenes, train the detector, and write ``out`` (+ a ``.json`` card).

    ``progress(stage, done, total)`` is called while generating data and after every epoch.
    """
    config.validate()
    enforce_offline()
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    import torch

    torch.set_num_threads(config.threads)
    from ultralytics import YOLO

    from vision.plate.synth import font_paths, write_yolo_dataset

    out = out or WEIGHTS_DIR / DEFAULT_WEIGHTS_NAME
    started = time.perf_counter()
    own_workdir = workdir is None
    work = Path(tempfile.mkdtemp(prefix="plate-train-")) if workdir is None else workdir
    try:
        total = config.images + config.val_images
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress("generate", done, total)

        data_yaml = write_yolo_dataset(work / "data", config.images, config.val_images, seed=config.seed,
                                       progress=tick)
        log.info("generated %d training and %d validation scenes in %.0fs", config.images, config.val_images,
                 time.perf_counter() - started)
        model = YOLO(config.init) if config.init else YOLO(config.model_yaml)
        if progress is not None:
            model.add_callback("on_fit_epoch_end",
                               lambda trainer: progress("train", trainer.epoch + 1, trainer.epochs))
        model.train(
            data=str(data_yaml), imgsz=config.imgsz, epochs=config.epochs, batch=config.batch,
            time=config.max_minutes / 60, device="cpu" if not torch.cuda.is_available() else 0,
            workers=0, amp=False, plots=False, cache=True, val=False, warmup_epochs=0.5, seed=config.seed, deterministic=False,
            project=str(work / "runs"), name="detect", exist_ok=True, verbose=False, patience=100,
            # Horizontal flips mirror the characters; the detector does not care, and it doubles variety.
            fliplr=0.5, mosaic=1.0, close_mosaic=1, degrees=3.0, hsv_v=0.5, scale=0.6, translate=0.2,
        )
        best = work / "runs" / "detect" / "weights" / "best.pt"
        if not best.exists():
            best = work / "runs" / "detect" / "weights" / "last.pt"
        metrics = {k: float(v) for k, v in (getattr(model.trainer, "metrics", None) or {}).items()
                   if isinstance(v, (int, float))}
        version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best, out)
        seconds = time.perf_counter() - started
        card = {"version": version, "config": {**asdict(config), "model_yaml": Path(config.model_yaml).name,
                                               "init": _init_card(config.init)}, "seconds": round(seconds, 1),
                "validation": {"data": "generated scenes (seed + 10000), never trained on", **metrics},
                "fonts": [path.name for path in font_paths()],
                "detector": "ultralytics YOLO trained from model YAML, no pretrained weights"}
        out.with_suffix(".json").write_text(json.dumps(card, indent=2))
        log.info("saved %s (version %s) in %.0fs", out, version, seconds)
        return TrainResult(out, version, seconds, metrics)
    finally:
        if own_workdir:
            shutil.rmtree(work, ignore_errors=True)


def _init_card(init: str | None) -> object:
    """The lineage of a continued run: the version card of the weights it started from."""
    if init is None:
        return None
    card = Path(init).with_suffix(".json")
    return json.loads(card.read_text()) if card.exists() else Path(init).name
