"""Face embedders behind one small interface: dlib's ResNet (bundled, default) and facenet's InceptionResnetV1.

Each embedder carries the Euclidean distance threshold at which two faces count as the same
person; ``ais face calibrate`` measures a better one on a client's own labelled pairs.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from core.errors import InvalidInput, WeightsUnavailable
from core.weights import package_data_path
from vision.face.align import dlib_chip, facenet_crop, upscaled
from vision.face.detect import DetectedFace

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

DLIB_PACKAGE = "face_recognition_models"
DLIB_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
# Published by dlib for its ResNet model (LFW 99.38% at 0.6); checked on our data in the README.
DLIB_THRESHOLD = 0.6
# Commonly used for facenet-pytorch's VGGFace2 model on L2-normalised 512-d embeddings; calibrate it.
FACENET_THRESHOLD = 1.1


@runtime_checkable
class Embedder(Protocol):
    """Maps aligned faces to vectors; equal people are closer than ``threshold`` (Euclidean)."""

    name: str
    dim: int
    threshold: float

    def align(self, image: Image.Image, faces: Sequence[DetectedFace]) -> list[np.ndarray]:
        """The crops this embedder expects, one per face."""
        ...

    def embed_aligned(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """An ``(n, dim)`` float32 matrix for ``n`` aligned crops."""
        ...


def embed_faces(embedder: Embedder, image: Image.Image, faces: Sequence[DetectedFace], *,
                upscale_to: float = 0.0) -> np.ndarray:
    """Align then embed every face of one image (``(0, dim)`` when there is none).

    ``upscale_to``: faces smaller than this (px) are enlarged before alignment (``align.upscaled``).
    """
    if not faces:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    if upscale_to <= 0 or all(face.size >= upscale_to for face in faces):
        return embedder.embed_aligned(embedder.align(image, faces))
    crops = []
    for face in faces:
        region, moved = upscaled(image, face, upscale_to)
        crops += embedder.align(region, [moved])
    return embedder.embed_aligned(crops)


def dlib_models_dir() -> Path:
    return package_data_path(DLIB_PACKAGE, "models", install_hint="pip install face-recognition-models dlib-bin")


class DlibEmbedder:
    """dlib's ResNet 128-d face descriptor on dlib-aligned 150x150 chips (runs on CPU)."""

    name = "dlib-resnet-v1"
    dim = 128

    def __init__(self, models_dir: Path | None = None, threshold: float = DLIB_THRESHOLD) -> None:
        try:
            import dlib
        except ImportError as exc:
            raise WeightsUnavailable("the dlib embedder needs dlib: pip install dlib-bin") from exc
        folder = models_dir or dlib_models_dir()
        model, shape = folder / DLIB_MODEL, folder / DLIB_SHAPE_5
        for path in (model, shape):
            if not path.is_file():
                raise WeightsUnavailable(f"{path} is missing; reinstall face-recognition-models", path=str(path))
        self.threshold = threshold
        self._shape = dlib.shape_predictor(str(shape))
        self._net = dlib.face_recognition_model_v1(str(model))

    def align(self, image: Image.Image, faces: Sequence[DetectedFace]) -> list[np.ndarray]:
        rgb = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
        return [dlib_chip(rgb, face, self._shape) for face in faces]

    def embed_aligned(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), dtype=np.float32)
        chips = [np.ascontiguousarray(c, dtype=np.uint8) for c in crops]
        vectors = self._net.compute_face_descriptor(chips)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32).reshape(len(chips), self.dim)


class FacenetEmbedder:
    """facenet-pytorch's InceptionResnetV1 (512-d, L2-normalised) from a LOCAL state-dict file.

    The pretrained VGGFace2/CASIA weights are downloaded by facenet-pytorch itself, which we never
    allow; the user copies the ``.pt`` state dict to the machine and passes its path.
    """

    dim = 512

    def __init__(self, weights_file: Path, device: str = "cpu", threshold: float = FACENET_THRESHOLD) -> None:
        import torch
        from facenet_pytorch import InceptionResnetV1

        path = Path(weights_file)
        if not path.is_file():
            raise WeightsUnavailable(
                f"facenet weights file {str(path)!r} does not exist; copy a VGGFace2 or CASIA-Webface "
                "InceptionResnetV1 state dict (.pt) to this machine and pass its path", path=str(path))
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises several types for a bad file
            raise WeightsUnavailable(f"{path} is not a readable torch state dict: {exc}", path=str(path)) from exc
        if not isinstance(state, dict):
            raise WeightsUnavailable(f"{path} holds a {type(state).__name__}, not a state dict", path=str(path))
        # Pretrained files carry a classifier head ("logits.*") we do not use for embeddings.
        state = {k: v for k, v in state.items() if not k.startswith("logits.")}
        model = InceptionResnetV1(pretrained=None, classify=False)
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("logits.")]
        if missing or unexpected:
            raise WeightsUnavailable(
                f"{path} does not match InceptionResnetV1: missing {missing[:5]}, unexpected {unexpected[:5]}",
                path=str(path))
        self._torch = torch
        self._device = device
        self._model: Any = model.eval().to(device)
        self.threshold = threshold
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.name = f"facenet-inception-resnet-v1-{digest}"

    def align(self, image: Image.Image, faces: Sequence[DetectedFace]) -> list[np.ndarray]:
        return [facenet_crop(image.convert("RGB"), face) for face in faces]

    def embed_aligned(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = self._torch.from_numpy(np.stack(crops).astype(np.float32)).to(self._device)
        with self._torch.inference_mode():
            out = self._model(batch)
        return out.float().cpu().numpy()


def build_embedder(weights: Path | None, device: str = "cpu", threshold: float | None = None) -> Embedder:
    """A folder (or None) means dlib's bundled models; a file means an InceptionResnetV1 state dict."""
    if weights is None or Path(weights).is_dir():
        return DlibEmbedder(weights, **({} if threshold is None else {"threshold": threshold}))
    if not Path(weights).exists():
        raise InvalidInput(f"embedder weights {str(weights)!r} do not exist")
    return FacenetEmbedder(Path(weights), device, **({} if threshold is None else {"threshold": threshold}))
