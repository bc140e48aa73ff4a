"""Plate speed: images/second and latency split into detector and reader, across batch sizes (CPU by default).

Scenario (named with every number, as in MLPerf): ``offline`` batches of 1, 2, 4, 8, 16 generated
held-out car photos (480x360, one plate each) through ``PlateReader``; per batch the wall-clock
split into decode, detector and reader, after warm-up, repeated; p50/p90 per batch and
images/second overall.

    .venv/bin/python benchmarks/plate_speed.py --device cpu --threads 1 --repeats 3 --out /tmp/plate_speed.json
    .venv/bin/python benchmarks/plate_speed.py --device cpu --threads 1 --reader easyocr   # the other reader
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from benchmarks.stats import percentile
from vision.plate.schemas import DEFAULT_VIEWS  # pydantic only: no torch, no weights

log = logging.getLogger("plate_speed")


def run(batches: list[int], device: str, repeats: int, threads: int | None,
        reader: str | None = None, extra_sizes: tuple[int, ...] | None = None,
        views: int | None = None) -> dict[str, object]:
    from vision.plate.datasets import synthetic
    from vision.plate.reader import PlateReader

    started = time.perf_counter()
    options: dict[str, object] = {"reader": reader} if reader else {}
    if extra_sizes is not None:
        options["extra_sizes"] = extra_sizes
    if views is not None:  # the first ``views`` of the task's crops per box
        options["views"] = DEFAULT_VIEWS[:views]
    task = PlateReader(device=device, threads=threads, **options).load()
    load_s = time.perf_counter() - started
    images = [s.image.resize((480, 360)) for s in synthetic(max(batches), seed=515_151)]
    task.timed_predict(images[:2])  # warm-up: first calls plan kernels for new shapes
    rows = []
    for batch in batches:
        per_stage: dict[str, list[float]] = {"end_to_end": [], "decode": [], "detect": [], "read": [], "text_rows": []}
        crops = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            _, timings = task.timed_predict(images[:batch])
            per_stage["end_to_end"].append(time.perf_counter() - t0)
            for stage in ("decode", "detect", "read", "text_rows"):
                per_stage[stage].append(timings[stage])
            crops += timings["crops"]
        row = {"scenario": "offline", "batch": batch, "repeats": repeats,
               "images_per_s": round(batch * repeats / sum(per_stage["end_to_end"]), 2),
               "crops_read_per_image": round(crops / (batch * repeats), 2)}
        for stage, values in per_stage.items():
            row[f"{stage}_p50_ms_per_batch"] = round(percentile(values, 50) * 1000, 1)
            row[f"{stage}_p90_ms_per_batch"] = round(percentile(values, 90) * 1000, 1)
        row["detect_ms_per_image"] = round(percentile(per_stage["detect"], 50) * 1000 / batch, 1)
        row["read_ms_per_image"] = round(percentile(per_stage["read"], 50) * 1000 / batch, 1)
        # Rows proposed and read where the detector found no sure plate (PlateOptions.text_rows).
        row["text_rows_ms_per_image"] = round(percentile(per_stage["text_rows"], 50) * 1000 / batch, 1)
        rows.append(row)
        log.info("batch %2d: %.2f images/s (detect %.0f ms/img, read %.0f ms/img)", batch, row["images_per_s"],
                 row["detect_ms_per_image"], row["read_ms_per_image"])
    return {"task": "plate", "device": task.placement.device if task.placement else device,
            "torch_threads": threads, "reader": task.settings.reader,
            "detector_sizes": [task.settings.imgsz, *task.settings.extra_sizes],
            "views": [list(v) for v in task.settings.views], "view_fusion": task.settings.view_fusion, "load_s": round(load_s, 2), "input": "480x360 generated photos, 1 plate",
            "results": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--batches", default="1,2,4,8,16", help="comma-separated batch sizes")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--reader", default=None, choices=["crnn", "easyocr", "both", "cascade"],
                        help="plate reader (default: the task's default)")
    parser.add_argument("--extra-sizes", default=None,
                        help="detector passes besides the main one, e.g. 256,416; '' for one pass (default: the task's)")
    parser.add_argument("--views", type=int, default=None,
                        help="read each box in the first N of the task's crops (PlateOptions.views; default: all); "
                             "1 reads the detector's box once")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        batches = [int(b) for b in args.batches.split(",") if b.strip()]
    except ValueError:
        parser.error("--batches takes comma-separated integers, e.g. 1,4,16")
    if not batches or min(batches) < 1 or args.repeats < 1:
        parser.error("batch sizes and --repeats must be positive")
    try:
        extra = None if args.extra_sizes is None else tuple(int(s) for s in args.extra_sizes.split(",") if s.strip())
    except ValueError:
        parser.error("--extra-sizes takes comma-separated integers, e.g. 256,416")
    from core.offline import enforce_offline

    enforce_offline()
    if args.views is not None and not 1 <= args.views <= len(DEFAULT_VIEWS):
        parser.error(f"--views takes 1 to {len(DEFAULT_VIEWS)}")
    result = run(batches, args.device, args.repeats, args.threads, args.reader, extra, args.views)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
        log.info("wrote %s", args.out)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
