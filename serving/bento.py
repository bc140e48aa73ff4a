"""Build one bento per client deployment: the gateway, the enabled task services, the config, offline.

The bento is also the container recipe (``bentoml containerize TAG``, docs/kubernetes.md): it lists the
pip requirements of the enabled tasks (with this install's pins), the system libraries OpenCV needs,
and the model-store versions its traffic names, so an image holds every weight it serves.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from core.errors import ConfigError
from core.registry import get_spec
from core.weights import WeightsRef
from serving.config import DeploymentConfig, load_config
from serving.requirements import known_extras, requirements_for

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "vision", "nlp", "tabular", "serving")
# OpenCV (pulled in by ultralytics and easyocr as opencv-python) loads libGL and glib at import.
SYSTEM_PACKAGES = ["libgl1", "libglib2.0-0"]


def image_requirements(config: DeploymentConfig) -> list[str]:
    """pip requirements of the gateway and every enabled task (their extras, this install's pins)."""
    known = known_extras()
    extras = {"serve"}
    for task in config.enabled_tasks():
        extra = get_spec(task).extra
        if extra in known:
            extras.add(extra)
        else:
            log.warning("task %s names extra %r, which this distribution lacks: add its packages to the image "
                        "yourself", task, extra)
    return requirements_for(extras)


def store_models(config: DeploymentConfig) -> list[str]:
    """Model-store tags the traffic policies name (live, canary, shadow, rollback history)."""
    tags = []
    for cfg in config.tasks.values():
        if not cfg.enabled:
            continue
        for version in [*cfg.traffic.versions(), *cfg.traffic.history]:
            ref = WeightsRef.parse(version)
            if ref.kind == "store" and ref.value not in tags:
                tags.append(ref.value)
    return tags


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
        # The bento is built and served offline: never lock against (or fetch from) an index. The
        # packages are installed only when an image is built (bentoml containerize).
        "python": {"lock_packages": False, "packages": image_requirements(config)},
        "docker": {"distro": "debian", "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
                   "system_packages": SYSTEM_PACKAGES},
        "models": store_models(config),
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
