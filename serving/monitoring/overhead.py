"""Micro-benchmark of what monitoring costs a request, per input kind, to compare with served p50 latency.

Numbers per kind: the request path (``observe`` with the background thread: count, sample,
enqueue) and the full work done per request when profiling inline (summary features plus the
amortised SQLite write), which is the work the background thread does (wall clock, and CPU time of the thread, which is what
matters on a machine shared with other processes).

    ais monitor overhead --requests 300
"""
from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from serving.monitoring.monitor import Monitor, MonitorSettings

_WORDS = ["the", "service", "was", "quick", "and", "the", "staff", "friendly", "but", "the", "wait", "for", "the", "bill", "was", "long", "and", "the", "dessert", "came", "cold", "so", "we", "left", "a", "little", "disappointed", "overall", "a", "decent", "evening"]


class OverheadResult(BaseModel):
    kind: str
    requests: int
    items_per_request: int
    payload: str
    request_path_us_p50: float
    request_path_us_p90: float
    inline_us_p50: float
    inline_us_mean: float
    inline_us_p90: float
    inline_cpu_us_p50: float


def sample_payloads(kind: str, n: int, seed: int = 0, image_size: tuple[int, int] = (640, 480)) -> list[Any]:
    """Generated inputs: short review-like texts, JPEG photos-like images, customer records."""
    rng = np.random.default_rng(seed)
    if kind == "text":
        return [" ".join(rng.choice(_WORDS, int(rng.integers(8, 40)))).capitalize() + "." for _ in range(n)]
    if kind == "image":
        from PIL import Image

        out = []
        w, h = image_size
        base = np.linspace(40, 220, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
        for _ in range(min(n, 8)):  # encoding is slow; a few distinct images are enough for timing
            pixels = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
            buf = io.BytesIO()
            Image.fromarray(pixels).save(buf, "JPEG", quality=90)
            out.append(buf.getvalue())
        return [out[i % len(out)] for i in range(n)]
    if kind == "record":
        return [{"customer_id": str(i), "age": int(rng.integers(18, 90)), "income": float(rng.lognormal(10.5, 0.4)),
                 "region": str(rng.choice(["north", "south", "east", "west"])), "sex": str(rng.choice(["F", "M"])),
                 "tenure_months": int(rng.integers(0, 240)), "has_mortgage": bool(rng.random() < 0.3)}
                for i in range(n)]
    raise ValueError(f"unknown kind {kind!r}")


def _percentile(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 1)


def _time_observe(monitor: Monitor, kind: str, batches: list[list[Any]]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) microseconds of each ``observe`` call."""
    wall, cpu = [], []
    results = [{"label": "positive", "score": 0.7}]
    for batch in batches:
        start, start_cpu = time.perf_counter(), time.thread_time()
        monitor.observe("bench", "v1", kind, batch, results * len(batch), 200)
        cpu.append((time.thread_time() - start_cpu) * 1e6)
        wall.append((time.perf_counter() - start) * 1e6)
    return wall, cpu


def measure_overhead(kinds: Sequence[str] = ("text", "image", "record"), requests: int = 200,
                     items_per_request: int = 1, image_size: tuple[int, int] = (640, 480),
                     state_dir: Path | None = None, image_files: Sequence[Path] = ()) -> list[OverheadResult]:
    """Per kind: microseconds ``observe`` adds to a request (sample rate 1: every request profiled).

    ``image_files``: time real photos instead of generated ones.
    """
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(state_dir or tmp)
        for kind in kinds:
            n = requests * items_per_request
            if kind == "image" and image_files:
                photos = [p.read_bytes() for p in image_files]
                items = [photos[i % len(photos)] for i in range(n)]
            else:
                items = sample_payloads(kind, n, image_size=image_size)
            batches = [items[i:i + items_per_request] for i in range(0, len(items), items_per_request)]
            rates = {k: 1.0 for k in ("image", "text", "record")}
            background = Monitor(root, f"bench-bg-{kind}", MonitorSettings(sample_rates=rates))
            _time_observe(background, kind, batches[:5])  # warm-up: thread start, imports, SQLite open
            path_us, _ = _time_observe(background, kind, batches)
            background.close()
            inline = Monitor(root, f"bench-inline-{kind}", MonitorSettings(sample_rates=rates, background=False))
            _time_observe(inline, kind, batches[:5])
            inline_us, inline_cpu_us = _time_observe(inline, kind, batches)
            inline.close()
            generated = f"JPEG {image_size[0]}x{image_size[1]}"
            photos_label = f"{len(image_files)} photos (files)"
            payload = {"image": photos_label if image_files else generated, "text": "8-40 word sentence",
                       "record": "7-field customer record"}[kind]
            out.append(OverheadResult(kind=kind, requests=requests, items_per_request=items_per_request,
                                      payload=payload, request_path_us_p50=_percentile(path_us, 50),
                                      request_path_us_p90=_percentile(path_us, 90),
                                      inline_us_p50=_percentile(inline_us, 50),
                                      inline_us_mean=round(statistics.fmean(inline_us), 1),
                                      inline_us_p90=_percentile(inline_us, 90),
                                      inline_cpu_us_p50=_percentile(inline_cpu_us, 50)))
    return out
