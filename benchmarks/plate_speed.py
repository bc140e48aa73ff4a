"""Plate speed: images/second and latency split into detector and reader, across batch sizes (CPU by default).

Scenario (named with every number, as in MLPerf): ``offline`` batches of 1, 2, 4, 8, 16 generated
held-out car photos (480x360, one plate each) through ``PlateReader``; per batch the wall-clock
split into decode, detector, reader and text rows, after warm-up, repeated; p50/p90 per batch and
images/second overall.

Several configurations (``--views 3,2,1``: crops read per box) are measured side by side in one run,
interleaved call by call, so their ratios hold on a noisy machine; the first is the baseline of the
``×`` column. A run folder gets ``results.json``, ``report.md`` and ``plate_speed.png``.

    .venv/bin/python benchmarks/plate_speed.py --device cpu --threads 1 --batches 1,4,16 --views 3,2,1
    .venv/bin/python benchmarks/plate_speed.py --device cpu --threads 1 --reader easyocr   # the other reader
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.stats import percentile
from vision.plate.schemas import DEFAULT_VIEWS  # pydantic only: no torch, no weights

log = logging.getLogger("plate_speed")

STAGES = ("decode", "detect", "read", "text_rows")


def config_name(reader: str, views: int) -> str:
    return f"{reader}, {views} crop{'s' if views > 1 else ''} per box"


def _row(batch: int, repeats: int, per_stage: dict[str, list[float]], crops: float) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": "offline", "batch": batch, "repeats": repeats,
                           "images_per_s": round(batch * repeats / sum(per_stage["end_to_end"]), 2),
                           "crops_read_per_image": round(crops / (batch * repeats), 2)}
    for stage, values in per_stage.items():
        row[f"{stage}_p50_ms_per_batch"] = round(percentile(values, 50) * 1000, 1)
        row[f"{stage}_p90_ms_per_batch"] = round(percentile(values, 90) * 1000, 1)
    for stage in ("detect", "read", "text_rows"):  # text rows: the second chance where no sure plate was found
        row[f"{stage}_ms_per_image"] = round(percentile(per_stage[stage], 50) * 1000 / batch, 1)
    return row


def run(batches: list[int], device: str, repeats: int, threads: int | None,
        reader: str | None = None, extra_sizes: tuple[int, ...] | None = None,
        views: list[int] | None = None) -> dict[str, Any]:
    """Time each configuration (one per entry of ``views``: the first N of the task's crops per box)."""
    from vision.plate.datasets import synthetic
    from vision.plate.reader import PlateReader

    options: dict[str, Any] = {"reader": reader} if reader else {}
    if extra_sizes is not None:
        options["extra_sizes"] = extra_sizes
    tasks, loads = {}, {}
    for n in views or [len(DEFAULT_VIEWS)]:
        started = time.perf_counter()
        task = PlateReader(device=device, threads=threads, **options, views=DEFAULT_VIEWS[:n]).load()
        loads[config_name(task.settings.reader, n)] = round(time.perf_counter() - started, 2)
        tasks[config_name(task.settings.reader, n)] = task
    images = [s.image.resize((480, 360)) for s in synthetic(max(batches), seed=515_151)]
    for task in tasks.values():
        task.timed_predict(images[:2])  # warm-up: first calls plan kernels for new shapes
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tasks}
    for batch in batches:
        per_stage = {name: {"end_to_end": [], **{s: [] for s in STAGES}} for name in tasks}
        crops = dict.fromkeys(tasks, 0.0)
        for _ in range(repeats):
            for name, task in tasks.items():  # interleaved: each configuration sees the same machine
                t0 = time.perf_counter()
                _, timings = task.timed_predict(images[:batch])
                per_stage[name]["end_to_end"].append(time.perf_counter() - t0)
                for stage in STAGES:
                    per_stage[name][stage].append(timings[stage])
                crops[name] += timings["crops"]
        for name in tasks:
            row = _row(batch, repeats, per_stage[name], crops[name])
            rows[name].append(row)
            log.info("%s, batch %2d: %.2f images/s (detect %.0f ms/img, read %.0f ms/img)", name, batch,
                     row["images_per_s"], row["detect_ms_per_image"], row["read_ms_per_image"])
    first = next(iter(tasks.values()))
    return {"task": "plate", "device": first.placement.device if first.placement else device,
            "torch_threads": threads, "detector_sizes": [first.settings.imgsz, *first.settings.extra_sizes],
            "view_fusion": first.settings.view_fusion, "input": "480x360 generated photos, 1 plate",
            "configs": [{"name": name, "reader": task.settings.reader,
                         "views": [list(v) for v in task.settings.views], "load_s": loads[name],
                         "results": rows[name]} for name, task in tasks.items()]}


