"""Face speed on this machine: detection and embedding faces/second at batch 1-32, identify latency by gallery size.

Scenarios (named with every number): *offline batch* for detection and embedding (one call per
batch, median of repeated timed runs after a warm-up), *single-stream* for identify (one probe
embedding at a time against a tenant index of N persons made of random unit vectors).

    .venv/bin/python -m benchmarks.face_speed --out runs/face_speed
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger("benchmarks.face_speed")

BATCHES = (1, 2, 4, 8, 16, 32)
GALLERY_SIZES = (1_000, 10_000, 100_000)


def _timed(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up: first calls allocate buffers and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _probe_image(path: Path | None, size: tuple[int, int]):
    """A real one-face photo resized to ``size`` (detection speed depends on pixels, not content)."""
    from PIL import Image

    from core.images import load_image

    if path is None or not path.is_file():
        raise SystemExit(f"need a photo with one face (--image); {path} not found")
    image = load_image(path)
    return image.resize(size, Image.Resampling.BILINEAR)


def bench_models(image_path: Path | None, size: tuple[int, int], device: str, repeats: int,
                 batches: tuple[int, ...]) -> list[dict[str, object]]:
    from vision.face.analyzer import FaceAnalyzer

    analyzer = FaceAnalyzer(device=device).load()
    assert analyzer.detector is not None and analyzer.embedder is not None
    image = _probe_image(image_path, size)
    faces = analyzer.detector.detect([image])[0]
    if len(faces) != 1:
        raise SystemExit(f"benchmark photo must show one face; found {len(faces)}")
    chip = analyzer.embedder.align(image, faces)[0]
    detector, embedder = analyzer.detector, analyzer.embedder
    rows = []
    for batch in batches:
        det = _timed(lambda n=batch: detector.detect([image] * n), repeats)
        emb = _timed(lambda n=batch: embedder.embed_aligned([chip] * n), repeats)
        align = _timed(lambda n=batch: embedder.align(image, faces * n), repeats)
        row = {"batch": batch, "image": f"{size[0]}x{size[1]}", "device": analyzer.placement.device,  # type: ignore[union-attr]
               "detect_faces_per_s": batch / statistics.median(det),
               "align_faces_per_s": batch / statistics.median(align),
               "embed_faces_per_s": batch / statistics.median(emb),
               "embedder": analyzer.embedder.name}
        log.info("%s", row)
        rows.append(row)
    return rows


def bench_identify(sizes: tuple[int, ...], queries: int, dim: int = 128, seed: int = 0) -> list[dict[str, object]]:
    from vision.face.index import FaceIndex

    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        start = time.perf_counter()
        index = FaceIndex.build([f"p{i}" for i in range(n)], vectors)
        build_s = time.perf_counter() - start
        probes = rng.normal(size=(queries, dim)).astype(np.float32)
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        index.search(probes[0], k=5)
        latencies = []
        for q in probes:
            t0 = time.perf_counter()
            index.search(q, k=5)
            latencies.append((time.perf_counter() - t0) * 1000)
        p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
        row = {"gallery_persons": n, "top_k": 5, "queries": queries, "p50_ms": float(p50), "p90_ms": float(p90),
               "p99_ms": float(p99), "index_build_s": build_s, "index_mb": vectors.nbytes / 1e6}
        log.info("%s", row)
        rows.append(row)
    return rows


def markdown(models: list[dict[str, object]], identify: list[dict[str, object]]) -> str:
    lines = ["### Detection and embedding (offline batch; faces/second, median of repeats)", "",
             "| batch | image | device | detect (MTCNN) | align (dlib 5-pt) | embed (dlib ResNet) |",
             "|---:|---|---|---:|---:|---:|"]
    lines += [f"| {r['batch']} | {r['image']} | {r['device']} | {r['detect_faces_per_s']:.1f} | "
              f"{r['align_faces_per_s']:.1f} | {r['embed_faces_per_s']:.1f} |" for r in models]
    lines += ["", "### Identify (single-stream; exact search over random unit vectors, top-5)", "",
              "| gallery persons | p50 ms | p90 ms | p99 ms | index build s | index MB |", "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['gallery_persons']:,} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['index_build_s']:.2f} | {r['index_mb']:.1f} |" for r in identify]
    return "\n".join(lines)


def main() -> None:
    default_image = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "knn" / "test" / "obama1.jpg"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=default_image, help="a photo with exactly one face")
    parser.add_argument("--size", default="640x360", help="size the photo is resized to for detection")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--omp-wait-policy", default="PASSIVE", choices=["PASSIVE", "ACTIVE"],
                        help="OpenMP idle threads sleep (PASSIVE) or spin (ACTIVE)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--gallery-sizes", default=",".join(map(str, GALLERY_SIZES)))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("runs/face_speed"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    # OpenMP threads that spin while waiting steal the CPU from each other on a shared machine; on
    # this 2-core box MTCNN ran 10x faster with PASSIVE. Must be set before torch starts OpenMP.
    os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy

    import torch

    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]  # shared machines: numbers mean little without the load they ran under
    width, height = (int(v) for v in args.size.split("x"))
    models = bench_models(args.image, (width, height), args.device, args.repeats,
                          tuple(int(b) for b in args.batches.split(",")))
    identify = bench_identify(tuple(int(n) for n in args.gallery_sizes.split(",")), args.queries)
    args.out.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "torch_threads": args.threads,
               "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
               "torch": torch.__version__, "cuda": torch.cuda.is_available(), "cpus": os.cpu_count(),
               "load_avg_1min_before": load_before, "load_avg_1min_after": os.getloadavg()[0]}
    (args.out / "face_speed.json").write_text(json.dumps({"machine": machine, "models": models,
                                                          "identify": identify}, indent=2))
    table = markdown(models, identify) + (
        f"\n\n{machine['cpus']} CPUs, torch threads {args.threads}, OMP_WAIT_POLICY={machine['omp_wait_policy']}, 1-min load average "
        f"{machine['load_avg_1min_before']:.1f} before / {machine['load_avg_1min_after']:.1f} after.")
    (args.out / "face_speed.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
