"""The single place that switches third-party libraries to offline mode (no hub, no telemetry, no auto-install)."""
from __future__ import annotations

import os
from pathlib import Path

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "0",
    "YOLO_VERBOSE": "False",
    "BENTOML_DO_NOT_TRACK": "True",
    "DO_NOT_TRACK": "1",
}


def state_dir() -> Path:
    """Where the project keeps its own state (model store, galleries, warehouse) unless configured."""
    root = Path(os.environ.get("AIS_HOME", Path.home() / ".ais"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def enforce_offline() -> None:
    """Set every offline switch; called by the CLI and by each task's ``load()`` before heavy imports.

    Values the user set explicitly win (``setdefault``), so an administrator can still opt in to
    something deliberately; nothing here downloads.
    """
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if "YOLO_CONFIG_DIR" not in os.environ:
        # Ultralytics writes a settings file and checks for a font at import; keep both in our state dir.
        cfg = state_dir() / "ultralytics"
        (cfg / "Ultralytics").mkdir(parents=True, exist_ok=True)
        os.environ["YOLO_CONFIG_DIR"] = str(cfg)
        _provide_font(cfg / "Ultralytics" / "Arial.ttf")


def _provide_font(target: Path) -> None:
    """Ultralytics downloads Arial.ttf when missing, even with plots off; give it a local TTF instead."""
    if target.exists():
        return
    for candidate in (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    ):
        if candidate.exists():
            try:
                target.write_bytes(candidate.read_bytes())
            except OSError:
                pass
            return
