"""Side-by-side comparison of two runs: the ratio B/A of every number measured under the same conditions."""
from __future__ import annotations

from dataclasses import dataclass

from benchmarks.report import fmt, table
from benchmarks.schemas import RunResult


@dataclass(frozen=True)
class Ratio:
    """One number present in both runs under identical conditions."""

    label: str
    conditions: str
    unit: str
    a: float
    b: float

    @property
    def ratio(self) -> float | None:
        return self.b / self.a if self.a else None


def _describe(key: tuple) -> tuple[str, str]:
    task, scenario, metric, _unit, device, precision, batch, concurrency, config = key
    where = [f"{device}/{precision}"]
    if batch is not None:
        where.append(f"batch={batch}")
    if concurrency is not None:
        where.append(f"concurrency={concurrency}")
    if config:
        where.append(config)
    return f"{task} {scenario} {metric}", " ".join(where)


def ratios(a: RunResult, b: RunResult) -> list[Ratio]:
    """Matching measurements (same task, scenario, metric, unit, device, precision, batch, concurrency,
    config) and matching accuracy values (same task, dataset, metric, device, precision)."""
    out: list[Ratio] = []
    b_index = {m.key(): m for m in b.measurements}
    for m in a.measurements:
        other = b_index.get(m.key())
        if other is not None:
            label, conditions = _describe(m.key())
            out.append(Ratio(label, conditions, m.unit, m.value, other.value))
    b_acc = {(r.task, r.dataset, k, r.device, r.precision): v for r in b.accuracy for k, v in r.values.items()}
    for r in a.accuracy:
        for metric, value in r.values.items():
            other_value = b_acc.get((r.task, r.dataset, metric, r.device, r.precision))
            if other_value is not None:
                out.append(Ratio(f"{r.task} accuracy {metric}", f"{r.dataset} {r.device}/{r.precision}", "",
                                 value, other_value))
    return out


def render(a: RunResult, b: RunResult) -> str:
    rows = ratios(a, b)
    header = (f"A = {a.run_id} ({a.machine.cpu_model}; GPUs: {', '.join(g.name for g in a.machine.gpus) or 'none'})\n"
              f"B = {b.run_id} ({b.machine.cpu_model}; GPUs: {', '.join(g.name for g in b.machine.gpus) or 'none'})\n"
              f"{len(rows)} matching numbers; ratio = B / A (for latency < 1 means B is faster, "
              "for throughput > 1 means B is faster)\n\n")
    return header + table(["number", "conditions", "unit", "A", "B", "B/A"],
                          [[r.label, r.conditions, r.unit, fmt(r.a), fmt(r.b), fmt(r.ratio)] for r in rows])
