"""Planogram speed: shelf images/second and latency split into detector, recogniser, gap check and compliance.

Scenarios (named with every number, as in MLPerf): ``single-stream`` sends one image at a time
and reports p50/p90/p99 latency per stage; ``offline`` sends batches and reports throughput.
Inputs are generated held-out shelves (640x480, 3-5 shelves, ~30-60 products each).

    .venv/bin/python benchmarks/planogram_speed.py --images 20 --device cpu --out /tmp/planogram_speed.json
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("planogram_speed")


def _percentiles(values: list[float]) -> dict[str, float]:
    arr = np.array(values) * 1000
    return {"p50_ms": round(float(np.percentile(arr, 50)), 1), "p90_ms": round(float(np.percentile(arr, 90)), 1),
            "p99_ms": round(float(np.percentile(arr, 99)), 1), "mean_ms": round(float(arr.mean()), 1)}


def run(n_images: int, device: str, batch: int, warmup: int, threads: int) -> dict[str, object]:
    import torch

    torch.set_num_threads(threads)
    from vision.planogram import PlanogramChecker
    from vision.planogram.evaluate import heldout_scenes

    started = time.perf_counter()
    checker = PlanogramChecker(device=device).load()
    load_s = time.perf_counter() - started
    data = heldout_scenes(n_images + warmup, seed=123)
    for scene in data[:warmup]:
        checker.check(scene.image, scene.spec)
    # The task keeps per-stage wall-clock totals; differences around each call split its latency.
    stages: dict[str, list[float]] = {"detector": [], "recogniser": [], "gap_check": [], "compliance": [],
                                      "end_to_end": []}
    keys = {"detector": "detect_s", "recogniser": "recognise_s", "gap_check": "gap_check_s",
            "compliance": "compliance_s"}
    n_products = []
    for scene in data[warmup:]:
        before = dict(checker.timings)
        t0 = time.perf_counter()
        report = checker.check(scene.image, scene.spec)
        stages["end_to_end"].append(time.perf_counter() - t0)
        for stage, key in keys.items():
            stages[stage].append(checker.timings[key] - before[key])
        n_products.append(sum(p.status != "missing" for p in report.positions))
    images = [s.image for s in data[warmup:]]
    t0 = time.perf_counter()
    for k in range(0, len(images), batch):
        checker.predict(images[k:k + batch])
    offline_s = time.perf_counter() - t0
    return {
        "device": checker.placement.device if checker.placement else device,
        "torch_threads": threads,
        "images": len(images),
        "products_per_image": round(float(np.mean(n_products)), 1),
        "load_s": round(load_s, 2),
        "single_stream": {stage: _percentiles(v) for stage, v in stages.items()},
        "single_stream_images_per_s": round(1.0 / float(np.mean(stages["end_to_end"])), 2),
        "offline": {"batch": batch, "images_per_s": round(len(images) / offline_s, 2)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = run(args.images, args.device, args.batch, args.warmup, args.threads)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text)
        log.info("wrote %s", args.out)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
