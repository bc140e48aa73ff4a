"""How the propensity pipeline's cost grows with the number of customers: wall time and peak RSS per stage.

    nice -n 10 .venv/bin/python benchmarks/propensity_scale.py 100000 --out /tmp/scale_100k.json

Stages: generate (synthetic tables) -> ingest (checks + DuckDB load) -> features (training cutoffs,
sampled as in the monthly job, plus the scoring month) -> train (logistic + LightGBM; Optuna trials
optional) -> score (leads for every customer). Memory is sampled from /proc every 0.1 s.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("propensity_scale")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class StageMeter:
    """Wall time and peak resident memory of named stages."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, float]] = {}
        self._peak = 0.0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_mb())
            time.sleep(0.1)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._peak = _rss_mb()
        t0 = time.perf_counter()
        yield
        self._peak = max(self._peak, _rss_mb())
        self.results[name] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": round(self._peak, 1),
        }
        log.info("%s: %s", name, self.results[name])

    def close(self) -> None:
        self._stop.set()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("customers", type=int)
    parser.add_argument("--month", default="2021-03")
    parser.add_argument("--trials", type=int, default=0, help="Optuna trials (0 = default LightGBM params)")
    parser.add_argument("--max-negatives", type=int, default=20_000)
    parser.add_argument("--max-eval-rows", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the JSON result here too")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    import numpy as np

    from tabular.propensity.bancassurance import _sample_rows
    from tabular.propensity.features import build_features, conversion_labels, feature_columns, load_sources
    from tabular.propensity.finish import score_frame
    from tabular.propensity.ingest import Warehouse
    from tabular.propensity.months import Windows, parse_month
    from tabular.propensity.synth import SynthConfig, generate
    from tabular.propensity.train import TrainConfig, train_propensity

    meter = StageMeter()
    tmp = tempfile.TemporaryDirectory()
    workdir = args.workdir or Path(tmp.name)
    month = parse_month(args.month)
    win = Windows(month)
    t_all = time.perf_counter()
    with meter.stage("generate"):
        data = generate(SynthConfig(n_customers=args.customers, end_month=args.month, history_months=36))
        rows_generated = {k: len(v) for k, v in data.tables.items()}
    with meter.stage("ingest"):
        wh = Warehouse(workdir / "warehouse.duckdb")
        for name, frame in data.tables.items():
            wh.load_frame(name, frame, f"{name}:bench")
        del data
    with meter.stage("features"):
        src = load_sources(wh, month)
        rng = np.random.default_rng(0)
        fit_c = [t - 1 for t in win.fit_label_months]
        eval_c = [t - 1 for t in win.valid_label_months + win.test_label_months]
        rows = _sample_rows(src, fit_c, args.max_negatives, None, rng)
        rows.update(_sample_rows(src, eval_c, None, args.max_eval_rows, rng))
        frame = build_features(src, fit_c + eval_c, rows)
        frame["label"] = conversion_labels(src, frame)
        current = build_features(src, [month])
    with meter.stage("train"):
        valid_c = [t - 1 for t in win.valid_label_months]
        test_c = [t - 1 for t in win.test_label_months]
        result = train_propensity(
            frame[frame["cutoff"].isin(fit_c)],
            frame[frame["cutoff"].isin(valid_c)],
            frame[frame["cutoff"].isin(test_c)],
            feature_columns(current),
            TrainConfig(n_trials=args.trials),
            "bancassurance",
            "bench",
            {},
        )
    with meter.stage("score"):
        leads = score_frame(result.bundle, current)
    meter.close()
    out = {
        "customers": args.customers,
        "stages": meter.results,
        "total_seconds": round(time.perf_counter() - t_all, 1),
        "rows": {"generated": rows_generated, "training_frame": len(frame), "leads": len(leads)},
        "test": {
            "baseline_pr_auc": result.baseline_report.pr_auc,
            "lightgbm_pr_auc": result.boosted_report.pr_auc,
            "baseline_lift10": result.baseline_report.lift_at_10pct,
            "lightgbm_lift10": result.boosted_report.lift_at_10pct,
        },
    }
    text = json.dumps(out, indent=2)
    print(text)  # the benchmark's result is its output
    if args.out:
        args.out.write_text(text)
    tmp.cleanup()


if __name__ == "__main__":
    main()
