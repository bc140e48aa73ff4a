"""Build one bento per client deployment: the gateway, the enabled task services, the config, offline."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from core.errors import ConfigError
from serving.config import load_config

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "vision", "nlp", "tabular", "serving")


def build_bento(config_path: Path, build_dir: Path) -> str:
    """Stage sources + config in ``build_dir`` and run ``bentoml build``; returns the bento tag."""
    config = load_config(config_path)
    build_dir = build_dir.resolve()
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    for package in PACKAGES:
        shutil.copytree(REPO / package, build_dir / package, ignore=ignore)
    shutil.copy2(config_path, build_dir / "deployment.yaml")
    bentofile = {
        "service": "serving.gateway:Gateway",
        "name": f"ais-{config.client}".lower().replace("_", "-"),
        "labels": {"client": config.client, "tasks": ",".join(config.enabled_tasks())},
        "include": [f"{p}/**" for p in PACKAGES] + ["deployment.yaml"],
        # The bento is built and served offline: never lock against (or fetch from) an index.
        "python": {"lock_packages": False},
        "envs": [{"name": "AIS_CONFIG", "value": "deployment.yaml"},
                 {"name": "BENTOML_DO_NOT_TRACK", "value": "True"},
                 {"name": "HF_HUB_OFFLINE", "value": "1"}, {"name": "YOLO_OFFLINE", "value": "1"}],
    }
    (build_dir / "bentofile.yaml").write_text(yaml.safe_dump(bentofile, sort_keys=False))
    env = {**os.environ, "AIS_CONFIG": str(build_dir / "deployment.yaml"), "BENTOML_DO_NOT_TRACK": "True"}
    result = subprocess.run([sys.executable, "-m", "bentoml", "build", str(build_dir), "--output", "tag"],
                            cwd=build_dir, env=env, check=False, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise ConfigError(f"bentoml build failed: {result.stderr.strip()[-2000:]}")
    tag = result.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    return tag
