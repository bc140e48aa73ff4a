"""Importing the top-level packages is fast and offline: no weights, no heavy frameworks, no sockets."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PACKAGES = ["core", "vision", "nlp", "tabular", "serving", "benchmarks", "batch"]

_PROBE = textwrap.dedent(
    """
    import json, socket, sys, time
    opened = []
    class Guard(socket.socket):
        def __init__(self, *a, **k):
            opened.append(repr(a))
            super().__init__(*a, **k)
    socket.socket = Guard
    real_create = socket.create_connection
    def create_connection(*a, **k):
        opened.append(repr(a))
        return real_create(*a, **k)
    socket.create_connection = create_connection
    start = time.perf_counter()
    import {modules}
    elapsed = time.perf_counter() - start
    heavy = sorted(m for m in ("torch", "transformers", "easyocr", "ultralytics", "bentoml", "cv2",
                               "facenet_pytorch", "lightgbm", "sklearn", "pandas") if m in sys.modules)
    print(json.dumps({{"elapsed": elapsed, "sockets": opened, "heavy": heavy}}))
    """
)


def _probe(modules: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(modules=", ".join(modules))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_all_packages_is_fast_and_opens_no_socket() -> None:
    result = _probe(PACKAGES)
    assert result["sockets"] == [], f"sockets opened during import: {result['sockets']}"
    assert result["heavy"] == [], f"heavy frameworks imported eagerly: {result['heavy']}"
    assert result["elapsed"] < 2.0, f"import took {result['elapsed']:.2f}s"


def test_task_specs_and_cli_modules_import_light() -> None:
    """Listing tasks (entry points + TaskSpec modules) must not pull in a deep-learning framework."""
    from importlib.metadata import entry_points

    modules = sorted({ep.value.partition(":")[0] for group in ("ais.tasks", "ais.cli")
                      for ep in entry_points(group=group)})
    if not modules:
        return
    result = _probe(modules)
    assert result["sockets"] == []
    assert result["heavy"] == [], f"{result['heavy']} imported by {modules}"
