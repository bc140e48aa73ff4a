"""A toy task and its TaskSpec, defined for the harness tests only (not registered in pyproject)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from core.device import Placement
from core.errors import InvalidInput
from core.registry import TaskSpec, WeightsStatus
from core.schemas import Metrics
from core.stats import wilson_interval
from core.task import BaseTask


class ToyResult(BaseModel):
    text: str
    is_long: bool


class ToyTask(BaseTask[str, ToyResult]):
    """Says whether a text is longer than 5 characters; sleeps 1 ms per item so timings are non-zero."""

    name = "toy"

    def resolve_weights_path(self) -> Path | None:
        return None

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        self.threshold = 5

    def _predict(self, batch: Sequence[str]) -> list[ToyResult]:
        out = []
        for item in batch:
            if not isinstance(item, str) or not item:
                raise InvalidInput("toy task takes non-empty strings")
            out.append(ToyResult(text=item, is_long=len(item) > self.threshold))
        time.sleep(0.001 * len(batch))
        return out

    def evaluate(self, dataset: list[tuple[str, bool]]) -> Metrics:
        predictions = self.predict([text for text, _ in dataset])
        correct = sum(p.is_long == label for p, (_, label) in zip(predictions, dataset))
        origin = getattr(dataset, "origin", "generated")
        name = getattr(dataset, "name", "tiny")
        return Metrics(task=self.name, dataset=name, n_samples=len(dataset),
                       values={"accuracy": correct / len(dataset)}, details={"kept": [1, 2], "odd": object()},
                       intervals={"accuracy": wilson_interval(correct, len(dataset))}, origin=origin,
                       baselines={"always-short": {"accuracy": sum(not y for _, y in dataset) / len(dataset)}})


class LabelledSet(list):
    """An outside set: real labels from somebody else (here a TSV a test writes)."""

    origin = "labelled"
    name = "outside"


def read_labelled(path: str, format: str = "auto") -> LabelledSet:
    from core.errors import DataFormatError

    rows = LabelledSet()
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        text, sep, label = line.partition("\t")
        if not sep or label not in ("0", "1"):
            raise DataFormatError(path, number, "expected text<TAB>0|1")
        rows.append((text, label == "1"))
    return rows


def sample_inputs(n: int) -> list[str]:
    return [("word " * (i % 4 + 1)).strip() for i in range(n)]


def bad_input() -> object:
    return ""


def tiny_dataset() -> list[tuple[str, bool]]:
    # 3 of 4 labels agree with the rule (len > 5): accuracy is exactly 0.75.
    return [("hi", False), ("a long sentence", True), ("tiny", False), ("medium", False)]


def tiny_quick() -> list[tuple[str, bool]]:
    """The reduced set ``--quick`` uses: the first two items."""
    return tiny_dataset()[:2]


def weights_status() -> WeightsStatus:
    return WeightsStatus(True, "toy: no weights")


SPEC = TaskSpec(
    name="toy",
    summary="toy task for the benchmark harness tests",
    task="tests.benchmarks.toy:ToyTask",
    extra="bench",
    weights="tests.benchmarks.toy:weights_status",
    samples="tests.benchmarks.toy:sample_inputs",
    bad_input="tests.benchmarks.toy:bad_input",
    datasets={"tiny": "tests.benchmarks.toy:tiny_dataset"},
    quick_datasets={"tiny": "tests.benchmarks.toy:tiny_quick"},
    input_kind="text",
    read_data="tests.benchmarks.toy:read_labelled",
)

def slow_dataset() -> list[tuple[str, bool]]:
    time.sleep(120)  # longer than any test's task timeout: the worker is stopped while "evaluating"
    return tiny_dataset()


SLOW = TaskSpec(
    name="toy_slow",
    summary="toy task whose evaluation set never arrives in time",
    task="tests.benchmarks.toy:ToyTask",
    extra="bench",
    samples="tests.benchmarks.toy:sample_inputs",
    datasets={"slow": "tests.benchmarks.toy:slow_dataset"},
    input_kind="text",
)

UNAVAILABLE = TaskSpec(
    name="toy_missing",
    summary="a task whose requirements are not installed",
    task="tests.benchmarks.toy:ToyTask",
    extra="nonexistent",
    requires=("no_such_module_for_bench_tests",),
)
