"""How the propensity monthly job's cost grows with the number of customers: wall time and peak RSS per stage.

One population per process (so each peak is its own), then a report over every result in the folder:

    nice -n 10 .venv/bin/python benchmarks/propensity_scale.py run 100000 --out-dir runs/propensity_scale
    nice -n 10 .venv/bin/python benchmarks/propensity_scale.py run 100000 --engine ray --out-dir runs/propensity_scale
    .venv/bin/python benchmarks/propensity_scale.py report runs/propensity_scale   # -> report.md, scale.png

It runs the real job (``tabular.propensity.leads.run``: generate the drop month by month, ingest with
checks, sharded features, train on the sampled rows, evaluate, sharded scoring and the merged leads
file) with default LightGBM parameters (``--trials 0``) and no EDA. Memory: a thread samples every
0.2 s the **sum of RSS over the process tree** (this process and all its descendants: Ray's raylet,
GCS and worker processes included), via psutil; the peak of a stage is the largest sample inside its
time span. Shared pages (Ray's object store, shared libraries) count once per process, so the tree
sum over-states real use. ``ru_maxrss`` of this process and of its waited-for children is recorded too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("propensity_scale")


class TreeMemory:
    """Samples the summed RSS (MB) of this process and its descendants in a background thread."""

    def __init__(self, interval_s: float = 0.2) -> None:
        import psutil

        self._root = psutil.Process(os.getpid())
        self.samples: list[tuple[float, float]] = []  # (perf_counter, MB)
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def tree_mb(self) -> float:
        import psutil

        total = 0
        for proc in [self._root, *self._root.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.tree_mb()))
            time.sleep(self._interval)

    def peak(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return round(max(inside), 1) if inside else 0.0

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class StageLog(logging.Handler):
    """Stage starts and ends as the job logs them, so a run cut short still says where it got to."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.starts: dict[str, float] = {}
        self.ends: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # stage -> CPU seconds of this process (the local engine's whole job)
        self._cpu_start: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "stage %s ...":
            self.starts[str(record.args[0])] = time.perf_counter()
            self._cpu_start[str(record.args[0])] = time.process_time()
        elif record.msg == "stage %s done in %.1fs":
            name = str(record.args[0])
            self.ends[name] = time.perf_counter()
            self.cpu[name] = round(time.process_time() - self._cpu_start.get(name, time.process_time()), 1)

    def progress(self, meter: TreeMemory, customers: int, engine: str) -> dict[str, Any]:
        now = time.perf_counter()
        return {
            "customers": customers,
            "engine": engine,
            "partial": True,
            "stages": {
                name: {
                    "seconds": round(self.ends.get(name, now) - start, 1),
                    "peak_rss_tree_mb": meter.peak(start, self.ends.get(name, now)),
                    "finished": name in self.ends,
                }
                for name, start in self.starts.items()
            },
            "peak_rss_tree_mb": round(max((mb for _, mb in meter.samples), default=0.0), 1),
            "load_average": _load(),
        }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    from tabular.propensity.leads import run
    from tabular.propensity.schemas import RunOptions

    workdir = args.workdir / f"{args.customers}-{args.engine}"
    shutil.rmtree(workdir, ignore_errors=True)
    load_before = _load()
    cpu0 = os.times()
    meter = TreeMemory()
    stages_log = StageLog()
    logging.getLogger("tabular.propensity.finish").addHandler(stages_log)
    partial = args.out_dir / f"propensity_{args.customers}_{args.engine}.partial.json"
    done = threading.Event()

    def write_progress() -> None:
        while not done.wait(30):
            partial.write_text(json.dumps(stages_log.progress(meter, args.customers, args.engine), indent=2))

    args.out_dir.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=write_progress, daemon=True).start()
    t0 = time.perf_counter()
    try:
        result = run(
            RunOptions(
                month=args.month, customers=args.customers, workdir=workdir, models_dir=workdir / "models",
                n_trials=args.trials, reuse=False, eda=False, engine=args.engine, shards=args.shards,
                workers=args.workers, seed=args.seed, reasons_deciles=args.reasons_deciles,
            )
        )
        total = time.perf_counter() - t0
    finally:
        done.set()
        meter.close()
    cpu1 = os.times()
    stages = {
        name: {
            "seconds": round(end - start, 2),
            "peak_rss_tree_mb": meter.peak(start, end),
            "cpu_seconds_self": stages_log.cpu.get(name),
        }
        for name, (start, end) in result.spans.items()
    }
    n_leads = sum(1 for _ in result.leads.open()) - 1
    out = {
        "customers": args.customers,
        "engine": args.engine,
        "shards": args.shards or "default",
        "month": args.month,
        "trials": args.trials,
        "reasons_deciles": args.reasons_deciles,
        "stages": stages,
        "total_seconds": round(total, 1),
        "us_per_customer": round(total / args.customers * 1e6, 1),
        "peak_rss_tree_mb": round(max(mb for _, mb in meter.samples), 1),
        "ru_maxrss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "ru_maxrss_children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "cpu_seconds": {
            "self": round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 1),
            "waited_children": round(
                cpu1.children_user + cpu1.children_system - cpu0.children_user - cpu0.children_system, 1
            ),
        },
        "load_average": {"before": load_before, "after": _load()},
        "cpus": os.cpu_count(),
        "leads": n_leads,
        "test": {k: result.metrics[k] for k in ("baseline", "boosted")},
        "memory_trace_mb": [(round(t - t0, 1), round(mb, 1)) for t, mb in meter.samples[::5]],
    }
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    partial.unlink(missing_ok=True)
    return out


