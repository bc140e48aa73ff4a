"""The task registry: task names come from package entry points, task code is imported only when asked.

Each task package declares, in ``pyproject.toml``::

    [project.entry-points."ais.tasks"]
    ocr = "vision.ocr.spec:SPEC"

where ``SPEC`` is a ``TaskSpec`` in a light module (it imports nothing heavy). Listing names
reads package metadata only.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Literal

from core.errors import ConfigError, ModelNotFound
from core.operations import Operation

TASKS_GROUP = "ais.tasks"
_CONSTRUCTOR_ARGS = ("weights", "device", "precision")


def load_object(path: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module_name, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class WeightsStatus:
    """Whether a task's default weights are available offline, and what to do if not."""

    available: bool
    source: str
    message: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """Everything the harness and the server need to know about a task, as import paths.

    - ``task``: ``"module:Class"`` of the task class (imported on ``create``)
    - ``requires``: importable modules the task needs (checked without importing them)
    - ``extra``: the pip extra that installs them
    - ``weights``: ``"module:function"`` returning a ``WeightsStatus`` (must not load weights)
    - ``samples``: ``"module:function(n) -> list"`` of valid inputs for contract tests and benchmarks
    - ``bad_input``: ``"module:function() -> object"`` an input ``predict`` must reject
    - ``datasets``: evaluation dataset name -> ``"module:function() -> dataset"``
    - ``quick_datasets``: the same names -> a reduced set for ``ais bench --quick`` (a name without one
      uses its full set); the reduced set states its size in its name and sample count
    - ``input_kind``: what one ``predict`` item is on the wire: ``image`` (bytes of an image file),
      ``text`` (a string) or ``record`` (a JSON object); the HTTP layer parses requests accordingly
    - ``result``: ``"module:Model"`` of one ``predict`` result (the HTTP API's response item)
    - ``options``: ``"module:Model"`` of the task's options (``extra="forbid"``: a typo is an error
      naming the option); ``create`` validates options against it
    - ``operations``: the task's typed operations beside ``predict`` (``core.operations.Operation``);
      ``serving`` gives each one route, one dispatcher and its OpenAPI entry
    - ``read_data``: ``"module:function(path, format) -> dataset"`` reading an outside labelled set in
      its field's standard format (``format="auto"`` detects it) for ``evaluate`` and ``ais bench --data``
    """

    name: str
    summary: str
    task: str
    extra: str
    requires: tuple[str, ...] = ()
    weights: str | None = None
    samples: str | None = None
    bad_input: str | None = None
    datasets: dict[str, str] = field(default_factory=dict)
    quick_datasets: dict[str, str] = field(default_factory=dict)
    input_kind: Literal["image", "text", "record"] = "image"
    result: str | None = None
    options: str | None = None
    operations: tuple[Operation, ...] = ()
    read_data: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.quick_datasets) - set(self.datasets))
        if unknown:
            raise ConfigError(f"task {self.name!r}: quick_datasets {unknown} name no dataset; known: {sorted(self.datasets)}")
        names = [op.name for op in self.operations]
        if len(set(names)) != len(names):
            raise ConfigError(f"task {self.name!r}: operation names repeat: {names}")

    def operation(self, name: str) -> Operation:
        for op in self.operations:
            if op.name == name:
                return op
        from core.errors import NotFound

        raise NotFound(f"task {self.name!r} has no operation {name!r}; it has {[op.name for op in self.operations]}")

    def result_model(self) -> Any:
        return load_object(self.result) if self.result else None

    def options_model(self) -> Any:
        return load_object(self.options) if self.options else None

    def validate_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The options given, checked and coerced by the task's options model (an unknown key is an error)."""
        model = self.options_model()
        if model is None:
            return dict(options)
        from pydantic import ValidationError

        try:
            checked = model.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
                                 for err in exc.errors(include_url=False, include_input=False))
            raise ConfigError(f"invalid {self.name} options: {problems}") from exc
        # an option given as null means "the default", exactly as if it were left out
        return {name: getattr(checked, name) for name in options if getattr(checked, name) is not None}

    def missing_requirements(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def task_class(self) -> type:
        return load_object(self.task)

    def create(self, **kwargs: Any) -> Any:
        """Construct (not load) the task; ``kwargs`` go to the task's constructor."""
        missing = self.missing_requirements()
        if missing:
            raise ModelNotFound(
                f"task {self.name!r} needs {', '.join(missing)}; install it with pip install -e '.[{self.extra}]'"
            )
        options = {k: v for k, v in kwargs.items() if k not in _CONSTRUCTOR_ARGS}
        fixed = {k: v for k, v in kwargs.items() if k in _CONSTRUCTOR_ARGS}
        return self.task_class()(**fixed, **self.validate_options(options))

    def weights_status(self) -> WeightsStatus:
        missing = self.missing_requirements()
        if missing:
            return WeightsStatus(False, "-", f"missing packages: {', '.join(missing)} (extra '{self.extra}')")
        if self.weights is None:
            return WeightsStatus(True, "none needed")
        check: Callable[[], WeightsStatus] = load_object(self.weights)
        return check()

    def sample_inputs(self, n: int) -> list[Any]:
        if self.samples is None:
            raise NotImplementedError(f"task {self.name!r} declares no sample inputs")
        return load_object(self.samples)(n)

    def make_bad_input(self) -> Any:
        if self.bad_input is None:
            raise NotImplementedError(f"task {self.name!r} declares no bad input")
        return load_object(self.bad_input)()

    def outside_dataset(self, path: str, format: str = "auto") -> Any:
        """An outside labelled set (a researcher's or a client's), read in its field's standard format."""
        if self.read_data is None:
            raise ModelNotFound(f"task {self.name!r} reads no outside labelled data yet")
        return load_object(self.read_data)(path, format)

    def dataset(self, name: str, quick: bool = False) -> Any:
        """Load evaluation set ``name``; ``quick`` picks its reduced version when the task declares one."""
        if name not in self.datasets:
            raise ModelNotFound(f"task {self.name!r} has no dataset {name!r}; known: {sorted(self.datasets)}")
        ref = self.quick_datasets.get(name, self.datasets[name]) if quick else self.datasets[name]
        return load_object(ref)()


@lru_cache(maxsize=1)
def _task_entry_points() -> dict[str, str]:
    """Scanning installed packages' metadata costs ~10 ms: read it once per process.

    What is installed does not change under a running process; a newly installed task appears in
    the next process (as with any Python plugin).
    """
    return {ep.name: ep.value for ep in entry_points(group=TASKS_GROUP)}


def task_names() -> list[str]:
    """Registered task names, read from package metadata without importing any task."""
    return sorted(_task_entry_points())


def get_spec(name: str) -> TaskSpec:
    target = _task_entry_points().get(name)
    if target is None:
        raise ModelNotFound(f"unknown task {name!r}; registered tasks: {', '.join(task_names()) or 'none'}")
    spec = load_object(target)
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"entry point {target} is not a TaskSpec")
    return spec


def all_specs() -> list[TaskSpec]:
    return [get_spec(name) for name in task_names()]


def create_task(name: str, **kwargs: Any) -> Any:
    """Construct the named task (not loaded): ``create_task("ocr", device="cpu").load()``."""
    return get_spec(name).create(**kwargs)