def markdown(result: dict[str, Any]) -> str:
    configs = result["configs"]
    base = {r["batch"]: r["images_per_s"] for r in configs[0]["results"]}
    lines = [(f"Plate offline scenario: {result['input']}, device {result['device']}, torch threads "
             f"{result['torch_threads']}, detector sizes {result['detector_sizes']}; configurations interleaved "
             f"call by call; × = images/s against {configs[0]['name']}."), "",
             ("| configuration | batch | images/s | × | detector ms/image | reader ms/image | text rows ms/image "
             "| crops read per image | end-to-end p50 / p90 ms per batch |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for config in configs:
        for r in config["results"]:
            lines.append(f"| {config['name']} | {r['batch']} | {r['images_per_s']:.2f} | "
                         f"{r['images_per_s'] / base[r['batch']]:.2f} | {r['detect_ms_per_image']:.0f} | "
                         f"{r['read_ms_per_image']:.0f} | {r['text_rows_ms_per_image']:.1f} | "
                         f"{r['crops_read_per_image']:g} | {r['end_to_end_p50_ms_per_batch']:.0f} / "
                         f"{r['end_to_end_p90_ms_per_batch']:.0f} |")
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> Path:
    """Images/s per batch size (left) and detector vs reader ms per image (right), one line per configuration."""
    from benchmarks.plots import _pyplot

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for config in result["configs"]:
        batches = [r["batch"] for r in config["results"]]
        line, = left.plot(batches, [r["images_per_s"] for r in config["results"]], marker="o", label=config["name"])
        right.plot(batches, [r["read_ms_per_image"] for r in config["results"]], marker="o", color=line.get_color(),
                   label=f"reader, {config['name']}")
        right.plot(batches, [r["detect_ms_per_image"] for r in config["results"]], marker="s", linestyle="--",
                   color=line.get_color(), label=f"detector, {config['name']}")
    for ax, title, ylabel in ((left, "throughput", "images/s"), (right, "time per image by stage", "ms per image")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r["batch"] for c in result["configs"] for r in c["results"]}))
        ax.get_xaxis().set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.set_title(f"plate, {result['device']}: {title}")
        ax.set_xlabel("batch size (images)")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_run(result: dict[str, Any], out: Path) -> Path:
    """``out/<UTC time>/`` with results.json (numbers + machine), report.md and plate_speed.png."""
    from benchmarks.machine import describe_machine

    folder = out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    result = {**result, "machine": describe_machine().model_dump()}
    (folder / "results.json").write_text(json.dumps(result, indent=2))
    plot(result, folder / "plate_speed.png")
    (folder / "report.md").write_text(markdown(result) + "\n![images/s and ms per image by stage](plate_speed.png)\n")
    return folder


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


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
    parser.add_argument("--views", default=str(len(DEFAULT_VIEWS)),
                        help="comma-separated crop counts to compare side by side, e.g. 3,2,1: read each box in the "
                             "first N of the task's crops (PlateOptions.views; 1 reads the detector's box once)")
    parser.add_argument("--out", type=Path, default=Path("runs/plate_speed"), help="folder for the run folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        batches = _ints(args.batches)
        views = _ints(args.views)
        extra = None if args.extra_sizes is None else tuple(_ints(args.extra_sizes))
    except ValueError:
        parser.error("--batches, --views and --extra-sizes take comma-separated integers, e.g. 1,4,16")
    if not batches or min(batches) < 1 or args.repeats < 1:
        parser.error("batch sizes and --repeats must be positive")
    if not views or not all(1 <= n <= len(DEFAULT_VIEWS) for n in views) or len(set(views)) < len(views):
        parser.error(f"--views takes distinct crop counts from 1 to {len(DEFAULT_VIEWS)}")
    from core.offline import enforce_offline

    enforce_offline()
    result = run(batches, args.device, args.repeats, args.threads, args.reader, extra, views)
    folder = write_run(result, args.out)
    log.info("wrote %s\n%s", folder, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
