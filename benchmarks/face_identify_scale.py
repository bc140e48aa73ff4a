"""Identify latency against the gallery size, SQLite and PostgreSQL side by side (synthetic 128-d faces).

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.face_identify_scale --sizes 1000 10000 \\
        [--database-url postgresql://...] [--out runs]

Per backend and size N: enroll N persons (one synthetic unit vector each, one ``create_person``
transaction each; throughput reported), then ``ANALYZE`` on PostgreSQL (what autovacuum does within a minute), then the cold load (``tenant_vectors`` + ``FaceIndex.build``, what a
replica pays after another one wrote), then ``--queries`` identifications through ``Gallery``: the
generation check (one store query), the in-memory ``FaceIndex.search`` (top 5) and the ``display_names``
read of the candidates, i.e. ``Gallery.identify`` without face detection and embedding. Writes
``runs/<timestamp>/face_identify_scale.json`` and ``.md``.

Without ``--database-url`` it starts a throwaway PostgreSQL (``tests/state/postgres.py``: fsync off, so
enrollment throughput there is an upper bound; the SQLite file runs with synchronous=FULL).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

log = logging.getLogger("face_identify_scale")
DIM = 128


def _faces(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True) * 0.8  # dlib-like norms


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "mean_ms": round(float(np.mean(ms)), 3)}


def measure(store: Any, n: int, queries: int, seed: int = 0) -> dict[str, Any]:
    from vision.face.gallery import Gallery
    from vision.face.index import FaceIndex

    tenant = "bench"
    faces = _faces(n, seed)
    started = time.perf_counter()
    for i in tqdm(range(n), desc=f"enroll {n:,}", leave=False, mininterval=2):
        store.create_person(tenant, f"Person {i}", faces[i:i + 1], person_id=f"p{i}")
    enroll_s = time.perf_counter() - started
    database = getattr(store, "database", None)
    if database is not None:  # planner statistics as autovacuum leaves them within a minute of a bulk load;
        with database.connection() as conn:  # before them a lookup by person scanned the whole tenant (8 ms)
            conn.execute("ANALYZE face_persons")
            conn.execute("ANALYZE face_embeddings")

    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        snapshot = store.tenant_vectors(tenant)
        FaceIndex.build(snapshot.person_ids, snapshot.vectors, snapshot.qualities)
        loads.append((time.perf_counter() - t0) * 1000)

    gallery = Gallery(store=store)
    gallery.index(tenant)  # warm: the steady state is a current cached index
    rng = np.random.default_rng(seed + 1)
    targets = rng.integers(0, n, size=queries)
    probes = faces[targets] + rng.normal(scale=0.02, size=(queries, DIM)).astype(np.float32)
    total, check, search, names, hits = [], [], [], [], 0
    for target, probe in zip(targets, probes):
        t0 = time.perf_counter()
        index = gallery.index(tenant)  # generation check (+ rebuild if it moved)
        t1 = time.perf_counter()
        found = index.search(probe, k=5)
        t2 = time.perf_counter()
        store.display_names(tenant, [p for p, _ in found])
        t3 = time.perf_counter()
        total.append((t3 - t0) * 1000)
        check.append((t1 - t0) * 1000)
        search.append((t2 - t1) * 1000)
        names.append((t3 - t2) * 1000)
        hits += found[0][0] == f"p{target}"
    return {"n": n, "enroll_s": round(enroll_s, 2), "enroll_per_s": round(n / enroll_s, 1),
            "cold_load_ms": round(float(np.median(loads)), 1), "identify": _percentiles(total),
            "generation_check": _percentiles(check), "search": _percentiles(search),
            "display_names": _percentiles(names), "top1_correct": hits / queries, "queries": queries}


def _markdown(result: dict[str, Any]) -> str:
    header = (f"{result['started']} · {result['machine']} · load average at start {result['load_average']} · "
              f"process CPU {result['cpu_s']} s over {result['wall_s']} s wall (the PostgreSQL server's CPU not "
              "counted). Shared machine: other engineers' jobs ran at the same time.")
    what = ("Identify = generation check + FaceIndex.search (top 5) + display_names (no face detection or "
            f"embedding). Synthetic 128-d faces (development numbers). PostgreSQL: {result['postgres']}.")
    columns = ("| backend | N | enroll/s | cold load ms | identify p50 ms | identify p99 ms | check p50 | "
               "search p50 | names p50 |")
    lines = ["# Face identify latency against gallery size", "", header, "", what, "", columns,
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in result["rows"]:
        lines.append(f"| {row['backend']} | {row['n']:,} | {row['enroll_per_s']:,} | {row['cold_load_ms']} | "
                     f"{row['identify']['p50_ms']} | {row['identify']['p99_ms']} | "
                     f"{row['generation_check']['p50_ms']} | {row['search']['p50_ms']} | "
                     f"{row['display_names']['p50_ms']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("AIS_BENCH_DATABASE_URL"))
    parser.add_argument("--out", type=Path, default=Path("runs"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from core.state import Database
    from vision.face.store import GalleryStore
    from vision.face.store_postgres import PostgresGalleryStore

    server = None
    url = args.database_url
    if not url:
        from tests.state.postgres import start_server

        server = start_server()
        url = server.url
    started, cpu0, wall0 = datetime.now(UTC), time.process_time(), time.perf_counter()
    load = [round(x, 2) for x in os.getloadavg()]
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="face-scale-"))
    try:
        with Database(url, max_size=2) as database:
            for n in args.sizes:
                sqlite = GalleryStore(folder / f"g{n}.db", "bench-128", DIM)
                try:
                    rows.append({"backend": "sqlite", **measure(sqlite, n, args.queries)})
                finally:
                    sqlite.close()
                log.info("%s", rows[-1])
                pg = PostgresGalleryStore(database, "bench-128", DIM, client=f"bench-{uuid.uuid4().hex[:8]}")
                rows.append({"backend": "postgresql", **measure(pg, n, args.queries)})
                log.info("%s", rows[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if server is not None:
            server.stop()
            shutil.rmtree(server.folder, ignore_errors=True)
    result = {"started": started.isoformat(timespec="seconds"), "machine": f"{os.cpu_count()} CPUs (shared)",
              "load_average": load, "cpu_s": round(time.process_time() - cpu0, 1),
              "wall_s": round(time.perf_counter() - wall0, 1),
              "postgres": "throwaway local server, fsync off" if server is not None else "given URL", "rows": rows}
    out = args.out / started.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    (out / "face_identify_scale.json").write_text(json.dumps(result, indent=2))
    (out / "face_identify_scale.md").write_text(_markdown(result))
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
