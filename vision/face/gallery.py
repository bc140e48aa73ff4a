"""Enrolled persons per tenant: enroll, add images, list, get, delete, verify and identify.

A ``Gallery`` is one store (a SQLite file, ``vision.face.store``, or a gallery in a shared PostgreSQL
database, ``vision.face.store_postgres``) plus an in-memory index per tenant for identification. Before
each search it reads the tenant's generation from the store (one cheap query) and rebuilds the index
when it moved, so several processes or replicas serving the same gallery see each other's writes at once. Every method takes a ``tenant``: another
tenant's persons behave exactly as persons that do not exist (``NotFound``).

>>> from vision.face.gallery import Gallery
>>> gallery = Gallery("/tmp/faces.db")                           # doctest: +SKIP
>>> gallery.enroll("acme", ["ann1.jpg", "ann2.jpg"], "Ann")      # doctest: +SKIP
>>> gallery.identify("acme", "group.jpg").faces[0].decision      # doctest: +SKIP
"""
from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError, InvalidInput
from core.images import ImageInput
from core.offline import state_dir
from vision.face.index import FaceIndex, relative_penalties
from vision.face.quality import QualityGate
from vision.face.schemas import (
    UNKNOWN,
    Candidate,
    DeleteResult,
    EnrollResult,
    IdentifiedFace,
    IdentifyResult,
    Person,
    RefusedImage,
    VerifyResult,
)
from vision.face.store import GalleryStorage, check_id, open_gallery_store

if TYPE_CHECKING:
    from core.state import Database
    from vision.face.analyzer import AnalyzedImage, FaceAnalyzer

log = logging.getLogger(__name__)

MAX_ENROLL_IMAGES = 32
# A person with fewer references than this is flagged ``few_references`` (add photos of them).
MIN_REFERENCES = 3
# A reference of weight q must be QUALITY_PENALTY * (q_best - q) closer to match, q_best the weight of the
# person's best reference (README, "Enrollment gate": 0.2 measured best of 0, 0.1, 0.2, 0.4).
QUALITY_PENALTY = 0.2
# Task options that configure the enrollment gate (deployment config passes task options through).
GATE_OPTIONS = {"enroll_min_face_size": "min_face_size", "enroll_warn_face_size": "warn_face_size",
                "enroll_min_sharpness": "min_sharpness", "enroll_warn_sharpness": "warn_sharpness",
                "enroll_max_yaw": "max_yaw", "enroll_max_roll_degrees": "max_roll_degrees",
                "enroll_min_directional_sharpness": "min_directional_sharpness"}


@dataclass
class _Enrollment:
    """The photos of one enroll/add call that passed the gate, and those refused."""

    vectors: np.ndarray
    crops: list[bytes | None]
    qualities: list[float]
    refused: list[RefusedImage]
    warnings: list[str]


def default_gallery_path() -> Path:
    return state_dir() / "faces" / "gallery.db"


def _as_list(images: Any) -> list[ImageInput]:
    """Accept one image or a list of them (bytes and str are single images, not sequences)."""
    if isinstance(images, (bytes, bytearray, memoryview, str, Path)) or not isinstance(images, Sequence):
        return [images]
    return list(images)