def write_report(folder: Path) -> Path:
    """Markdown table and plot over every ``propensity_*.json`` in ``folder`` (a run cut short shows the
    stages it reached, from its ``.partial.json``, marked unfinished)."""
    if not any(folder.glob("propensity_*.json")):
        raise SystemExit(f"no propensity_*.json results in {folder}: run `propensity_scale.py run N --out-dir {folder}`")
    finished = {p.name.removesuffix(".json") for p in folder.glob("propensity_*.json") if ".partial" not in p.name}
    results = [json.loads(p.read_text()) for p in folder.glob("propensity_*.json") if ".partial" not in p.name]
    results += [
        json.loads(p.read_text())
        for p in folder.glob("propensity_*.partial.json")
        if p.name.removesuffix(".partial.json") not in finished
    ]
    results.sort(key=lambda r: (r["engine"], r["customers"]))
    stage_names = list(dict.fromkeys(s for r in results for s in r["stages"]))
    lines = [
        "# Propensity monthly job at scale",
        "",
        ("Wall time (s), CPU seconds of the job's process where recorded (the local engine's whole work; "
         "Ray workers not counted) and peak RSS summed over the process tree (MB) per stage; shared machine "
         "(2 cores, other jobs running: see the load averages). `(running)`: the stage had not finished when "
         "the run was cut."),
        "",
        "| customers | engine | " + " | ".join(stage_names) + " | total s | µs/customer | peak RSS MB | CPU s | load |",
        "|---" * (len(stage_names) + 7) + "|",
    ]
    for r in results:
        cells = []
        for name in stage_names:
            st = r["stages"].get(name)
            if st is None:
                cells.append("-")
                continue
            mark = "" if st.get("finished", True) else " (running)"
            cpu = f" (CPU {st['cpu_seconds_self']:.0f})" if st.get("cpu_seconds_self") is not None else ""
            cells.append(f"{st['seconds']:.0f} s{cpu} / {st['peak_rss_tree_mb']:.0f} MB{mark}")
        if r.get("partial"):
            tail = f" | unfinished | - | {r['peak_rss_tree_mb']:.0f} | - | {r['load_average'][0]} |"
        else:
            cpu = r["cpu_seconds"]["self"] + r["cpu_seconds"]["waited_children"]
            tail = (f" | {r['total_seconds']:.0f} | {r['us_per_customer']:.0f} | {r['peak_rss_tree_mb']:.0f} | {cpu:.0f}"
                    f" | {r['load_average']['before'][0]}→{r['load_average']['after'][0]} |")
        reasons = r.get("reasons_deciles", 10)  # runs before the option explained every customer
        lines.append(f"| {r['customers']:,} | {r['engine']}, reasons deciles 1-{reasons} | " + " | ".join(cells) + tail)
    lines += ["", "![memory over time](scale.png)", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    _plot([r for r in results if not r.get("partial")], folder / "scale.png")
    return path


def _plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in results:
        trace = r["memory_trace_mb"]
        left.plot([t / 60 for t, _ in trace], [mb / 1024 for _, mb in trace], label=f"{r['customers']:,} {r['engine']}")
    left.set(xlabel="minutes", ylabel="RSS of the process tree (GB)", title="Memory during the job")
    left.legend()
    for engine in sorted({r["engine"] for r in results}):
        rows = [r for r in results if r["engine"] == engine]
        right.plot([r["customers"] for r in rows], [r["us_per_customer"] for r in rows], "o-", label=engine)
    right.set(xscale="log", xlabel="customers", ylabel="µs of wall time per customer", title="Time per customer")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="run the job for one population")
    one.add_argument("customers", type=int)
    one.add_argument("--engine", choices=("local", "ray"), default="local")
    one.add_argument("--shards", type=int, default=None)
    one.add_argument("--workers", type=int, default=None, help="embedded Ray CPU slots")
    one.add_argument("--month", default="2021-03")
    one.add_argument("--trials", type=int, default=0, help="Optuna trials (0 = default LightGBM params)")
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--reasons-deciles", type=int, default=3, help="reasons for deciles 1..N (the job's default 3)")
    one.add_argument("--workdir", type=Path, default=Path("/tmp/propensity_scale"))
    one.add_argument("--keep", action="store_true", help="keep the work folder (warehouse, drop, leads)")
    one.add_argument("--out-dir", type=Path, required=True)
    rep = sub.add_parser("report", help="Markdown + plot over the results in a folder")
    rep.add_argument("folder", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.command == "report":
        log.info("report: %s", write_report(args.folder))
        return
    result = run_one(args)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    path = args.out_dir / f"propensity_{args.customers}_{args.engine}.json"
    path.write_text(json.dumps(result, indent=2))
    log.info("%s: total %.0f s, peak RSS (tree) %.0f MB -> %s", args.customers, result["total_seconds"],
             result["peak_rss_tree_mb"], path)
    write_report(args.out_dir)


if __name__ == "__main__":
    main()
