"""The face task: detect faces with five landmarks and (optionally) embed them, for a batch of images."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from core.device import Placement
from core.errors import InvalidInput, ModelLoading
from core.images import ImageInput, load_image
from core.schemas import Metrics
from core.task import BaseTask
from vision.face.detect import DetectedFace
from vision.face.schemas import Face, FaceDetections

if TYPE_CHECKING:
    from PIL import Image

    from vision.face.datasets import IdentityDataset
    from vision.face.detect import FaceDetector
    from vision.face.embed import Embedder
    from vision.face.outside import OutsideFaces

log = logging.getLogger(__name__)

# Faces smaller than this are enlarged before alignment (measured in vision/face/README.md, "Gate").
UPSCALE_TO = 0.0


@dataclass
class AnalyzedImage:
    """One decoded image, its faces (largest first) and their embeddings (``None`` when not computed)."""

    image: Image.Image
    faces: list[DetectedFace]
    embeddings: np.ndarray | None = None


class FaceAnalyzer(BaseTask[ImageInput, FaceDetections]):
    """Face detection (MTCNN), alignment and embedding (dlib ResNet by default).

    ``weights``: ``default`` (dlib's bundled models) or the path of a local InceptionResnetV1
    state dict (VGGFace2/CASIA). Options: ``embed`` (include embeddings in ``predict``, default
    False), ``min_confidence`` (0.9), ``min_face_size`` (20 px at detection scale), ``max_side``
    (1024: larger images are detected on a downscaled copy), ``threshold`` (override the
    embedder's same-person distance), ``upscale_to`` (enlarge smaller faces before alignment; 0: off).
    A ``Gallery`` built on this analyzer also reads ``enroll_min_face_size``, ``enroll_warn_face_size``,
    ``enroll_min_sharpness``, ``enroll_warn_sharpness``, ``enroll_max_yaw``, ``enroll_max_roll_degrees``
    (the enrollment gate), ``min_references`` and ``quality_penalty``.

    >>> analyzer = FaceAnalyzer(device="cpu")   # stores options only; .load() reads the weights
    >>> analyzer.loaded
    False
    """

    name: ClassVar[str] = "face"
    default_weights: ClassVar[str] = "package:face_recognition_models/models"
    max_batch_items: ClassVar[int] = 64

    def __init__(self, weights: Any = None, device: str = "auto", precision: str = "auto", **options: Any) -> None:
        super().__init__(weights, device, precision, **options)
        self.detector: FaceDetector | None = None
        self.embedder: Embedder | None = None

    def _load(self, weights_path: Path | None, placement: Placement) -> None:
        from vision.face.detect import FaceDetector
        from vision.face.embed import build_embedder

        if placement.precision != "fp32":
            log.info("face models run in fp32; precision %s ignored", placement.precision)
        self.detector = FaceDetector(device=placement.device,
                                     min_face_size=int(self.options.get("min_face_size", 20)),
                                     min_confidence=float(self.options.get("min_confidence", 0.9)),
                                     max_side=int(self.options.get("max_side", 1024)))
        self.embedder = build_embedder(weights_path, placement.device, self.options.get("threshold"))

    # -- building blocks the gallery uses ---------------------------------------------------------
    def _parts(self) -> tuple[FaceDetector, Embedder]:
        if self.detector is None or self.embedder is None:
            raise ModelLoading("face analyzer is not loaded; call .load() first")
        return self.detector, self.embedder

    def analyze(self, batch: Sequence[ImageInput], *, embed: bool = True) -> list[AnalyzedImage]:
        """Decode, detect and (optionally) embed; the error of a bad item names its index."""
        detector = self._parts()[0]
        images = []
        for index, item in enumerate(batch):
            try:
                images.append(load_image(item))
            except InvalidInput as exc:
                raise type(exc)(f"image {index}: {exc.message}", index=index, **exc.detail) from exc
        results = [AnalyzedImage(image, faces) for image, faces in zip(images, detector.detect(images))]
        if embed:
            for result in results:
                result.embeddings = self.embed(result.image, result.faces)
        return results

    def embed(self, image: Image.Image, faces: Sequence[DetectedFace], *,
              upscale_to: float | None = None) -> np.ndarray:
        """Embeddings of ``faces``; faces smaller than ``upscale_to`` px (default: the ``upscale_to``
        option, else ``UPSCALE_TO``) are enlarged before alignment."""
        from vision.face.embed import embed_faces

        if upscale_to is None:
            upscale_to = float(self.options.get("upscale_to", UPSCALE_TO))
        return embed_faces(self._parts()[1], image, faces, upscale_to=upscale_to)

    # -- the task contract -----------------------------------------------------------------------
    def _predict(self, batch: Sequence[ImageInput]) -> list[FaceDetections]:
        with_embeddings = bool(self.options.get("embed", False))
        out = []
        for result in self.analyze(batch, embed=with_embeddings):
            w, h = result.image.size
            faces = [
                Face(box=face.box_model(w, h), landmarks=face.landmarks_model(),
                     confidence=min(max(face.confidence, 0.0), 1.0),
                     embedding=None if result.embeddings is None else result.embeddings[i].tolist())
                for i, face in enumerate(result.faces)
            ]
            out.append(FaceDetections(width=w, height=h, faces=faces,
                                      embedder=self.embedder.name if with_embeddings and self.embedder else None))
        return out

    def evaluate(self, dataset: IdentityDataset | OutsideFaces) -> Metrics:
        """Enroll the dataset's gallery in memory, identify its probes; see ``vision.face.evaluate``.

        An outside set (``vision.face.outside.read_data``: identity folders or LFW/CSV pairs) is scored
        open-set or as verification pairs, beside plain MTCNN + dlib."""
        from vision.face.evaluate import evaluate_identification
        from vision.face.outside import OutsideFaces

        if isinstance(dataset, OutsideFaces):
            return dataset.score(self.load())
        return evaluate_identification(self.load(), dataset)