class Gallery:
    """Face gallery over one store and one embedder.

    Storage: the SQLite file ``path`` (default ``<state>/faces/gallery.db``), or with ``database`` the
    gallery ``name`` of ``client`` in that PostgreSQL database, or an already opened ``store`` (the
    caller closes it).

    ``embedder``: ``None``/``"default"`` for dlib's bundled model, or the path of a local
    InceptionResnetV1 state dict. ``analyzer``: share an already built ``FaceAnalyzer`` instead.
    ``threshold``: same-person Euclidean distance (default: the embedder's, or a calibrated one).
    ``store_images``: also keep a JPEG crop of each enrolled face (off by default: embeddings only).
    ``quality``: the enrollment gate (default: from the analyzer's task options ``enroll_min_face_size``,
    ``enroll_warn_face_size``, ``enroll_min_sharpness``, ``enroll_warn_sharpness``, ``enroll_max_yaw``,
    ``enroll_max_roll_degrees``, ``enroll_min_directional_sharpness``, else the measured defaults). ``min_references`` (option
    ``min_references``): fewer references flag a person. ``quality_penalty`` (option ``quality_penalty``):
    how much closer a reference of weight q must be, times (the person's best weight - q).
    """

    def __init__(self, path: str | Path | None = None, embedder: str | Path | None = None, *,
                 analyzer: FaceAnalyzer | None = None, device: str = "auto", threshold: float | None = None,
                 quality: QualityGate | None = None, store_images: bool = False,
                 min_references: int | None = None, quality_penalty: float | None = None,
                 database: Database | None = None, client: str = "local", name: str = "default",
                 store: GalleryStorage | None = None) -> None:
        self.path = Path(path) if path is not None else default_gallery_path()
        self._database, self._client, self._name = database, client, name
        self._owns_store = store is None
        self._analyzer = analyzer
        self._embedder_ref = embedder
        self._device = device
        self._threshold = threshold
        self._quality = quality
        self._min_references = min_references
        self._quality_penalty = quality_penalty
        self.store_images = store_images
        self._store: GalleryStorage | None = store
        self._indexes: dict[str, tuple[int, FaceIndex]] = {}
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------------
    def load(self) -> Gallery:
        """Load the models and open the database (idempotent; other methods call it on first use)."""
        with self._lock:
            if self._store is not None and self._analyzer is not None and self._analyzer.embedder is not None:
                return self
            if self._analyzer is None:
                from vision.face.analyzer import FaceAnalyzer

                self._analyzer = FaceAnalyzer(weights=self._embedder_ref, device=self._device)
            self._analyzer.load()
            embedder = self._analyzer.embedder
            assert embedder is not None
            if self._store is None:
                where = self._database if self._database is not None else self.path
                self._store = open_gallery_store(where, embedder.name, embedder.dim, client=self._client,
                                                 name=self._name)
            elif (self._store.embedder, self._store.dim) != (embedder.name, embedder.dim):
                raise ConfigError(f"the gallery store holds {self._store.embedder} embeddings (dim {self._store.dim}), "
                                  f"not {embedder.name} (dim {embedder.dim}): embeddings of different models "
                                  "cannot be compared")
            return self

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._owns_store:
                self._store.close()
                self._store = None
            self._indexes.clear()

    @property
    def store(self) -> GalleryStorage:
        """The store (opened on first use; a given ``store`` is used without loading the models)."""
        if self._store is not None:
            return self._store
        return self.load()._store  # type: ignore[return-value]

    @property
    def analyzer(self) -> FaceAnalyzer:
        return self.load()._analyzer  # type: ignore[return-value]

    @property
    def threshold(self) -> float:
        return self._threshold if self._threshold is not None else self.analyzer.embedder.threshold  # type: ignore[union-attr]

    @property
    def quality(self) -> QualityGate:
        """The enrollment gate: given, or from the analyzer's task options, or the measured defaults."""
        if self._quality is None:
            options = self._analyzer.options if self._analyzer is not None else {}
            self._quality = QualityGate.from_options(
                {GATE_OPTIONS[k]: v for k, v in options.items() if k in GATE_OPTIONS})
        return self._quality

    def _option(self, explicit: float | None, name: str, default: float) -> float:
        if explicit is not None:
            return float(explicit)
        options = self._analyzer.options if self._analyzer is not None else {}
        return float(options.get(name, default))

    @property
    def min_references(self) -> int:
        return int(self._option(self._min_references, "min_references", MIN_REFERENCES))

    @property
    def quality_penalty(self) -> float:
        return self._option(self._quality_penalty, "quality_penalty", QUALITY_PENALTY)

    def _flag(self, person: Person) -> Person:
        return person.model_copy(update={"few_references": person.n_embeddings < self.min_references})

    @property
    def embedder_name(self) -> str:
        return self.analyzer.embedder.name  # type: ignore[union-attr]

    # -- enrollment ------------------------------------------------------------------------------
    def _enrollment_vectors(self, images: Any) -> _Enrollment:
        """One embedding per photo that passes the gate (every one is kept, weighted by its quality); the
        refused photos are reported. When no photo passes, ``InvalidInput`` (the first refusal's reason,
        every refusal in ``detail["refused"]``) and nothing is stored."""
        items = _as_list(images)
        if not items:
            raise InvalidInput("at least one image is needed to enroll", reason="no_images")
        if len(items) > MAX_ENROLL_IMAGES:
            raise InvalidInput(f"at most {MAX_ENROLL_IMAGES} images per call", reason="too_many_images")
        analyzed = self.analyzer.analyze(items, embed=False)
        passed, refused = [], []
        for i, a in enumerate(analyzed):
            try:
                passed.append((a, self.quality.assess(a.image, a.faces, index=i)))
            except InvalidInput as exc:
                refused.append((exc, RefusedImage(index=i, reason=str(exc.detail.get("reason", "invalid_image")),
                                                  message=exc.message, hint=str(exc.detail.get("hint", "")))))
        if not passed:
            first = refused[0][0]
            detail = {k: v for k, v in first.detail.items() if k != "refused"}
            raise InvalidInput(first.message if len(refused) == 1 else
                               f"none of the {len(refused)} photos can be enrolled; {first.message}",
                               **detail, refused=[r.model_dump() for _, r in refused])
        vectors = np.vstack([self.analyzer.embed(a.image, [x.face]) for a, x in passed])
        crops = [self._face_jpeg(a, x.face.box) if self.store_images else None for a, x in passed]
        warnings = [w for _, x in passed for w in x.warnings]
        warnings += [f"image {r.index} not enrolled: {r.message.removeprefix(f'image {r.index}: ')}"
                     for _, r in refused]
        return _Enrollment(vectors, crops, [round(x.quality, 4) for _, x in passed], [r for _, r in refused],
                           warnings)

    def _answer(self, person: Person, enrollment: _Enrollment) -> EnrollResult:
        person = self._flag(person)
        warnings = list(enrollment.warnings)
        if person.few_references:
            warnings.append(f"{person.n_embeddings} reference photo(s) for this person, fewer than "
                            f"{self.min_references}: add photos (add_images) for more reliable identification")
        return EnrollResult(person=person, added=len(enrollment.vectors), qualities=enrollment.qualities,
                            refused=enrollment.refused, warnings=warnings)

    @staticmethod
    def _face_jpeg(analyzed: AnalyzedImage, box: np.ndarray) -> bytes:
        buf = io.BytesIO()
        analyzed.image.crop(tuple(round(float(v)) for v in box)).save(buf, "JPEG", quality=90)
        return buf.getvalue()

    def enroll(self, tenant: str, images: Sequence[ImageInput] | ImageInput, display_name: str, *,
               person_id: str | None = None) -> EnrollResult:
        """Create a person from one or more photos (each must pass the quality gate)."""
        check_id(tenant, "tenant")
        enrollment = self._enrollment_vectors(images)
        person, generation = self.store.create_person(tenant, display_name, enrollment.vectors, person_id=person_id,
                                                      images=enrollment.crops, qualities=enrollment.qualities)
        self._after_write(tenant, generation, add=(person.person_id, enrollment.vectors,
                                                   np.asarray(enrollment.qualities, np.float32)))
        return self._answer(person, enrollment)

    def enroll_embeddings(self, tenant: str, embeddings: np.ndarray, display_name: str, *,
                          person_id: str | None = None, qualities: Sequence[float] | None = None) -> EnrollResult:
        """Create a person from embeddings computed elsewhere with the same embedder (bulk import);
        ``qualities``: their reference weights (default 1)."""
        vectors = np.asarray(embeddings, dtype=np.float32)
        weights = [1.0] * len(vectors) if qualities is None else [float(q) for q in qualities]
        person, generation = self.store.create_person(tenant, display_name, vectors, person_id=person_id,
                                                      qualities=weights)
        self._after_write(tenant, generation, add=(person.person_id, vectors, np.asarray(weights, np.float32)))
        return self._answer(person, _Enrollment(vectors, [None] * len(vectors), weights, [], []))

    def add_images(self, tenant: str, person_id: str, images: Sequence[ImageInput] | ImageInput) -> EnrollResult:
        """Add photos to an enrolled person of this tenant (every photo that passes the gate is kept)."""
        self.store.get_person(tenant, person_id)  # NotFound before spending time on the images
        enrollment = self._enrollment_vectors(images)
        person, generation = self.store.add_vectors(tenant, person_id, enrollment.vectors, images=enrollment.crops,
                                                    qualities=enrollment.qualities)
        self._after_write(tenant, generation, add=(person_id, enrollment.vectors,
                                                   np.asarray(enrollment.qualities, np.float32)))
        return self._answer(person, enrollment)

    def delete(self, tenant: str, person_id: str) -> DeleteResult:
        """Remove a person, its embeddings (zeroed on disk) and any stored images."""
        removed, generation = self.store.delete_person(tenant, person_id)
        self._after_write(tenant, generation, remove=person_id)
        return DeleteResult(person_id=person_id, embeddings_removed=removed)

    def get(self, tenant: str, person_id: str) -> Person:
        """The person with its reference count, mean weight and ``few_references`` flag."""
        return self._flag(self.store.get_person(tenant, person_id))

    # -- index -----------------------------------------------------------------------------------
    def _after_write(self, tenant: str, generation: int, *,
                     add: tuple[str, np.ndarray, np.ndarray] | None = None, remove: str | None = None) -> None:
        """Apply our own write to the cached index when it was current; otherwise rebuild on next use."""
        with self._lock:
            cached = self._indexes.get(tenant)
            if cached is None or cached[0] != generation - 1:
                self._indexes.pop(tenant, None)
                return
            index = cached[1]
            if add is not None:
                person_id, vectors, qualities = add
                ids = index.row_person.tolist() + [person_id] * len(vectors)
                index = FaceIndex.build(ids, np.vstack([index.vectors, vectors]),
                                        np.concatenate([index.row_qualities(), qualities]), self.quality_penalty)
            if remove is not None:
                keep = index.row_person != remove
                index = FaceIndex.build(index.row_person[keep].tolist(), index.vectors[keep],
                                        index.row_qualities()[keep], self.quality_penalty)
            self._indexes[tenant] = (generation, index)

    def index(self, tenant: str) -> FaceIndex:
        """The tenant's current index (rebuilt from the database if another writer moved it)."""
        check_id(tenant, "tenant")
        store = self.store
        current = store.generation(tenant)  # outside the lock: concurrent identifies do not queue on it
        with self._lock:
            cached = self._indexes.get(tenant)
            if cached is not None and cached[0] >= current:  # another thread may have moved it further
                return cached[1]
            snapshot = store.tenant_vectors(tenant)
            index = FaceIndex.build(snapshot.person_ids, snapshot.vectors, snapshot.qualities, self.quality_penalty)
            self._indexes[tenant] = (snapshot.generation, index)
            return index

    # -- matching --------------------------------------------------------------------------------
    def _probe(self, image: ImageInput, what: str) -> tuple[AnalyzedImage, np.ndarray]:
        """The largest face of an image and its embedding."""
        analyzed = self.analyzer.analyze([image], embed=False)[0]
        if not analyzed.faces:
            raise InvalidInput(f"{what}: no face found", reason="no_face")
        analyzed.faces = analyzed.faces[:1]
        return analyzed, self.analyzer.embed(analyzed.image, analyzed.faces)[0]

    def verify(self, tenant: str, image: ImageInput, *, person_id: str | None = None,
               other_image: ImageInput | None = None) -> VerifyResult:
        """Is the (largest) face in ``image`` the enrolled ``person_id``, or the face in ``other_image``?"""
        check_id(tenant, "tenant")
        if (person_id is None) == (other_image is None):
            raise InvalidInput("verify needs exactly one of person_id or other_image")
        if person_id is not None:
            reference = self.store.person_vectors(tenant, person_id)  # NotFound across tenants
        probe, vector = self._probe(image, "image")
        w, h = probe.image.size
        reference_box = None
        if person_id is not None:
            qualities = self.store.person_qualities(tenant, person_id)
            penalties = relative_penalties([person_id] * len(qualities), qualities, self.quality_penalty)
            distance = float((np.sqrt(((reference - vector) ** 2).sum(axis=1)) + penalties).min())
        else:
            other, other_vector = self._probe(other_image, "other_image")
            distance = float(np.linalg.norm(other_vector - vector))
            reference_box = other.faces[0].box_model(*other.image.size)
        return VerifyResult(same_person=distance <= self.threshold, distance=distance, threshold=self.threshold,
                            embedder=self.embedder_name, person_id=person_id,
                            probe_box=probe.faces[0].box_model(w, h), reference_box=reference_box)

    def identify(self, tenant: str, image: ImageInput, *, top_k: int = 5) -> IdentifyResult:
        """Every face in the image with its ``top_k`` nearest persons and a decision (id or ``unknown``)."""
        check_id(tenant, "tenant")
        if not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise InvalidInput("top_k must be an integer between 1 and 100")
        index = self.index(tenant)
        analyzed = self.analyzer.analyze([image], embed=True)[0]
        assert analyzed.embeddings is not None
        matches = [index.search(vector, k=top_k) for vector in analyzed.embeddings]
        names = self.store.display_names(tenant, sorted({p for m in matches for p, _ in m}))
        w, h = analyzed.image.size
        faces = []
        for face, match in zip(analyzed.faces, matches):
            candidates = [Candidate(person_id=p, display_name=names.get(p, ""), distance=d) for p, d in match]
            known = bool(candidates) and candidates[0].distance <= self.threshold
            faces.append(IdentifiedFace(box=face.box_model(w, h), landmarks=face.landmarks_model(),
                                        decision=candidates[0].person_id if known else UNKNOWN,
                                        display_name=candidates[0].display_name if known else None,
                                        candidates=candidates))
        return IdentifyResult(faces=faces, threshold=self.threshold, embedder=self.embedder_name,
                              gallery_size=index.n_persons)

    def list(self, tenant: str, *, limit: int = 1000, offset: int = 0) -> list[Person]:
        """This tenant's persons, oldest first (``limit``/``offset`` page through them)."""
        return [self._flag(p) for p in self.store.list_persons(tenant, limit=limit, offset=offset)]
