"""Bulk inference speed: ``ais batch`` (Ray Data, embedded) with 1 and 2 workers vs the plain in-process loop.

Scenario *offline*, per task, the same ``N`` generated inputs for every method, in one run:

- ``plain loop``: this process, ``create_task(...).load()`` then ``predict`` over batches of ``B``;
- ``ais batch -w K``: a fresh ``python -m batch.cli TASK`` process (Ray started inside it, ``K``
  actors each loading the task, the same batch size), writing Parquet.

Two rates per row: *end-to-end* items/s (``N`` over the wall time including start-up and model load:
what a user waits for) and *steady* items/s (for the loop, ``N`` over the predict time alone; for
``ais batch``, ``N`` over the job's time after its last worker finished loading is not observable
from outside, so the steady column is left empty there). CPU seconds of the loop are this process's;
those of ``ais batch`` are the reaped children's: the command and what Ray reaped of its workers, a lower
bound (Ray worker processes are not always waited for by our process).
Threads differ by default: the loop uses torch's default (one per core), each Ray worker one per
reserved CPU (Ray sets ``OMP_NUM_THREADS``); ``--loop-threads 1`` makes the loop match one worker.

    .venv/bin/python -m benchmarks.batch_speed --tasks sentiment,ocr --texts 200 --images 16 --out runs/batch_speed
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.registry import create_task, get_spec

log = logging.getLogger("benchmarks.batch_speed")


def _load() -> list[float]:
    return list(os.getloadavg())


def _write_inputs(task: str, n: int, folder: Path) -> tuple[Path, list[Any]]:
    """The task's sample inputs as ``ais batch`` reads them: a JSONL of texts or a folder of images."""
    spec = get_spec(task)
    items = spec.sample_inputs(n)
    if spec.input_kind == "text":
        path = folder / f"{task}.jsonl"
        path.write_text("".join(json.dumps({"id": f"t{i:06d}", "text": t}) + "\n" for i, t in enumerate(items)),
                        encoding="utf-8")
        return path, items
    if spec.input_kind == "image":
        path = folder / task
        path.mkdir()
        for i, data in enumerate(items):
            (path / f"img{i:06d}.png").write_bytes(data)
        return path, items
    raise SystemExit(f"{task}: input kind {spec.input_kind} is not covered by this benchmark")


def plain_loop(task: str, items: list[Any], batch: int, threads: int | None) -> dict[str, Any]:
    import torch

    if threads:
        torch.set_num_threads(threads)
    cpu, load_before, started = time.process_time(), _load(), time.perf_counter()
    model = create_task(task, device="cpu").load()
    loaded = time.perf_counter()
    for i in range(0, len(items), batch):
        try:
            model.predict(items[i:i + batch])
        except Exception:  # noqa: BLE001 - a bad item is retried alone, as ais batch does
            for item in items[i:i + batch]:
                try:
                    model.predict([item])
                except Exception:  # noqa: BLE001, S112 - counted like an error row
                    continue
    ended = time.perf_counter()
    return {"method": f"plain in-process loop ({torch.get_num_threads()} torch threads)", "workers": 1, "items": len(items), "batch": batch,
            "wall_s": ended - started, "load_s": loaded - started, "predict_s": ended - loaded,
            "items_per_s": len(items) / (ended - started), "steady_items_per_s": len(items) / (ended - loaded),
            "cpu_s": time.process_time() - cpu, "load_avg_before": load_before, "load_avg_after": _load()}


def ais_batch(task: str, source: Path, n: int, batch: int, workers: int, out_dir: Path) -> dict[str, Any]:
    out = out_dir / f"{task}-w{workers}.parquet"
    cmd = [sys.executable, "-m", "batch.cli", task, "--input", str(source), "--output", str(out),
           "--workers", str(workers), "--batch-size", str(batch), "--device", "cpu", "--no-progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before, started = _load(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["predicted"] == n, summary
    return {"method": f"ais batch, {workers} worker{'s' if workers > 1 else ''}", "workers": workers, "items": n,
            "batch": batch, "wall_s": wall, "load_s": None, "predict_s": None, "items_per_s": n / wall,
            "steady_items_per_s": None, "job_s": summary["seconds"], "errors": summary["errors"],
            "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "load_avg_before": load_before, "load_avg_after": _load()}


def markdown(results: dict[str, list[dict[str, Any]]], meta: dict[str, Any]) -> str:
    title = (f"Bulk inference, offline scenario, CPU ({meta['cpus']} cores, shared with other users: load "
             "average before/after in the table); embedded Ray for `ais batch`.")
    header = ("| task | method | items | batch | wall s | items/s end-to-end | × loop | steady items/s | CPU s (batch: lower bound) | "
              "load before → after |")
    lines = [title, "", header, "|---|---|---|---|---|---|---|---|---|---|"]
    for task, rows in results.items():
        loop = rows[0]["items_per_s"]
        for r in rows:
            steady = f"{r['steady_items_per_s']:.2f}" if r["steady_items_per_s"] else "-"
            lines.append(f"| {task} | {r['method']} | {r['items']} | {r['batch']} | {r['wall_s']:.1f} | "
                         f"{r['items_per_s']:.2f} | {r['items_per_s'] / loop:.2f} | {steady} | {r['cpu_s']:.1f} | "
                         f"{r['load_avg_before'][0]:.1f} → {r['load_avg_after'][0]:.1f} |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), squeeze=False)
    for ax, (task, rows) in zip(axes[0], results.items(), strict=True):
        ax.bar([r["method"].replace(", ", "\n").replace(" (", "\n(") for r in rows], [r["items_per_s"] for r in rows], color="#4c72b0")
        ax.set_title(f"{task}: items/s end-to-end ({rows[0]['items']} items)")
        ax.set_ylabel("items/s")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="sentiment,ocr")
    parser.add_argument("--texts", type=int, default=200, help="inputs per text task")
    parser.add_argument("--images", type=int, default=16, help="inputs per image task")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--loop-threads", type=int, default=None,
                        help="torch threads of the plain loop (default: torch's; each Ray worker gets 1 per CPU)")
    parser.add_argument("--out", type=Path, default=Path("runs/batch_speed"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="ais-batch-speed-") as tmp:
        for task in args.tasks.split(","):
            n = args.texts if get_spec(task).input_kind == "text" else args.images
            source, items = _write_inputs(task, n, Path(tmp))
            rows = [plain_loop(task, items, args.batch_size, args.loop_threads)]
            log.info("%s plain loop: %.2f items/s", task, rows[-1]["items_per_s"])
            for workers in (int(w) for w in args.workers.split(",")):
                rows.append(ais_batch(task, source, n, args.batch_size, workers, Path(tmp)))
                log.info("%s ais batch -w %d: %.2f items/s", task, workers, rows[-1]["items_per_s"])
            results[task] = rows
    folder = args.out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "note": "shared machine: other users' jobs ran at the same time (see load averages)"}
    (folder / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    report = markdown(results, meta)
    plot(results, folder / "items_per_s.png")
    (folder / "report.md").write_text(report + "\n![items/s](items_per_s.png)\n")
    log.info("wrote %s\n%s", folder, report)


if __name__ == "__main__":
    main()
