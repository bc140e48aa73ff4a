"""Fine-tune the plate detector on a client's photos mixed with generated scenes (so it does not forget),
validated (best epoch kept, early stop) on the client's validation photos, never on their test photos."""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput
from core.offline import enforce_offline
from vision.plate.datasets import PlateDataset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectorFineTuneConfig:
    """What a detector fine-tune uses; stored in the version's card."""

    minutes: float = 20.0
    scenes: int = 300  # generated scenes mixed with the client's photos
    repeats: int = 3  # each client training photo appears this many times per epoch
    imgsz: int = 320  # the task detects at 320 (and 256, 416)
    epochs: int = 40
    batch: int = 8
    patience: int = 10  # epochs without a better validation fitness before stopping
    seed: int = 0
    threads: int = 1

    def validate(self) -> None:
        if self.minutes <= 0 or self.epochs < 1 or self.repeats < 1 or self.scenes < 0:
            raise InvalidInput("minutes > 0, epochs >= 1, repeats >= 1 and scenes >= 0 are required")
        if self.imgsz < 32 or self.imgsz % 32:
            raise InvalidInput(f"imgsz must be a multiple of 32, got {self.imgsz}")


@dataclass
class DetectorFineTuneResult:
    weights: Path
    seconds: float
    epochs: int
    metrics: dict[str, float]


def _yolo_line(box: tuple[float, float, float, float], width: int, height: int) -> str:
    x1, y1, x2, y2 = (max(0.0, min(v, lim)) for v, lim in zip(box, (width, height, width, height)))
    return f"0 {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}"


def write_client_yolo(root: Path, train: PlateDataset, val: PlateDataset, config: DetectorFineTuneConfig) -> Path:
    """``images/{train,val}`` + ``labels/...`` + ``data.yaml``: the client's training photos ``repeats`` times and
    ``scenes`` generated scenes (seed ``config.seed + 60000``) to train, the client's validation photos to validate."""
    import numpy as np
    import yaml

    from vision.plate.synth import render_scene

    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
    for split, dataset, copies in (("train", train, config.repeats), ("val", val, 1)):
        for sample in dataset:
            image = sample.image
            width, height = image.size
            lines = "\n".join(_yolo_line(p.box, width, height) for p in sample.plates) + "\n"
            for copy in range(copies):
                stem = f"client_{sample.name}_{copy}"
                image.save(root / "images" / split / f"{stem}.jpg", quality=95)
                (root / "labels" / split / f"{stem}.txt").write_text(lines)
    rng = np.random.default_rng(config.seed + 60_000)
    for index in range(config.scenes):
        scene = render_scene(rng=rng)
        width, height = scene.image.size
        stem = f"scene_{index:05d}"
        scene.image.save(root / "images" / "train" / f"{stem}.jpg", quality=92)
        lines = [_yolo_line(p.box, width, height) for p in scene.plates]
        (root / "labels" / "train" / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    data_yaml = root / "data.yaml"
    data_yaml.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": "images/val",
                                         "names": {0: "plate"}}))
    return data_yaml


def fine_tune_detector(train: PlateDataset, val: PlateDataset, init: Path, out: Path, work: Path,
                       config: DetectorFineTuneConfig) -> DetectorFineTuneResult:
    """Continue the detector ``init`` on the client's photos + generated scenes; write the best epoch (by the
    client validation photos' fitness) to ``out``."""
    config.validate()
    enforce_offline()
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    import torch

    torch.set_num_threads(config.threads)
    from ultralytics import YOLO

    started = time.perf_counter()
    data_yaml = write_client_yolo(work / "data", train, val, config)
    log.info("detector fine-tune data written in %.0fs", time.perf_counter() - started)
    model = YOLO(str(init))
    model.train(
        data=str(data_yaml), imgsz=config.imgsz, epochs=config.epochs, batch=config.batch,
        time=config.minutes / 60, device="cpu" if not torch.cuda.is_available() else 0,
        workers=0, amp=False, plots=False, cache=True, val=True, warmup_epochs=0.5, seed=config.seed,
        deterministic=False, project=str(work / "runs"), name="detect", exist_ok=True, verbose=False,
        patience=config.patience, lr0=0.002, fliplr=0.5, mosaic=1.0, close_mosaic=2, degrees=3.0, hsv_v=0.5,
        scale=0.5, translate=0.2,
    )
    weights_dir = work / "runs" / "detect" / "weights"
    best = weights_dir / "best.pt" if (weights_dir / "best.pt").exists() else weights_dir / "last.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)
    trainer = model.trainer
    metrics = {k: float(v) for k, v in (getattr(trainer, "metrics", None) or {}).items() if isinstance(v, (int, float))}
    epochs = int(getattr(trainer, "epoch", -1)) + 1
    return DetectorFineTuneResult(out, time.perf_counter() - started, epochs, metrics)
