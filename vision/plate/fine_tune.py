"""``ais plate fine-tune``: adapt the plate task to a client's labelled photos as a new model version.

The photos are split by name (``client_split``: the last 40 test, never touched here; the 11 before them
validation, for early stopping and the card; the rest train). The plate formats are learned from the
training and validation labels (``learned_formats``); the detector (client photos + generated scenes) and
the reader (client crops + generated crops in the client's formats + generic crops) are fine-tuned at the
same time, the detector in a second process. The result is a folder, a model version that
``PlateReader(weights=FOLDER)`` loads and ``ais models import plate FOLDER`` stores; the shipped weights
are not touched (they stay the default and the rollback target).
"""
from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from core.errors import InvalidInput
from vision.plate.datasets import PlateDataset
from vision.plate.fine_tune_detector import DetectorFineTuneConfig, DetectorFineTuneResult, fine_tune_detector
from vision.plate.fine_tune_reader import ReaderFineTuneConfig, fine_tune_reader

log = logging.getLogger(__name__)

DETECTOR_FILE = "plate-yolov8t.pt"
READER_FILE = "plate-crnn.pt"
CARD_FILE = "card.json"
DEFAULT_OUT = Path("runs") / "plate-fine-tune"


@dataclass(frozen=True)
class FineTuneConfig:
    """A whole fine-tune: data, split, and the two parts' settings."""

    data: str
    format: str = "auto"
    test: int = 40
    val: int = 11
    min_format_count: int = 2
    detector: DetectorFineTuneConfig = field(default_factory=DetectorFineTuneConfig)
    reader: ReaderFineTuneConfig = field(default_factory=ReaderFineTuneConfig)
    parallel: bool = True  # detector in a second process while the reader trains
    skip_detector: bool = False


@dataclass
class FineTuneResult:
    folder: Path
    version: str
    card: dict[str, object]


def _detector_job(train: PlateDataset, val: PlateDataset, init: Path, out: Path, work: Path,
                  config: DetectorFineTuneConfig) -> DetectorFineTuneResult:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s detector %(message)s")
    return fine_tune_detector(train, val, init, out, work, config)


def _load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def fine_tune(config: FineTuneConfig, out_root: Path = DEFAULT_OUT, detector_init: Path | None = None,
              reader_init: Path | None = None) -> FineTuneResult:
    """Run the fine-tune and write ``out_root/<version>/`` (detector, reader, formats, card)."""
    from vision.plate.client_split import split_client
    from vision.plate.crnn import WEIGHTS as SHIPPED_READER
    from vision.plate.labelled import load_labelled
    from vision.plate.learned_formats import FILE_NAME, learn_formats, save_formats, template_of
    from vision.plate.reader import PACKAGE_WEIGHTS

    started, load_start = time.perf_counter(), _load_average()
    dataset = load_labelled(Path(config.data), config.format)
    train, val, test = split_client(dataset, config.test, config.val)
    texts = [p.text for part in (train, val) for s in part for p in s.plates if p.text]
    if not texts:
        raise InvalidInput(f"{config.data}: no plate texts in the training and validation photos")
    formats = learn_formats(texts, config.min_format_count)
    version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = Path(out_root) / f"plate-client-{version}"
    folder.mkdir(parents=True, exist_ok=False)
    save_formats(formats, folder / FILE_NAME, dict(Counter(template_of(t) for t in texts)))
    log.info("split %d train / %d validation / %d test photos; %d formats learned: %s", len(train), len(val),
             len(test), len(formats), [f.template for f in formats])
    detector_init = Path(detector_init or PACKAGE_WEIGHTS)
    reader_init = Path(reader_init or SHIPPED_READER)
    work = Path(tempfile.mkdtemp(prefix="plate-fine-tune-"))
    detector_result: DetectorFineTuneResult | None = None
    try:
        pool = None
        future = None
        if not config.skip_detector:
            if config.parallel:
                pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
                future = pool.submit(_detector_job, train, val, detector_init, folder / DETECTOR_FILE, work,
                                     config.detector)
            else:
                detector_result = fine_tune_detector(train, val, detector_init, folder / DETECTOR_FILE, work,
                                                     config.detector)
        else:
            shutil.copyfile(detector_init, folder / DETECTOR_FILE)
        reader_result = fine_tune_reader(train, val, formats, reader_init, folder / READER_FILE, config.reader)
        if future is not None:
            detector_result = future.result()
        if pool is not None:
            pool.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    card: dict[str, object] = {
        "version": version, "task": "plate", "kind": "client fine-tune",
        "data": {"folder": str(config.data), "format": config.format,
                 "split": f"sorted by file name: last {config.test} test (not used here), the {config.val} before "
                          f"them validation, the first {len(train)} train",
                 "train": [s.name for s in train], "validation": [s.name for s in val], "test": [s.name for s in test]},
        "formats": [asdict(f) for f in formats],
        "detector": {"init": str(detector_init), "config": asdict(config.detector),
                     "result": None if detector_result is None else
                     {"seconds": round(detector_result.seconds, 1), "epochs": detector_result.epochs,
                      "validation_last_epoch": detector_result.metrics}},
        "reader": {"init": str(reader_init), "config": asdict(config.reader),
                   "result": {"seconds": round(reader_result.seconds, 1), "steps": reader_result.steps,
                              "best_step": reader_result.best_step, "validation_before": reader_result.before,
                              "validation_best": reader_result.after, "history": reader_result.history}},
        "timing": {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "cpu_s_over_2_cores": round(cpu / 2, 1),
                   "load_start": load_start, "load_end": _load_average(),
                   "note": "machine shared with other engineers; wall time depends on their load"},
    }
    (folder / CARD_FILE).write_text(json.dumps(card, indent=2))
    log.info("wrote %s in %.1f min (CPU %.1f min)", folder, wall / 60, cpu / 60)
    return FineTuneResult(folder, version, card)
