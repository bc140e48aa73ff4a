"""Whether the face models are available offline, checked without loading them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from core.errors import WeightsUnavailable
from core.registry import WeightsStatus

MTCNN_FILES = ("pnet.pt", "rnet.pt", "onet.pt")


def status() -> WeightsStatus:
    from vision.face.embed import DLIB_MODEL, DLIB_SHAPE_5, dlib_models_dir

    try:
        dlib_dir = dlib_models_dir()
    except WeightsUnavailable as exc:
        return WeightsStatus(False, "-", exc.message)
    missing = [name for name in (DLIB_MODEL, DLIB_SHAPE_5) if not (dlib_dir / name).is_file()]
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return WeightsStatus(False, "-", "facenet-pytorch is not installed: pip install facenet-pytorch==2.5.3")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing += [f"facenet_pytorch/data/{n}" for n in MTCNN_FILES if not (data / n).is_file()]
    if importlib.util.find_spec("dlib") is None:
        missing.append("dlib (pip install dlib-bin)")
    if missing:
        return WeightsStatus(False, str(dlib_dir), f"missing: {', '.join(missing)}")
    return WeightsStatus(True, f"MTCNN: {data}; dlib ResNet: {dlib_dir}")
