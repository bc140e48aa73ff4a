"""Export a task as a TorchServe model archive (.mar) for clients that run TorchServe."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from core.errors import ConfigError
from core.registry import get_spec

HANDLER = Path(__file__).with_name("torchserve_handler.py")


def export_mar(task: str, output: Path, weights: str | None = None, version: str = "1.0") -> Path:
    """Write ``<output>/<task>.mar``: our handler, a manifest, and the task's weights file if it has one."""
    spec = get_spec(task)
    model = spec.create(weights=weights, device="cpu")
    weights_path = model.resolve_weights_path()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        manifest = {"task": task, "input_kind": spec.input_kind, "weights": None}
        command = [sys.executable, "-m", "model_archiver.model_packaging", "--model-name", task,
                   "--version", version, "--handler", str(HANDLER), "--export-path", str(output), "--force"]
        if weights_path is not None and weights_path.is_file():
            staged = staging / weights_path.name
            shutil.copy2(weights_path, staged)
            manifest["weights"] = weights_path.name
            command += ["--serialized-file", str(staged)]
        # (a task whose default weights ship inside an installed package loads them from there)
        (staging / "ais_manifest.json").write_text(json.dumps(manifest))
        command += ["--extra-files", str(staging / "ais_manifest.json")]
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise ConfigError(f"torch-model-archiver failed: {result.stderr.strip()[-2000:]}")
    return output / f"{task}.mar"
